package dev.palisade.web.workload;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A workload with what it was asked to run (JSON as stored) and what came out of it: the
 * sandbox's result with the system calls it made, counted by name, and those it was refused; and
 * for a service, its deployment (null for a job).
 */
public record WorkloadDetail(WorkloadRow row, String command, String env, String limits, String result, int attempts,
        String message, long artifactBytes, long logBytes, Service service) {

    /** What makes a SERVICE workload a service: its deployment's port, restart policy and status. */
    public record Service(String name, int port, String restartPolicy, String healthPath, String status, int restarts,
            String lastExit, java.time.Instant healthyAt) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public record SyscallCount(String name, long count) {
    }

    public record Denied(String name, String action, int errno, String detail) {
    }

    /** Every system call the program made, most frequent first. */
    public List<SyscallCount> syscalls() {
        JsonNode counts = resultNode().path("syscallCounts");
        List<SyscallCount> list = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : counts.properties()) {
            list.add(new SyscallCount(e.getKey(), e.getValue().asLong()));
        }
        list.sort(Comparator.comparingLong(SyscallCount::count).reversed().thenComparing(SyscallCount::name));
        return list;
    }

    public long syscallTotal() {
        return syscalls().stream().mapToLong(SyscallCount::count).sum();
    }

    public List<Denied> denied() {
        List<Denied> list = new ArrayList<>();
        for (JsonNode d : resultNode().path("deniedCalls")) {
            list.add(new Denied(d.path("name").asString(""), d.path("action").asString(""), d.path("errno").asInt(),
                    d.path("detail").asString("")));
        }
        return list;
    }

    public long deniedDropped() {
        return resultNode().path("deniedCallsDropped").asLong();
    }

    /** The platform it ran on (where {@code row.platform} is what was asked, {@code auto} perhaps); null before it ran. */
    public String ranOn() {
        JsonNode p = resultNode().path("platform");
        return p.isString() ? p.asString() : null;
    }

    /** Why it ran on that platform, one line from the engine; null before it ran or for results stored before it said. */
    public String platformReason() {
        JsonNode r = resultNode().path("platformReason");
        return r.isString() ? r.asString() : null;
    }

    public boolean hasResult() {
        return result != null;
    }

    private JsonNode resultNode() {
        if (result == null) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(result);
        } catch (RuntimeException unreadable) {
            return JSON.createObjectNode();
        }
    }
}
