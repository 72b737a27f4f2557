package dev.palisade.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import tools.jackson.databind.JsonNode;

/** A tenant's workloads: run one (and wait for its exit status), list, show, cancel. */
@Command(name = "workloads", mixinStandardHelpOptions = true, description = "List a tenant's workloads.",
        subcommands = {WorkloadsCommand.Run.class, WorkloadsCommand.Get.class, WorkloadsCommand.Cancel.class})
final class WorkloadsCommand implements Callable<Integer> {

    static final String[] COLUMNS = {"id", "name", "state", "exitCode", "terminationReason", "createdAt"};

    @ParentCommand
    Palisade root;

    @Option(names = {"-t", "--tenant"}, scope = picocli.CommandLine.ScopeType.INHERIT, description = "the tenant's slug")
    String tenant;

    @Option(names = "--state", description = "only workloads in this state (QUEUED, RUNNING, SUCCEEDED, FAILED, …)")
    String state;

    @Override
    public Integer call() throws Exception {
        String query = "?size=50" + (state == null ? "" : "&state=" + Api.segment(state));
        root.output.print(System.out, root.api().get(path(Palisade.tenant(tenant)) + query), COLUMNS);
        return 0;
    }

    static String path(String tenant) {
        return "/api/v1/tenants/" + Api.segment(tenant) + "/workloads";
    }

    /** The exit status a finished workload stands for: its program's, or one that says how it ended. */
    static int exitStatus(JsonNode w) {
        JsonNode code = w.get("exitCode");
        if (code != null && !code.isNull()) {
            return code.asInt();
        }
        return switch (w.get("state").asString()) {
            case "SUCCEEDED" -> 0;
            case "TIMED_OUT" -> 124;
            case "CANCELLED" -> 130;
            default -> 1;
        };
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Submit a workload: palisade workloads run [--wait] -- PROGRAM [ARGS…]. "
            + "With --wait, print its log and exit with its exit status.")
    static final class Run implements Callable<Integer> {

        @ParentCommand
        WorkloadsCommand workloads;

        @Option(names = "--name", description = "the workload's name")
        String name;

        @Option(names = "--image", description = "the image (default: host)")
        String image;

        @Option(names = {"-e", "--env"}, description = "an environment variable, repeatable")
        Map<String, String> env = new LinkedHashMap<>();

        @Option(names = "--platform", description = "auto, ptrace or kvm")
        String platform;

        @Option(names = "--cpu-ms", description = "CPU limit in milliseconds")
        Long cpuMillis;

        @Option(names = "--wall-ms", description = "wall-clock limit in milliseconds")
        Long wallMillis;

        @Option(names = "--memory", description = "memory limit in bytes")
        Long memoryBytes;

        @Option(names = {"-w", "--wait"}, description = "wait until it ends, print its log, exit with its status")
        boolean await;

        @Option(names = {"-f", "--follow"}, description = "with --wait: print the log live as it is written")
        boolean follow;

        @Parameters(arity = "1..*", description = "the program and its arguments (after --)")
        List<String> command;

        @Override
        public Integer call() throws Exception {
            Palisade root = workloads.root;
            String tenant = Palisade.tenant(workloads.tenant);
            Api api = root.api();
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("command", command);
            if (name != null) {
                spec.put("name", name);
            }
            if (image != null) {
                spec.put("image", image);
            }
            if (!env.isEmpty()) {
                spec.put("env", env);
            }
            if (platform != null) {
                spec.put("platform", platform);
            }
            Map<String, Object> limits = new LinkedHashMap<>();
            if (cpuMillis != null) {
                limits.put("cpuMillis", cpuMillis);
            }
            if (wallMillis != null) {
                limits.put("wallMillis", wallMillis);
            }
            if (memoryBytes != null) {
                limits.put("memoryBytes", memoryBytes);
            }
            if (!limits.isEmpty()) {
                spec.put("limits", limits);
            }
            JsonNode submitted = api.post(path(tenant), spec);
            String id = submitted.get("id").asString();
            if (!await && !follow) {
                root.output.print(System.out, submitted, COLUMNS);
                return 0;
            }
            if (follow) {
                LogsCommand.follow(api, tenant, id);
            }
            JsonNode done = awaitEnd(api, tenant, id);
            if (!follow) {
                System.out.print(api.text(path(tenant) + "/" + id + "/logs"));
                System.out.flush();
            }
            if (root.output == Output.JSON) {
                root.output.print(System.out, done);
            }
            if (!done.get("state").asString().equals("SUCCEEDED")) {
                System.err.println("workload " + id + " " + done.get("state").asString().toLowerCase(java.util.Locale.ROOT)
                        + ": " + done.path("message").asString(""));
            }
            return exitStatus(done);
        }

        private static JsonNode awaitEnd(Api api, String tenant, String id) throws InterruptedException {
            long pause = 50;
            while (true) {
                JsonNode w = api.get(path(tenant) + "/" + Api.segment(id));
                if (!w.get("finishedAt").isNull()) {
                    return w;
                }
                Thread.sleep(pause);
                pause = Math.min(1000, pause * 2);
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show a workload.")
    static final class Get implements Callable<Integer> {

        @ParentCommand
        WorkloadsCommand workloads;

        @Parameters(index = "0", description = "the workload's id")
        String id;

        @Override
        public Integer call() throws Exception {
            Palisade root = workloads.root;
            root.output.print(System.out, root.api().get(path(Palisade.tenant(workloads.tenant)) + "/" + Api.segment(id)),
                    COLUMNS);
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a workload.")
    static final class Cancel implements Callable<Integer> {

        @ParentCommand
        WorkloadsCommand workloads;

        @Parameters(index = "0", description = "the workload's id")
        String id;

        @Override
        public Integer call() throws Exception {
            Palisade root = workloads.root;
            root.output.print(System.out, root.api().post(path(Palisade.tenant(workloads.tenant)) + "/"
                    + Api.segment(id) + "/cancel", null), COLUMNS);
            return 0;
        }
    }
}
