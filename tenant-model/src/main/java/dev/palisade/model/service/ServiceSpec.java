package dev.palisade.model.service;

import java.util.regex.Pattern;

/**
 * What a SERVICE workload adds to a job: the port its program listens on inside the sandbox
 * (on its private loopback), when to restart it, and an optional HTTP path that answers 2xx/3xx
 * when it is healthy (without one, accepting a connection is healthy).
 */
public record ServiceSpec(String name, int port, RestartPolicy restartPolicy, String healthPath) {

    /** DNS label: the name is also a host name ({@code name.tenant.apps-domain}). */
    public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");
    public static final Pattern HEALTH_PATH = Pattern.compile("/[A-Za-z0-9._~/?=&%-]{0,199}");

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
    }
}
