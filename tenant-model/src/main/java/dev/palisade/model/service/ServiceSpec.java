package dev.palisade.model.service;

import java.util.regex.Pattern;

/**
 * What a SERVICE workload adds to a job: the port its program listens on inside the sandbox
 * (on its private loopback), when to restart it, and an optional HTTP path that answers 2xx/3xx
 * when it is healthy (without one, accepting a connection is healthy). A service is limited by
 * a rate, never by a lifetime total: {@code cpuMillicores} thousandths of a core (0: the
 * platform's default). With {@code minInstances} 0 it scales to zero: stopped after
 * {@code idleTimeoutSeconds} without a request, started again by the next one. It runs
 * {@code instances} copies of its program, among which requests are balanced.
 */
public record ServiceSpec(String name, int port, RestartPolicy restartPolicy, String healthPath, int cpuMillicores,
        int minInstances, int idleTimeoutSeconds, int instances) {

    /** DNS label: the name is also a host name ({@code name.tenant.apps-domain}). */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    public static final Pattern HEALTH_PATH = Pattern.compile("/[A-Za-z0-9._~/?=&%-]{0,199}");
    /** The idle timeout a scaled-to-zero service gets when it names none. */
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 300;
    /** Bounds of the idle timeout: from a second to a day. */
    public static final int MAX_IDLE_TIMEOUT_SECONDS = 86_400;
    /** The most instances one service may ask for (the tenant's concurrency quota bounds it too). */
    public static final int MAX_INSTANCES = 100;

    public ServiceSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: 1 to 40 lower-case letters, digits or '-', not starting or ending with '-'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: between 1 and 65535");
        }
        if (restartPolicy == null) {
            restartPolicy = RestartPolicy.ALWAYS;
        }
        if (healthPath != null && !HEALTH_PATH.matcher(healthPath).matches()) {
            throw new IllegalArgumentException("healthPath: an absolute path of at most 200 URL characters");
        }
        if (cpuMillicores < 0) {
            throw new IllegalArgumentException("cpuCores: must be positive");
        }
        if (minInstances < 0 || minInstances > 1) {
            throw new IllegalArgumentException("minInstances: 0 (scale to zero when idle) or 1");
        }
        if (idleTimeoutSeconds < 0 || idleTimeoutSeconds > MAX_IDLE_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("idleTimeoutSeconds: between 1 and " + MAX_IDLE_TIMEOUT_SECONDS);
        }
        if (instances < 1 || instances > MAX_INSTANCES) {
            throw new IllegalArgumentException("instances: between 1 and " + MAX_INSTANCES);
        }
        if (minInstances == 0 && idleTimeoutSeconds == 0) {
            idleTimeoutSeconds = DEFAULT_IDLE_TIMEOUT_SECONDS;
        }
    }

    /** A service that always runs, at the platform's default CPU rate. */
    public ServiceSpec(String name, int port, RestartPolicy restartPolicy, String healthPath) {
        this(name, port, restartPolicy, healthPath, 0, 1, 0, 1);
    }

    /** Whether it is stopped when idle and started by the next request. */
    public boolean scalesToZero() {
        return minInstances == 0;
    }
}
