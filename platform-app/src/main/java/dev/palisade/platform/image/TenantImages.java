package dev.palisade.platform.image;

import dev.palisade.model.ConflictException;
import dev.palisade.model.NotFoundException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.workload.AdmissionException;
import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.storage.StorageRoom;
import dev.palisade.platform.workload.Archives;
import dev.palisade.sandbox.FileTrees;
import io.swagger.v3.oas.annotations.media.Schema;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.largeobject.LargeObject;
import org.postgresql.largeobject.LargeObjectManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Images a tenant uploads itself: streamed to a scratch directory (never whole in memory),
 * checked and unpacked with {@link OciImages}, counted against the tenant's storage quota, and
 * kept as layers in PostgreSQL large objects, one per content digest whoever uploaded it (each
 * upload still sends and proves every byte of its own layers, so nobody learns what another
 * tenant has). Each node unpacks an image once, under {@code <data-dir>/images/tenant/<id>},
 * from those layers, checking their digests again.
 */
@Component
public class TenantImages {

    private static final Logger log = LoggerFactory.getLogger(TenantImages.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JdbcClient jdbc;
    private final DataSource dataSource;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final ImageProperties limits;
    private final Path dir;
    private final Path uploads;

    private final StorageRoom room;

    TenantImages(JdbcClient jdbc, DataSource dataSource, TransactionTemplate tx, AuditLog audit, ImageProperties limits,
            PalisadeProperties palisade, StorageRoom room) {
        this.room = room;
        this.jdbc = jdbc;
        this.dataSource = dataSource;
        this.tx = tx;
        this.audit = audit;
        this.limits = limits;
        Path data = palisade.dataDir().toAbsolutePath().normalize();
        this.dir = data.resolve("images").resolve("tenant");
        this.uploads = data.resolve("uploads");
        FileTrees.delete(uploads);
    }

    /**
     * What the runtime takes from an image's config: the program ({@code Entrypoint}, then
     * {@code Cmd} unless the workload gives its own command), environment, working directory,
     * the user it names (always run as the tenant's uid) and the first exposed TCP port.
     */
    @Schema(name = "TenantImageConfig", description = "What of the image's config the runtime honours")
    public record ImageConfig(List<String> entrypoint, List<String> cmd, Map<String, String> env, String workingDir,
            String user, Integer exposedPort) {

        static final ImageConfig NONE = new ImageConfig(List.of(), List.of(), Map.of(), null, null, null);

        /** The program to run: the entrypoint, then the workload's command or else the image's Cmd. */
        public List<String> command(List<String> given) {
            List<String> out = new ArrayList<>(entrypoint);
            out.addAll(given == null || given.isEmpty() ? cmd : given);
            return out;
        }
    }

    /** An image as its tenant sees it. */
    @Schema(name = "TenantImage", description = "One of a tenant's own images")
    public record Info(String name, String digest, long sizeBytes, int layers, ImageConfig config, Instant createdAt,
            String createdBy) {
    }

    /** Deleting an image that queued or running workloads use. */
    public static final class InUseException extends ConflictException {
        InUseException(String name, List<String> services, int jobs) {
            super("image '" + name + "' is in use" + (services.isEmpty() ? "" : " by services " + String.join(", ", services))
                    + (jobs == 0 ? "" : (services.isEmpty() ? " by " : " and ") + jobs + " queued or running jobs")
                    + "; stop them first");
        }
    }

    /**
     * Uploads an image for the tenant from {@code archive} (docker save or an OCI layout tar,
     * plain, gzip or zstd, with plain, gzip or zstd layers).
     *
     * @throws Images.ImportRefused a bad name or archive (the message names the layer at fault)
     * @throws ConflictException    the name is taken
     * @throws AdmissionException   the tenant's storage quota would be passed
     */
    public Info upload(String actor, long tenantId, String tenantSlug, String name, InputStream archive) {
        if (name == null || name.length() > 100 || !name.matches("[a-z0-9]([a-z0-9._-]*[a-z0-9])?")) {
            throw new Images.ImportRefused("name", "lower-case letters, digits, '.', '_' and '-', at most 100");
        }
        if (publicName(name)) {
            throw new ConflictException("'" + name + "' is the name of an image every tenant has; choose another");
        }
        if (find(tenantId, name).isPresent()) {
            throw new ConflictException("image '" + name + "' already exists; delete it first");
        }
        Path scratch = uploads.resolve(UUID.randomUUID().toString());
        Path staging = dir.resolve("staging-" + UUID.randomUUID());
        try {
            OciImages.Parsed parsed;
            try {
                parsed = OciImages.read(archive, scratch, limits.maxSize().toBytes());
                if (parsed.config() == null || parsed.layers().stream().anyMatch(l -> l.diffId() == null)) {
                    throw new Archives.ArchiveException("the image has no config with its layers' digests "
                            + "(docker save and OCI layouts have one)");
                }
                room.require(tenantId, parsed.blobBytes(), "image");
                OciImages.unpack(parsed, staging.resolve("rootfs"), limits.maxEntries(), limits.maxUnpacked().toBytes());
            } catch (Archives.ArchiveException e) {
                throw new Images.ImportRefused("archive", e.getMessage());
            }
            ImageConfig config = config(parsed.config());
            if (config.workingDir() != null) {
                Path wd = Archives.inside(staging.resolve("rootfs"), config.workingDir().replaceFirst("^/+", ""));
                if (wd != null) {
                    Archives.refuseLinksOnTheWay(staging.resolve("rootfs"), wd, config.workingDir());
                    Files.createDirectories(wd);
                }
            }
            long id = store(actor, tenantId, tenantSlug, name, parsed, config);
            Path home = dir.resolve(Long.toString(id));
            FileTrees.delete(home);
            Files.move(staging, home);
            return find(tenantId, name).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Archives.ArchiveException e) {
            throw new Images.ImportRefused("archive", e.getMessage());
        } finally {
            FileTrees.delete(scratch);
            FileTrees.delete(staging);
        }
    }

    private boolean publicName(String name) {
        return Images.HOST.equals(name) || Images.SCRATCH.equals(name)
                || jdbc.sql("select count(*) from image where name = :name").param("name", name).query(Long.class).single() > 0;
    }

    /** Stores the layers the platform has not got yet and the image's row, in one transaction; its id. */
    private long store(String actor, long tenantId, String tenantSlug, String name, OciImages.Parsed parsed, ImageConfig config) {
        Long id = tx.execute(status -> {
            // the same lock admission takes: uploads and submits of one tenant see each other's bytes
            room.lock(tenantId);
            room.require(tenantId, parsed.blobBytes(), "image");
            List<String> diffIds = new ArrayList<>();
            for (OciImages.Layer l : parsed.layers()) {
                diffIds.add(l.diffId());
                boolean have = jdbc.sql("select count(*) from image_layer where digest = :d").param("d", l.diffId())
                        .query(Long.class).single() > 0;
                if (!have) {
                    long oid = writeLargeObject(l.blob().file());
                    int inserted = jdbc.sql("""
                            insert into image_layer (digest, size_bytes, blob) values (:d, :size, :oid) on conflict do nothing""")
                            .param("d", l.diffId()).param("size", l.blob().size()).param("oid", oid).update();
                    if (inserted == 0) {
                        unlink(oid); // another upload stored it meanwhile
                    }
                }
            }
            long newId = jdbc.sql("""
                    insert into tenant_image (tenant_id, name, digest, config, layers, size_bytes, created_by)
                    values (:tenant, :name, :digest, cast(:config as jsonb), cast(:layers as jsonb), :size, :actor)
                    returning id""")
                    .param("tenant", tenantId).param("name", name).param("digest", parsed.configDigest())
                    .param("config", JSON.writeValueAsString(config)).param("layers", JSON.writeValueAsString(diffIds))
                    .param("size", parsed.blobBytes()).param("actor", actor).query(Long.class).single();
            audit.record(actor, tenantId, tenantSlug, "image.upload", "image:" + name,
                    Map.of("digest", parsed.configDigest(), "layers", diffIds.size(), "bytes", parsed.blobBytes()));
            return newId;
        });
        return id;
    }

    private long writeLargeObject(Path file) {
        try {
            LargeObjectManager lom = connection().unwrap(PGConnection.class).getLargeObjectAPI();
            long oid = lom.createLO(LargeObjectManager.READWRITE);
            LargeObject lo = lom.open(oid, LargeObjectManager.WRITE);
            try (OutputStream out = lo.getOutputStream(); InputStream in = Files.newInputStream(file)) {
                in.transferTo(out);
            }
            return oid;
        } catch (SQLException e) {
            throw new IllegalStateException("could not store an image layer: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void unlink(long oid) {
        try {
            connection().unwrap(PGConnection.class).getLargeObjectAPI().delete(oid);
        } catch (SQLException e) {
            throw new IllegalStateException("could not remove an image layer: " + e.getMessage(), e);
        }
    }

    private Connection connection() {
        return DataSourceUtils.getConnection(dataSource);
    }

    static ImageConfig config(JsonNode document) {
        JsonNode c = document == null ? null : document.path("config");
        if (c == null || c.isMissingNode() || c.isNull()) {
            return ImageConfig.NONE;
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : c.path("Env")) {
            String kv = e.asString();
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        Integer port = null;
        for (var it = c.path("ExposedPorts").propertyNames().iterator(); it.hasNext() && port == null; ) {
            String p = it.next();
            if (p.matches("\\d{1,5}(/tcp)?")) {
                int n = Integer.parseInt(p.replace("/tcp", ""));
                port = n >= 1 && n <= 65535 ? n : null;
            }
        }
        String wd = c.path("WorkingDir").asString("");
        String user = c.path("User").asString("");
        return new ImageConfig(strings(c.path("Entrypoint")), strings(c.path("Cmd")), env,
                wd.isBlank() || !wd.startsWith("/") ? null : wd, user.isBlank() ? null : user, port);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : array) {
            out.add(s.asString());
        }
        return out;
    }

    private static final String SELECT = """
            select name, digest, size_bytes, jsonb_array_length(layers), config::text, created_at, created_by
            from tenant_image""";

    private static Info info(java.sql.ResultSet rs, int i) throws SQLException {
        return new Info(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getInt(4),
                JSON.readValue(rs.getString(5), ImageConfig.class), rs.getTimestamp(6).toInstant(), rs.getString(7));
    }

    public List<Info> list(long tenantId) {
        return jdbc.sql(SELECT + " where tenant_id = :tenant order by name").param("tenant", tenantId)
                .query(TenantImages::info).list();
    }

    public Optional<Info> find(long tenantId, String name) {
        return jdbc.sql(SELECT + " where tenant_id = :tenant and name = :name").param("tenant", tenantId).param("name", name)
                .query(TenantImages::info).optional();
    }

    /** Deletes the tenant's image, refused while queued or running workloads use it. */
    public void delete(String actor, long tenantId, String tenantSlug, String name) {
        Long id = jdbc.sql("select id from tenant_image where tenant_id = :tenant and name = :name")
                .param("tenant", tenantId).param("name", name).query(Long.class).optional()
                .orElseThrow(() -> new NotFoundException("no image " + name));
        tx.executeWithoutResult(status -> {
            List<String> services = jdbc.sql("""
                    select distinct d.service_name from workload w join service_deployment d on d.workload_id = w.id
                    where w.tenant_id = :tenant and w.image = :name and w.state in ('QUEUED', 'RUNNING') order by 1""")
                    .param("tenant", tenantId).param("name", name).query(String.class).list();
            int jobs = jdbc.sql("""
                    select count(*) from workload w where w.tenant_id = :tenant and w.image = :name and w.kind = 'JOB'
                      and w.state in ('QUEUED', 'RUNNING')""")
                    .param("tenant", tenantId).param("name", name).query(Integer.class).single();
            if (!services.isEmpty() || jobs > 0) {
                throw new InUseException(name, services, jobs);
            }
            jdbc.sql("delete from tenant_image where id = :id").param("id", id).update();
            audit.record(actor, tenantId, tenantSlug, "image.delete", "image:" + name, Map.of());
            collectLayers();
        });
        FileTrees.delete(dir.resolve(Long.toString(id)));
    }

    /** Removes the layers no image has any more (after a delete, or a deleted tenant's images). */
    private void collectLayers() {
        List<Long> oids = jdbc.sql("""
                delete from image_layer l where not exists (select 1 from tenant_image i where i.layers @> jsonb_build_array(l.digest))
                returning blob""").query(Long.class).list();
        for (long oid : oids) {
            unlink(oid);
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    void collectAtStart() {
        tx.executeWithoutResult(status -> collectLayers());
    }

    /** The image's config, if the tenant has an image of that name. */
    public Optional<ImageConfig> config(long tenantId, String name) {
        return find(tenantId, name).map(Info::config);
    }

    /**
     * The tenant's image unpacked on this node (done now if it is not yet, from its layers in the
     * database, their digests checked again); empty if the tenant has no image of that name.
     */
    public synchronized Optional<Path> root(long tenantId, String name) {
        record Row(long id, List<String> layers) {
        }
        Optional<Row> row = jdbc.sql("select id, layers::text from tenant_image where tenant_id = :tenant and name = :name")
                .param("tenant", tenantId).param("name", name)
                .query((rs, i) -> new Row(rs.getLong(1), JSON.readValue(rs.getString(2), new TypeReference<List<String>>() { })))
                .optional();
        if (row.isEmpty()) {
            return Optional.empty();
        }
        Path home = dir.resolve(Long.toString(row.get().id()));
        Path rootfs = home.resolve("rootfs");
        if (Files.isDirectory(rootfs)) {
            return Optional.of(rootfs);
        }
        Path staging = dir.resolve("staging-" + UUID.randomUUID());
        try {
            tx.executeWithoutResult(status -> {
                LargeObjectManager lom;
                try {
                    lom = connection().unwrap(PGConnection.class).getLargeObjectAPI();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
                List<OciImages.LayerSource> sources = new ArrayList<>();
                for (String digest : row.get().layers()) {
                    long oid = jdbc.sql("select blob from image_layer where digest = :d").param("d", digest)
                            .query(Long.class).single();
                    sources.add(new OciImages.LayerSource(digest, digest, () -> {
                        try {
                            return lom.open(oid, LargeObjectManager.READ).getInputStream();
                        } catch (SQLException e) {
                            throw new IOException(e.getMessage(), e);
                        }
                    }));
                }
                OciImages.unpackLayers(sources, staging.resolve("rootfs"), limits.maxEntries(), limits.maxUnpacked().toBytes());
            });
            ImageConfig config = config(tenantId, name).orElse(ImageConfig.NONE);
            if (config.workingDir() != null) {
                Path wd = Archives.inside(staging.resolve("rootfs"), config.workingDir().replaceFirst("^/+", ""));
                if (wd != null) {
                    Files.createDirectories(wd);
                }
            }
            FileTrees.delete(home);
            Files.move(staging, home);
            log.info("Unpacked image {} of tenant {} on this node", name, tenantId);
            return Optional.of(rootfs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            FileTrees.delete(staging);
        }
    }
}
