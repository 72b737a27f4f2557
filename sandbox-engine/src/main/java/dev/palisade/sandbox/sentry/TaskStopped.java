package dev.palisade.sandbox.sentry;

/**
 * The sandbox is ending (a wall or CPU limit, a kill) while the Sentry works for it: a long walk
 * over the task's memory stops at its next check. Not an errno and not a fault; the platform ends
 * the sandbox for the reason it was stopped.
 */
public class TaskStopped extends RuntimeException {
    public TaskStopped() {
        super("the sandbox is ending", null, false, false);
    }
}
