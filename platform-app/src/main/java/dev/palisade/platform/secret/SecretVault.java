package dev.palisade.platform.secret;

import dev.palisade.model.audit.AuditLog;
import dev.palisade.platform.secret.SecretKeys.Sealed;
import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The tenant_secret and workload_secret tables: values go in sealed and come out only to start
 * a workload's sandbox, each such read audited as {@code secret.read} (by {@code platform}, with
 * the workload; never the value). Nothing here logs or returns a value otherwise.
 */
@Component
public class SecretVault {

    private static final Logger log = LoggerFactory.getLogger(SecretVault.class);
    /** The most bytes of one value (a certificate chain fits, a data set does not). */
    public static final int MAX_VALUE_BYTES = 32 * 1024;
    /** The most secrets a tenant keeps. */
    public static final int MAX_PER_TENANT = 200;

    private final JdbcClient jdbc;
    private final SecretKeys keys;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    /** Values sealed with the same keys outside tenant_secret (certificate, SSO client and TOTP secrets). */
    private final SealedColumns elsewhere;

    SecretVault(JdbcClient jdbc, SecretKeys keys, AuditLog audit, TransactionTemplate tx, SealedColumns elsewhere) {
        this.jdbc = jdbc;
        this.keys = keys;
        this.audit = audit;
        this.tx = tx;
        this.elsewhere = elsewhere;
    }

    /** What anyone may know of a secret: never its value. */
    @Schema(name = "Secret", description = "A secret's name and version; never its value")
    public record Info(String name, int version, Instant createdAt, Instant updatedAt, String updatedBy) {
    }

    /** A secret's value as a sandbox gets it: kept only as long as the sandbox's start. */
    public record Resolved(SecretRef ref, byte[] value) {
    }

    private static String associated(long tenantId, String name) {
        return "tenant_secret:" + tenantId + ":" + name;
    }

    /** Sets (creates, or replaces with the next version) a secret; in the caller's transaction. */
    public Info set(long tenantId, String tenantSlug, String name, byte[] value, String actor) {
        if (!SecretRef.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(new SecretRef(name, null).problem());
        }
        Sealed s = keys.seal(value, associated(tenantId, name));
        int version = jdbc.sql("""
                insert into tenant_secret as s (tenant_id, name, sealed, key_id, updated_by)
                values (:tenant, :name, :sealed, :key, :actor)
                on conflict (tenant_id, name) do update set sealed = excluded.sealed, key_id = excluded.key_id,
                    version = s.version + 1, updated_at = now(), updated_by = excluded.updated_by
                returning version""")
                .param("tenant", tenantId).param("name", name).param("sealed", s.bytes()).param("key", s.keyId())
                .param("actor", actor).query(Integer.class).single();
        audit.record(actor, tenantId, tenantSlug, "secret.set", "secret:" + name, Map.of("version", version));
        return info(tenantId, name).orElseThrow();
    }

    public int count(long tenantId) {
        return jdbc.sql("select count(*) from tenant_secret where tenant_id = :tenant").param("tenant", tenantId)
                .query(Integer.class).single();
    }

    public List<Info> list(long tenantId) {
        return jdbc.sql("select name, version, created_at, updated_at, updated_by from tenant_secret where tenant_id = :tenant order by name")
                .param("tenant", tenantId).query(SecretVault::info).list();
    }

    public Optional<Info> info(long tenantId, String name) {
        return jdbc.sql("select name, version, created_at, updated_at, updated_by from tenant_secret where tenant_id = :tenant and name = :name")
                .param("tenant", tenantId).param("name", name).query(SecretVault::info).optional();
    }

    private static Info info(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new Info(rs.getString(1), rs.getInt(2), rs.getTimestamp(3).toInstant(), rs.getTimestamp(4).toInstant(),
                rs.getString(5));
    }

    /** Deletes a secret; false when there was none. In the caller's transaction. */
    public boolean delete(long tenantId, String tenantSlug, String name, String actor) {
        boolean gone = jdbc.sql("delete from tenant_secret where tenant_id = :tenant and name = :name")
                .param("tenant", tenantId).param("name", name).update() > 0;
        if (gone) {
            audit.record(actor, tenantId, tenantSlug, "secret.delete", "secret:" + name, Map.of());
        }
        return gone;
    }

    /** The names among {@code names} that the tenant has no secret of. */
    public List<String> missing(long tenantId, Collection<String> names) {
        List<String> have = jdbc.sql("select name from tenant_secret where tenant_id = :tenant")
                .param("tenant", tenantId).query(String.class).list();
        return names.stream().distinct().filter(n -> !have.contains(n)).toList();
    }

    /** Records which secrets a workload is given; in the submitting transaction. */
    public void attach(UUID workload, List<SecretRef> refs) {
        for (SecretRef r : new LinkedHashSet<>(refs)) {
            jdbc.sql("insert into workload_secret (workload_id, secret_name, env_name) values (:w, :name, :env)")
                    .param("w", workload).param("name", r.name()).param("env", r.env(), java.sql.Types.VARCHAR).update();
        }
    }

    /** The secrets a workload is given (names and how; no values). */
    public List<SecretRef> refs(UUID workload) {
        return jdbc.sql("select secret_name, env_name from workload_secret where workload_id = :w order by secret_name, env_name")
                .param("w", workload).query((rs, i) -> new SecretRef(rs.getString(1), rs.getString(2))).list();
    }

    /**
     * Opens the workload's secrets for its sandbox, auditing each read. A secret deleted since
     * the workload was submitted fails the start, naming it.
     */
    public List<Resolved> resolve(UUID workload, long tenantId, String tenantSlug) {
        List<SecretRef> refs = refs(workload);
        if (refs.isEmpty()) {
            return List.of();
        }
        return tx.execute(status -> {
            Map<String, byte[]> opened = new LinkedHashMap<>();
            List<Resolved> out = new ArrayList<>();
            for (SecretRef r : refs) {
                byte[] value = opened.get(r.name());
                if (value == null) {
                    Sealed s = jdbc.sql("select key_id, sealed from tenant_secret where tenant_id = :tenant and name = :name")
                            .param("tenant", tenantId).param("name", r.name())
                            .query((rs, i) -> new Sealed(rs.getString(1), rs.getBytes(2))).optional()
                            .orElseThrow(() -> new MissingSecretException(r.name()));
                    value = keys.open(s, associated(tenantId, r.name()));
                    opened.put(r.name(), value);
                    audit.record("platform", tenantId, tenantSlug, "secret.read", "secret:" + r.name(), Map.of("workload", workload));
                }
                out.add(new Resolved(r, value));
            }
            return out;
        });
    }

    /** A workload refers to a secret its tenant no longer has. */
    public static final class MissingSecretException extends RuntimeException {
        MissingSecretException(String name) {
            super("secret '" + name + "' does not exist (deleted after the workload was submitted?)");
        }
    }

    /** Services (by name) whose running or queued deployment is given the secret. */
    public List<String> servicesUsing(long tenantId, String name) {
        return jdbc.sql("""
                select distinct d.service_name from workload_secret ws join workload w on w.id = ws.workload_id
                join service_deployment d on d.workload_id = w.id
                where w.tenant_id = :tenant and ws.secret_name = :name and w.state in ('QUEUED', 'RUNNING')
                order by d.service_name""")
                .param("tenant", tenantId).param("name", name).query(String.class).list();
    }

    /** Re-seals every value not sealed with the current key; returns how many. */
    public int resealAll() {
        String current = keys.currentKeyId();
        int n = 0;
        while (true) {
            Integer done = tx.execute(status -> {
                record Row(long tenant, String name, Sealed sealed) {
                }
                List<Row> rows = jdbc.sql("""
                        select tenant_id, name, key_id, sealed from tenant_secret
                        where key_id <> :current and key_id in (:known)
                        order by tenant_id, name limit 100 for update skip locked""")
                        .param("current", current).param("known", keys.knownIds())
                        .query((rs, i) -> new Row(rs.getLong(1), rs.getString(2), new Sealed(rs.getString(3), rs.getBytes(4))))
                        .list();
                for (Row r : rows) {
                    String aad = associated(r.tenant(), r.name());
                    Sealed again = keys.seal(keys.open(r.sealed(), aad), aad);
                    jdbc.sql("update tenant_secret set sealed = :sealed, key_id = :key where tenant_id = :tenant and name = :name")
                            .param("sealed", again.bytes()).param("key", again.keyId()).param("tenant", r.tenant())
                            .param("name", r.name()).update();
                }
                return rows.size();
            });
            if (done == null || done == 0) {
                return n;
            }
            n += done;
        }
    }

    /** How many values are sealed with a key other than the current one. */
    public int sealedWithOlderKeys() {
        return jdbc.sql("select count(*) from tenant_secret where key_id <> :current").param("current", keys.currentKeyId())
                .query(Integer.class).single();
    }

    /**
     * Rotates the key file's key: a new key becomes current, every value (those of
     * {@link SealedColumns} too) is re-sealed with it, then the old keys are dropped. Returns the new key's id and how many values were re-sealed.
     */
    public synchronized Rotation rotate(String actor) {
        String id = keys.addKey();
        int n = resealAll() + elsewhere.resealAll();
        if (sealedWithOlderKeys() == 0 && elsewhere.sealedWithOlderKeys() == 0) {
            keys.retireAllButCurrent();
        }
        tx.executeWithoutResult(status -> audit.record(actor, (Long) null, null, "secret.rotate-key", "key:" + id,
                Map.of("resealed", n)));
        return new Rotation(id, n);
    }

    @Schema(name = "SecretKeyRotation", description = "The key now current and how many secrets were re-sealed")
    public record Rotation(String keyId, int resealed) {
    }

    /**
     * At start: values still sealed with a previous key are re-sealed with the current one;
     * values sealed with a key this instance does not have are reported (they stay as they are).
     */
    @EventListener(ApplicationReadyEvent.class)
    void resealAtStart() {
        int n = resealAll() + elsewhere.resealAll();
        if (n > 0) {
            log.info("Re-sealed {} secrets with the current key {}", n, keys.currentKeyId());
        }
        int unreadable = sealedWithOlderKeys();
        if (unreadable > 0) {
            log.warn("{} secrets are sealed with a key this instance does not have: configure it in "
                    + "palisade.secrets.previous-keys to read and re-seal them", unreadable);
        }
    }
}
