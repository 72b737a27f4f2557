package dev.palisade.model.workload;

import java.util.EnumSet;
import java.util.Set;

/**
 * QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED | TIMED_OUT, or REJECTED at admission.
 * A queued workload may also be cancelled, or failed when it cannot be started at all.
 */
public enum WorkloadState {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, REJECTED;

    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING;
    }

    public boolean canMoveTo(WorkloadState next) {
        return successors().contains(next);
    }

    private Set<WorkloadState> successors() {
        return switch (this) {
            case QUEUED -> EnumSet.of(RUNNING, CANCELLED, FAILED);
            // RUNNING → QUEUED: a lease expired and the retry policy put it back in the queue
            case RUNNING -> EnumSet.of(SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, QUEUED);
            default -> EnumSet.noneOf(WorkloadState.class);
        };
    }
}
