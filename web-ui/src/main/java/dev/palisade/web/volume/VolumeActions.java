package dev.palisade.web.volume;

import dev.palisade.web.support.CurrentUser;
import java.time.Instant;
import java.util.List;

/** A tenant's volumes as the REST API offers them (GET/POST/DELETE .../volumes), for the portal. */
public interface VolumeActions {

    /** What the page shows of a volume. */
    record Row(String name, long sizeBytes, String state, List<String> usedBy, Instant createdAt, String createdBy) {
    }

    /** The platform refused (not a tenant admin, a bad name, over quota, in use…); the message says why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    List<Row> list(CurrentUser me);

    void create(CurrentUser me, String name, long sizeBytes);

    void delete(CurrentUser me, String name);
}
