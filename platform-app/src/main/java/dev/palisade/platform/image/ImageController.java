package dev.palisade.platform.image;

import io.swagger.v3.oas.annotations.Operation;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Images workloads can run on: every user may list them. */
@RestController
class ImageController {

    private final JdbcClient jdbc;

    ImageController(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    record ImageResponse(String name, String kind, String description, String digest, long sizeBytes,
            Instant createdAt, String createdBy) {
    }

    @GetMapping("/api/v1/images")
    @Operation(summary = "List images: built-in host and scratch, and imported OCI images")
    List<ImageResponse> list() {
        return jdbc.sql("select name, kind, description, digest, size_bytes, created_at, created_by from image order by name")
                .query((rs, i) -> new ImageResponse(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getObject(6, OffsetDateTime.class).toInstant(), rs.getString(7)))
                .list();
    }
}
