package dev.palisade.model.workload;

/**
 * A submission after the API validated its shape: command and env already as JSON text.
 *
 * @param maxAttempts how often it may be started in all (1: a lost worker fails it; more: it is retried)
 * @param network     {@code none}, {@code loopback} or {@code egress}; null for the kind's default
 */
public record NewWorkload(String name, String image, String commandJson, String envJson, String platform,
        WorkloadLimits limits, int maxAttempts, String network) {

    /** A submission with its kind's default network policy. */
    public NewWorkload(String name, String image, String commandJson, String envJson, String platform,
            WorkloadLimits limits, int maxAttempts) {
        this(name, image, commandJson, envJson, platform, limits, maxAttempts, null);
    }
}
