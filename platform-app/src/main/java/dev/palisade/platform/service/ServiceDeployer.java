package dev.palisade.platform.service;

import dev.palisade.model.ConflictException;
import dev.palisade.model.audit.AuditLog;
import dev.palisade.model.service.ServiceSpec;
import dev.palisade.model.service.ServiceStatus;
import dev.palisade.model.tenant.Tenant;
import dev.palisade.model.workload.NewWorkload;
import dev.palisade.model.workload.Workload;
import dev.palisade.model.workload.WorkloadLimits;
import dev.palisade.model.workload.WorkloadService;
import dev.palisade.model.workload.WorkloadService.Admitted;
import dev.palisade.platform.dispatch.Dispatcher;
import dev.palisade.platform.dispatch.WorkloadStore;
import dev.palisade.platform.secret.SecretRef;
import dev.palisade.platform.secret.SecretVault;
import dev.palisade.platform.volume.VolumeStore;
import dev.palisade.platform.workload.WorkloadProperties;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Makes a new deployment of a service: admitted as a workload, its spec, code archive and
 * secrets stored in the same transaction, audited; the one path for a deploy, a start after a
 * stop, a roll back and a restart because a secret it uses changed (the older deployment stops
 * once the new one is healthy). Deployments of one service are admitted one at a time, under the
 * service's lock, so that parallel deploys and starts never leave two of them on their way.
 */
@Component
public class ServiceDeployer {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Deployment statuses a redeploy may replace: one that serves (or is scaled to zero), or one that keeps crashing. */
    private static final Set<ServiceStatus> REPLACEABLE = EnumSet.of(ServiceStatus.HEALTHY, ServiceStatus.IDLE,
            ServiceStatus.BACKOFF, ServiceStatus.CRASH_LOOP);

    private final WorkloadService workloads;
    private final ServiceStore services;
    private final WorkloadStore store;
    private final SecretVault secrets;
    private final Dispatcher dispatcher;
    private final WorkloadProperties properties;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final VolumeStore volumes;

    ServiceDeployer(WorkloadService workloads, ServiceStore services, WorkloadStore store, SecretVault secrets,
            Dispatcher dispatcher, WorkloadProperties properties, TransactionTemplate tx, AuditLog audit,
            VolumeStore volumes) {
        this.store = store;
        this.volumes = volumes;
        this.workloads = workloads;
        this.services = services;
        this.secrets = secrets;
        this.dispatcher = dispatcher;
        this.properties = properties;
        this.tx = tx;
        this.audit = audit;
    }

    /**
     * Admits a new deployment; the admission's refusal, if any, is in the answer. {@code archive}:
     * the code unpacked read-only at /app (checked already), or null.
     */
    Admitted deploy(String actor, Tenant tenant, ServiceSpec spec, NewWorkload w, List<SecretRef> refs,
            List<VolumeStore.Attached> mounts, byte[] archive, String why) {
        return admit(actor, tenant, spec, w, refs, mounts, archive, why, true);
    }

    /**
     * Admits a deployment under the service's lock, only while no other deployment of it is on
     * its way (queued, or running but not yet healthy). A redeploy ({@code replacing}) may run
     * beside the one deployment it replaces (healthy, or crashing) until it turns healthy itself;
     * a start only when none runs. Whoever comes second gets 409.
     */
    private Admitted admit(String actor, Tenant tenant, ServiceSpec spec, NewWorkload w, List<SecretRef> refs,
            List<VolumeStore.Attached> mounts, byte[] archive, String why, boolean replacing) {
        String digest = archive == null ? null : sha256(archive);
        Admitted admitted = tx.execute(status -> {
            services.lock(tenant.getId(), spec.name());
            refuseWhileOnItsWay(tenant, spec.name(), replacing);
            Admitted a = workloads.submit(actor, tenant, w, archive == null ? 0 : archive.length,
                    properties.maxQueuedPerTenant());
            if (a.refusal() == null) {
                if (archive != null) {
                    store.putFile(a.workload().getId(), "input", archive);
                }
                services.insert(a.workload().getId(), tenant.getId(), spec, digest, actor);
                secrets.attach(a.workload().getId(), refs);
                volumes.attach(a.workload().getId(), mounts);
                Map<String, Object> details = new LinkedHashMap<>();
                details.put("workload", a.workload().getId());
                details.put("port", spec.port());
                if (digest != null) {
                    details.put("archive", digest);
                }
                if (why != null) {
                    details.put("reason", why);
                }
                audit.record(actor, tenant, "service.deploy", "service:" + spec.name(), details);
            }
            return a;
        });
        if (admitted.refusal() == null) {
            dispatcher.wake();
        }
        return admitted;
    }

    private void refuseWhileOnItsWay(Tenant tenant, String name, boolean replacing) {
        List<ServiceStore.Deployment> active = services.history(tenant.getId(), name).stream()
                .filter(d -> d.workloadState().equals("QUEUED") || d.workloadState().equals("RUNNING")).toList();
        boolean replaceable = replacing && active.size() == 1 && active.get(0).workloadState().equals("RUNNING")
                && REPLACEABLE.contains(active.get(0).status());
        if (!active.isEmpty() && !replaceable) {
            ServiceStore.Deployment on = active.get(0);
            throw new ConflictException("service '" + name + "' " + (replacing
                    ? "has a deployment on its way already (" + (on.workloadState().equals("QUEUED") ? "queued"
                            : on.status().name().toLowerCase(Locale.ROOT)) + "); deploy again once it is healthy, "
                            + "or stop the service first"
                    : "is already " + on.workloadState().toLowerCase(Locale.ROOT)));
        }
    }

    /** Starts a stopped service again as {@code d} was; refused while a deployment of it is on its way or runs. */
    Admitted start(String actor, Tenant tenant, ServiceStore.Deployment d) {
        return again(actor, tenant, d, null, false);
    }

    /** A new deployment with the spec, program and secrets of {@code d}, replacing the running one. */
    Admitted again(String actor, Tenant tenant, ServiceStore.Deployment d, String why) {
        return again(actor, tenant, d, why, true);
    }

    private Admitted again(String actor, Tenant tenant, ServiceStore.Deployment d, String why, boolean replacing) {
        Workload old = workloads.get(tenant, d.workloadId());
        Map<String, Long> l = JSON.readValue(old.getLimits(), new TypeReference<Map<String, Long>>() { });
        WorkloadLimits limits = new WorkloadLimits(l.get("cpuMillis"), l.get("wallMillis"), l.get("memoryBytes"),
                l.get("maxProcesses") == null ? null : l.get("maxProcesses").intValue(), l.get("outputBytes"));
        NewWorkload w = new NewWorkload(old.getName(), old.getImage(), old.getCommand(), old.getEnv(), old.getPlatform(),
                limits, 1, old.getNetwork());
        List<VolumeStore.Attached> mounts;
        try {
            mounts = volumes.mounts(d.workloadId());
        } catch (VolumeStore.MissingVolumeException e) {
            throw new ConflictException(e.getMessage() + "; deploy the service again without it");
        }
        return admit(actor, tenant, d.spec(), w, secrets.refs(d.workloadId()), mounts,
                store.file(d.workloadId(), "input").orElse(null), why, replacing);
    }

    /**
     * A new deployment made from an earlier one's spec, program, image, code and secrets:
     * {@code target}, or else the newest one before the current that was healthy once.
     */
    Admitted rollBack(String actor, Tenant tenant, String name, java.util.UUID target) {
        List<ServiceStore.Deployment> history = services.history(tenant.getId(), name);
        if (history.isEmpty()) {
            throw new dev.palisade.model.NotFoundException("no service " + name);
        }
        ServiceStore.Deployment to = target != null
                ? history.stream().filter(d -> d.workloadId().equals(target)).findFirst()
                        .orElseThrow(() -> new dev.palisade.model.NotFoundException("no deployment " + target + " of " + name))
                : history.stream().skip(1).filter(d -> d.healthyAt() != null).findFirst()
                        .orElseThrow(() -> new dev.palisade.model.ConflictException("service " + name
                                + " has no earlier deployment that was healthy to roll back to"));
        return again(actor, tenant, to, "rollback to " + to.workloadId());
    }

    private static String sha256(byte[] data) {
        try {
            return "sha256:" + java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Restarts (as a rolling redeploy) every running service of the tenant that is given the
     * secret; returns their names. The secret's new value is read when each new deployment starts.
     */
    public List<String> restartUsing(String actor, Tenant tenant, String secret) {
        List<String> names = secrets.servicesUsing(tenant.getId(), secret);
        for (String name : names) {
            services.history(tenant.getId(), name).stream().findFirst().ifPresent(d -> {
                try {
                    again(actor, tenant, d, "secret " + secret + " changed");
                } catch (ConflictException onItsWay) {
                    // a deployment of it is starting already: it reads the secret's new value itself
                }
            });
        }
        return names;
    }
}
