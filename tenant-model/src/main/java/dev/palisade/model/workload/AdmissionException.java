package dev.palisade.model.workload;

/**
 * A submission refused by admission control, naming the limit, the tenant's quota for it and
 * the usage (or request) that went past it. {@code retryable} means it may pass later (a full
 * queue, the month's CPU used up), as opposed to a request that can never fit.
 */
public class AdmissionException extends RuntimeException {

    private final String limit;
    private final long quota;
    private final long usage;
    private final boolean retryable;

    public AdmissionException(String limit, long quota, long usage, boolean retryable, String message) {
        super(message);
        this.limit = limit;
        this.quota = quota;
        this.usage = usage;
        this.retryable = retryable;
    }

    public String limit() {
        return limit;
    }

    public long quota() {
        return quota;
    }

    public long usage() {
        return usage;
    }

    public boolean retryable() {
        return retryable;
    }
}
