package dev.palisade.platform.engine;

/**
 * Where a claimed workload of kind SERVICE goes instead of running to completion: implemented
 * by the service feature ({@code dev.palisade.platform.service}), which keeps it running.
 */
public interface ServiceRuns {

    /** Runs the workload if it is a service, until it is stopped; false for a job. */
    boolean runs(WorkloadRunner.Run run, String node);
}
