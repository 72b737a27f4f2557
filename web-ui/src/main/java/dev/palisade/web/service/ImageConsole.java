package dev.palisade.web.service;

import dev.palisade.web.support.CurrentUser;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/** The tenant's own images in the portal, as the REST API offers them. */
public interface ImageConsole {

    /** What the images page shows of one. */
    record Row(String name, String digest, long sizeBytes, int layers, String entrypoint, Integer exposedPort,
            Instant createdAt, String createdBy) {
    }

    List<Row> list(CurrentUser me);

    /** Uploads (streamed); refused with the reason, naming the layer at fault. */
    void upload(CurrentUser me, String name, InputStream archive);

    void delete(CurrentUser me, String name);
}
