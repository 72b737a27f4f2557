package dev.palisade.sandbox.sentry;

/** The task's memory limit would be passed: the sandbox ends with MEMORY_LIMIT (not an errno, not a fault). */
public class OutOfTaskMemory extends RuntimeException {
    public OutOfTaskMemory(String message) {
        super(message);
    }
}
