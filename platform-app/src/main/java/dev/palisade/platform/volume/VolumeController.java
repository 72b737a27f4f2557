package dev.palisade.platform.volume;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.platform.api.ApiProblems;
import dev.palisade.platform.api.TenantAccess;
import dev.palisade.platform.engine.TenantIdentity;
import dev.palisade.platform.security.Caller;
import dev.palisade.platform.workload.Archives;
import dev.palisade.sandbox.VolumeImage;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A tenant's volumes through the REST API: members list them and export one's files; tenant
 * admins create (counted against the storage quota), delete (refused while a workload mounts
 * it) and import. Export and import are served by the node that holds the volume.
 */
@RestController
@Tag(name = "Volumes", description = "per-tenant persistent file systems of a fixed size, mounted into services and jobs")
class VolumeController {

    private final TenantAccess access;
    private final VolumeStore store;
    private final VolumeDisk disk;
    private final VolumePlacement placement;
    private final VolumeProperties properties;
    private final TenantIdentity identity;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final double leaseSeconds;

    VolumeController(TenantAccess access, VolumeStore store, VolumeDisk disk, VolumePlacement placement,
            VolumeProperties properties, TenantIdentity identity, TransactionTemplate tx, AuditLog audit,
            dev.palisade.platform.dispatch.DispatcherProperties dispatcher) {
        this.access = access;
        this.store = store;
        this.disk = disk;
        this.placement = placement;
        this.properties = properties;
        this.identity = identity;
        this.tx = tx;
        this.audit = audit;
        this.leaseSeconds = dispatcher.leaseTimeout().toMillis() / 1000.0;
    }

    @Schema(name = "NewVolume", description = "A volume to create", example = "{\"name\": \"data\", \"sizeBytes\": 268435456}")
    record NewVolume(
            @Schema(description = "1 to 63 lower-case letters, digits or '-'") String name,
            @Schema(description = "its size in bytes, at least " + VolumeImage.MIN_BYTES + "; counted against the "
                    + "storage quota from its creation") Long sizeBytes) {
    }

    @Schema(name = "Volume", description = "A tenant's volume")
    record VolumeResponse(
            String name,
            long sizeBytes,
            @Schema(description = "READY (its node is up), PENDING (made by the first node that mounts it) or "
                    + "NODE_DOWN (the node that holds it is down: what mounts it waits)") String state,
            @Schema(description = "what mounts it now: services and jobs queued or running") List<String> usedBy,
            Instant createdAt,
            String createdBy,
            @Schema(description = "the node that holds it, for a platform admin only") String home) {
    }

    private VolumeResponse response(Caller caller, VolumeStore.Volume v) {
        String state = v.home() == null ? "PENDING" : store.homeAlive(v.home(), leaseSeconds) ? "READY" : "NODE_DOWN";
        return new VolumeResponse(v.name(), v.sizeBytes(), state, store.users(v), v.createdAt(), v.createdBy(),
                caller.isPlatformAdmin() ? v.home() : null);
    }

    private VolumeStore.Volume find(Tenant tenant, String name) {
        return store.find(tenant.getId(), name).orElseThrow(() -> new NotFoundException("no volume " + name));
    }

    @GetMapping("/api/v1/tenants/{tenant}/volumes")
    @Operation(operationId = "listVolumes", summary = "List the tenant's volumes", description = "Any user of the tenant.")
    List<VolumeResponse> list(Caller caller, @PathVariable("tenant") String slug) {
        Tenant tenant = access.visible(caller, slug);
        return store.list(tenant.getId()).stream().map(v -> response(caller, v)).toList();
    }

    @GetMapping("/api/v1/tenants/{tenant}/volumes/{name}")
    @Operation(operationId = "getVolume", summary = "One of the tenant's volumes", description = "Any user of the tenant.")
    VolumeResponse get(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.visible(caller, slug);
        return response(caller, find(tenant, name));
    }

    @PostMapping("/api/v1/tenants/{tenant}/volumes")
    @Operation(operationId = "createVolume", summary = "Create a volume (tenant admin)", description = "{name, sizeBytes}: "
            + "an ext4 file system of that size on one node's disk, preallocated; a full volume gives its programs ENOSPC. "
            + "Mount it with volumes: [{volume, path, readOnly?}] in a service's or a job's spec.")
    @ApiResponse(responseCode = "201", description = "Created; Location names it",
            content = @Content(schema = @Schema(implementation = VolumeResponse.class)))
    @ApiResponse(responseCode = "422", ref = "OverQuota")
    ResponseEntity<?> create(Caller caller, @PathVariable("tenant") String slug, @RequestBody NewVolume body) {
        Tenant tenant = access.managedBy(caller, slug);
        if (body == null || body.name() == null || !VolumeStore.NAME.matcher(body.name()).matches()) {
            throw ApiProblems.badRequest("name", "1 to 63 lower-case letters, digits or '-', not starting or ending with '-'");
        }
        long max = properties.maxSize().toBytes();
        if (body.sizeBytes() == null || body.sizeBytes() < VolumeImage.MIN_BYTES || body.sizeBytes() > max) {
            throw ApiProblems.badRequest("sizeBytes", "between " + VolumeImage.MIN_BYTES + " and " + max + " bytes");
        }
        if (placement.worker() && disk.unavailableReason() != null) {
            throw new ConflictException("this platform cannot hold volumes: " + disk.unavailableReason());
        }
        // made here at once when this instance runs workloads; else by the first node that mounts it
        String home = placement.worker() ? disk.home() : null;
        VolumeStore.Volume v;
        try {
            v = tx.execute(status -> {
                if (store.find(tenant.getId(), body.name()).isPresent()) {
                    throw new ConflictException("volume " + body.name() + " exists already");
                }
                if (store.count(tenant.getId()) >= properties.maxPerTenant()) {
                    throw new ConflictException("a tenant keeps at most " + properties.maxPerTenant() + " volumes");
                }
                return store.create(tenant.getId(), tenant.getSlug(), body.name(), body.sizeBytes(), home, caller.username());
            });
        } catch (AdmissionException e) {
            return ApiProblems.overQuota(e, Map.of());
        }
        if (home != null) {
            try {
                disk.make(v, identity.uid(tenant.getId()));
            } catch (RuntimeException e) {
                tx.executeWithoutResult(status -> store.delete(v, tenant.getSlug(), "platform"));
                throw new ConflictException("volume " + body.name() + " could not be made: " + e.getMessage()
                        .replace(disk.imageRoot().toString(), "<volumes>"));
            }
        }
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + tenant.getSlug() + "/volumes/" + v.name()))
                .body(response(caller, store.find(tenant.getId(), v.name()).orElseThrow()));
    }

    @DeleteMapping("/api/v1/tenants/{tenant}/volumes/{name}")
    @Operation(operationId = "deleteVolume", summary = "Delete a volume and its data (tenant admin)",
            description = "Refused (409, naming them) while a service or job that mounts it is queued or running.")
    @ApiResponse(responseCode = "204", description = "Deleted")
    ResponseEntity<Void> delete(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name) {
        Tenant tenant = access.managedBy(caller, slug);
        VolumeStore.Volume v = find(tenant, name);
        List<String> users = store.users(v);
        if (!users.isEmpty()) {
            throw new ConflictException("volume " + name + " is in use by " + String.join(", ", users)
                    + "; stop them first");
        }
        if (disk.home().equals(v.home())) {
            try {
                disk.destroy(v.id());
            } catch (VolumeDisk.VolumeInUse e) {
                throw new ConflictException("volume " + name + " is in use; stop what mounts it first");
            }
        }
        // on another instance the row goes now, and the image with the next sweep of its node
        tx.executeWithoutResult(status -> store.delete(v, tenant.getSlug(), caller.username()));
        return ResponseEntity.noContent().build();
    }

    /** Export and import run on the volume's node; this instance must be it. */
    private VolumeStore.Volume here(Tenant tenant, String name) {
        VolumeStore.Volume v = find(tenant, name);
        if (v.home() != null && !v.home().equals(disk.home()) || v.home() == null && !placement.worker()) {
            throw new ConflictException("volume " + name + " lives on another node; export and import are served by "
                    + "that node's instance");
        }
        if (!store.users(v).isEmpty()) {
            throw new ConflictException("volume " + name + " is in use by " + String.join(", ", store.users(v))
                    + "; stop them first");
        }
        return v;
    }

    @GetMapping(path = "/api/v1/tenants/{tenant}/volumes/{name}/archive", produces = "application/x-tar")
    @Operation(operationId = "exportVolume", summary = "Export a volume's files as a tar stream",
            description = "Any user of the tenant; 409 while something mounts it, or when this instance is not the node "
                    + "that holds it.")
    @ApiResponse(responseCode = "200", description = "A tar stream of its files",
            content = @Content(mediaType = "application/x-tar", schema = @Schema(type = "string", format = "binary")))
    void export(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            HttpServletResponse response) throws IOException {
        Tenant tenant = access.visible(caller, slug);
        VolumeStore.Volume v = here(tenant, name);
        int uid = identity.uid(tenant.getId());
        tx.executeWithoutResult(status -> audit.record(caller.username(), tenant, "volume.export", "volume:" + name,
                Map.of()));
        try {
            disk.export(v, uid, new java.io.FilterOutputStream(response.getOutputStream()) {
                private boolean started;

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    start();
                    out.write(b, off, len);
                }

                @Override
                public void write(int b) throws IOException {
                    start();
                    out.write(b);
                }

                // the headers go with the first byte: a refusal before it is still a problem+json answer
                private void start() {
                    if (!started) {
                        started = true;
                        response.setContentType("application/x-tar");
                        response.setHeader("Content-Disposition", "attachment; filename=\"" + name + ".tar\"");
                    }
                }
            });
        } catch (VolumeDisk.VolumeInUse e) {
            throw new ConflictException(e.getMessage());
        }
    }

    @Schema(name = "VolumeImport", description = "What an import wrote")
    record Imported(String name, long bytes) {
    }

    @PutMapping(path = "/api/v1/tenants/{tenant}/volumes/{name}/archive", consumes = {"application/x-tar",
            "application/gzip", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    @Operation(operationId = "importVolume", summary = "Replace a volume's files with a tar stream (tenant admin)",
            description = "The body a .tar or .tar.gz; the volume's files are replaced by the archive's (owned by the "
                    + "tenant's programs). 409 while something mounts it, or when this instance is not the node that "
                    + "holds it; 400 when the archive is malformed or larger than the volume.")
    Imported importArchive(Caller caller, @PathVariable("tenant") String slug, @PathVariable("name") String name,
            HttpServletRequest request) throws IOException {
        Tenant tenant = access.managedBy(caller, slug);
        VolumeStore.Volume v = here(tenant, name);
        long bytes;
        try (InputStream body = request.getInputStream()) {
            bytes = disk.importTar(v, identity.uid(tenant.getId()), body, properties.maxEntries());
        } catch (Archives.ArchiveException e) {
            throw ApiProblems.badRequest("archive", e.getMessage());
        } catch (VolumeDisk.VolumeInUse e) {
            throw new ConflictException(e.getMessage());
        }
        tx.executeWithoutResult(status -> audit.record(caller.username(), tenant, "volume.import", "volume:" + name,
                Map.of("bytes", bytes)));
        return new Imported(name, bytes);
    }
}
