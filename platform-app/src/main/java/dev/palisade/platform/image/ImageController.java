package dev.palisade.platform.image;

import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** Images workloads can run on: every user may list them; a platform admin imports OCI images. */
@RestController
@Tag(name = "Images", description = "Root filesystems workloads run on: the built-in host and scratch, and imported "
        + "OCI images")
class ImageController {

    private final JdbcClient jdbc;
    private final Images images;
    private final TenantAccess access;

    ImageController(JdbcClient jdbc, Images images, TenantAccess access) {
        this.jdbc = jdbc;
        this.images = images;
        this.access = access;
    }

    record ImageResponse(String name, String kind, String description, String digest, long sizeBytes,
            Instant createdAt, String createdBy) {
    }

    @GetMapping("/api/v1/images")
    @Operation(operationId = "listImages", summary = "List images",
            description = "Any user. The built-in host and scratch, and the imported OCI images, by name.")
    List<ImageResponse> list() {
        return jdbc.sql("select name, kind, description, digest, size_bytes, created_at, created_by from image order by name")
                .query((rs, i) -> new ImageResponse(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getObject(6, OffsetDateTime.class).toInstant(), rs.getString(7)))
                .list();
    }

    @PostMapping(path = "/api/v1/images", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "importImage", summary = "Import an OCI image (platform admin)",
            description = "parts: name, and archive: a docker save "
            + "tar or an OCI image layout tar (optionally gzipped); unpacked and checked before it is listed")
    @ApiResponse(responseCode = "201", description = "Imported")
    ResponseEntity<ImageResponse> importImage(Caller caller, @RequestParam("name") String name,
            @RequestPart("archive") MultipartFile archive, @RequestParam(name = "description", required = false)
            String description) throws IOException {
        access.requirePlatformAdmin(caller);
        try {
            images.importOci(caller.username(), name, description, archive.getBytes());
        } catch (Images.ImportRefused e) {
            throw ApiProblems.badRequest(e.field(), e.getMessage());
        }
        ImageResponse created = list().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
        return ResponseEntity.created(URI.create("/api/v1/images/" + name)).body(created);
    }
}
