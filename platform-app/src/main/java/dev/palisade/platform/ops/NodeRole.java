package dev.palisade.platform.ops;

/**
 * What one instance of the application does, so that API replicas and workers scale apart
 * against one PostgreSQL.
 */
public enum NodeRole {

    /** REST API and console; claims no work. Any number of stateless replicas. */
    API,
    /** Claims and runs workloads; serves nothing but health and metrics. One per sandbox host. */
    WORKER,
    /** Both: the single-machine setup. */
    ALL;

    /** Whether this instance answers the REST API and the console. */
    public boolean servesApi() {
        return this != WORKER;
    }

    /** Whether this instance claims queued workloads and runs them in sandboxes. */
    public boolean runsWorkloads() {
        return this != API;
    }
}
