package dev.palisade.web.service;

import dev.palisade.web.support.CurrentUser;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the service pages ask of the platform, as the REST API offers it (access checks, audit,
 * admission and roll-over are the API's). A platform admin passes any tenant's slug; anybody
 * else only their own.
 */
public interface ServiceConsole {

    /** A service as its list shows it: its newest deployment. */
    record Row(String tenant, String name, UUID workloadId, String state, String status, int restarts, long requests,
            double requestsPerMinute, String address, String image, int port, String healthPath, String restartPolicy,
            String lastExit, boolean running, int instances, int healthyInstances) {
    }

    /** One deployment in a service's history, newest first. */
    record Deployment(UUID workloadId, String state, String status, String image, String archiveDigest,
            String deployedBy, Instant createdAt, Instant healthyAt) {
    }

    /**
     * A deploy as the form gives it; {@code archive} the code (null: none), {@code secrets} name → env or null,
     * {@code cpuCores} a rate, {@code minInstances} 0 to scale to zero after {@code idleTimeoutSeconds},
     * {@code instances} how many run (null: one).
     */
    record Deploy(String name, String image, List<String> command, Map<String, String> env, Integer port,
            String healthPath, String restartPolicy, Map<String, String> secrets, Double cpuCores, Long memoryBytes,
            String platform, byte[] archive, List<Mount> volumes, String network, Integer minInstances,
            Integer idleTimeoutSeconds, Integer instances) {
    }

    /** A volume of the tenant mounted at {@code path}. */
    record Mount(String volume, String path, boolean readOnly) {
    }

    /** The platform refused (a bad field, over quota, not running…); the message says why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    /** The newest deployment of each service of the tenant, or of every tenant with {@code tenant} null (admins). */
    List<Row> list(CurrentUser me, String tenant);

    Row get(CurrentUser me, String tenant, String name);

    List<Deployment> history(CurrentUser me, String tenant, String name);

    /** A new deployment (a redeploy when the name runs already); its workload id. */
    UUID deploy(CurrentUser me, String tenant, Deploy deploy);

    /** A new deployment like {@code to} (null: the newest earlier healthy one). */
    UUID rollBack(CurrentUser me, String tenant, String name, UUID to);

    /** A new deployment with the newest one's spec and code: a restart that rolls over when healthy. */
    UUID redeploy(CurrentUser me, String tenant, String name);

    void stop(CurrentUser me, String tenant, String name);

    UUID start(CurrentUser me, String tenant, String name);

    /** Deletes a stopped service with its history and logs. */
    void delete(CurrentUser me, String tenant, String name);

    /** Image names the tenant may deploy on (shared and its own). */
    List<String> images(CurrentUser me);

    /** Names of the tenant's secrets. */
    List<String> secrets(CurrentUser me, String tenant);
}
