package dev.palisade.web.workload;

/** A workload with what it was asked to run (JSON as stored) and what came out of it. */
public record WorkloadDetail(WorkloadRow row, String command, String env, String limits, String result, int attempts) {
}
