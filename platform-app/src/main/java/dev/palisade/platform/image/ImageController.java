package dev.palisade.platform.image;

import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.model.NotFoundException;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.security.Caller;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/**
 * Images workloads can run on: every user lists the shared ones (built-in, and OCI images a
 * platform admin published) and their own tenant's; tenant admins upload and delete their
 * tenant's own, which no other tenant sees.
 */
@RestController
@Tag(name = "Images", description = "Root filesystems workloads run on: the built-in host and scratch, and imported "
        + "OCI images")
class ImageController {

    private final JdbcClient jdbc;
    private final Images images;
    private final TenantImages tenantImages;
    private final TenantAccess access;

    ImageController(JdbcClient jdbc, Images images, TenantImages tenantImages, TenantAccess access) {
        this.jdbc = jdbc;
        this.images = images;
        this.tenantImages = tenantImages;
        this.access = access;
    }

    /** {@code tenant}: the tenant whose own image it is, null for a shared one. */
    record ImageResponse(String name, String kind, String description, String digest, long sizeBytes,
            Instant createdAt, String createdBy, String tenant) {
    }

    @GetMapping("/api/v1/images")
    @Operation(operationId = "listImages", summary = "List images",
            description = "Any user. The built-in host and scratch, the OCI images a platform admin published, and "
                    + "the caller's tenant's own, by name.")
    List<ImageResponse> list(Caller caller) {
        List<ImageResponse> out = new ArrayList<>(shared());
        if (caller.tenantId() != null) {
            for (TenantImages.Info i : tenantImages.list(caller.tenantId())) {
                out.add(new ImageResponse(i.name(), "tenant", null, i.digest(), i.sizeBytes(), i.createdAt(), i.createdBy(),
                        caller.tenantSlug()));
            }
        }
        return out;
    }

    private List<ImageResponse> shared() {
        return jdbc.sql("select name, kind, description, digest, size_bytes, created_at, created_by from image order by name")
                .query((rs, i) -> new ImageResponse(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getLong(5), rs.getObject(6, OffsetDateTime.class).toInstant(), rs.getString(7), null))
                .list();
    }

    @PostMapping(path = "/api/v1/images", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "importImage", summary = "Publish an OCI image to every tenant (platform admin)",
            description = "parts: name, and archive: a docker save tar or an OCI image layout tar (optionally "
                    + "gzipped); unpacked and checked before it is listed")
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
        ImageResponse created = shared().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
        return ResponseEntity.created(URI.create("/api/v1/images/" + name)).body(created);
    }

    @GetMapping("/api/v1/tenants/{tenant}/images")
    @Operation(operationId = "listTenantImages", summary = "The tenant's own images",
            description = "Any user of the tenant. With the config the runtime honours.")
    List<TenantImages.Info> tenantList(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return tenantImages.list(tenant.getId());
    }

    @GetMapping("/api/v1/tenants/{tenant}/images/{name}")
    @Operation(operationId = "getTenantImage", summary = "One of the tenant's own images",
            description = "Any user of the tenant. With the config the runtime honours.")
    TenantImages.Info tenantImage(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return tenantImages.find(tenant.getId(), name).orElseThrow(() -> new NotFoundException("no image " + name));
    }

    @PostMapping(path = "/api/v1/tenants/{tenant}/images", consumes = {"application/x-tar", "application/gzip",
            "application/zstd", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    @Operation(operationId = "uploadTenantImage", summary = "Upload an image for the tenant (tenant admin)",
            description = UPLOAD)
    @ApiResponse(responseCode = "201", description = "Uploaded; Location names it",
            content = @Content(schema = @Schema(implementation = TenantImages.Info.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    ResponseEntity<?> upload(Caller caller, @PathVariable("tenant") String slug, @RequestParam("name") String name,
            HttpServletRequest request) throws IOException {
        Tenant tenant = access.managedBy(caller, slug);
        try (InputStream body = request.getInputStream()) {
            return uploaded(caller, tenant, name, body);
        }
    }

    @PostMapping(path = "/api/v1/tenants/{tenant}/images", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "uploadTenantImage", summary = "Upload an image for the tenant (tenant admin)",
            description = UPLOAD)
    @ApiResponse(responseCode = "201", description = "Uploaded; Location names it",
            content = @Content(schema = @Schema(implementation = TenantImages.Info.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    ResponseEntity<?> uploadForm(Caller caller, @PathVariable("tenant") String slug, @RequestParam("name") String name,
            @RequestPart("archive") MultipartFile archive) throws IOException {
        Tenant tenant = access.managedBy(caller, slug);
        try (InputStream body = archive.getInputStream()) {
            return uploaded(caller, tenant, name, body);
        }
    }

    private static final String UPLOAD = "?name=…; the body a docker save tar or an OCI image layout tar (plain, "
            + "gzip or zstd; layers likewise), streamed; or as multipart/form-data with the parts name and archive. "
            + "Layers are checked against their digests; counted against the storage quota.";

    private ResponseEntity<?> uploaded(Caller caller, Tenant tenant, String name, InputStream body) {
        try {
            TenantImages.Info info = tenantImages.upload(caller.username(), tenant.getId(), tenant.getSlug(), name, body);
            return ResponseEntity.created(URI.create("/api/v1/tenants/" + tenant.getSlug() + "/images/" + name)).body(info);
        } catch (Images.ImportRefused e) {
            throw ApiProblems.badRequest(e.field(), e.getMessage());
        } catch (AdmissionException e) {
            return ApiProblems.overQuota(e, Map.of());
        }
    }

    @DeleteMapping("/api/v1/tenants/{tenant}/images/{name}")
    @Operation(operationId = "deleteTenantImage", summary = "Delete one of the tenant's images (tenant admin)",
            description = "409 naming the services that use it while they run.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.managedBy(caller, slug);
        tenantImages.delete(caller.username(), tenant.getId(), tenant.getSlug(), name);
        return ResponseEntity.noContent().build();
    }
}
