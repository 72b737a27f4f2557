package dev.palisade.model.service;

/** When a service whose program ended is started again. */
public enum RestartPolicy {
    /** Whatever the exit: a service is meant to run until stopped. */
    ALWAYS,
    /** Only after a non-zero exit, a signal or a limit; a clean exit ends the deployment. */
    ON_FAILURE,
    /** Never: the deployment ends with its program. */
    NEVER;

    public boolean restartsAfter(boolean cleanExit) {
        return this == ALWAYS || (this == ON_FAILURE && !cleanExit);
    }
}
