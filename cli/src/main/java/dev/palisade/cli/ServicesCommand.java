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

/** A tenant's hosted services: deploy, list, and the newest deployment's log. */
@Command(name = "services", mixinStandardHelpOptions = true, description = "List a tenant's services.",
        subcommands = {ServicesCommand.Deploy.class, ServicesCommand.Logs.class})
final class ServicesCommand implements Callable<Integer> {

    static final String[] COLUMNS = {"name", "status", "state", "url", "instances", "healthyInstances", "restarts", "workloadId"};

    @ParentCommand
    Palisade root;

    @Option(names = {"-t", "--tenant"}, scope = picocli.CommandLine.ScopeType.INHERIT, description = "the tenant's slug")
    String tenant;

    @Override
    public Integer call() throws Exception {
        root.output.print(System.out, root.api().get(path(Palisade.tenant(tenant))), COLUMNS);
        return 0;
    }

    static String path(String tenant) {
        return "/api/v1/tenants/" + Api.segment(tenant) + "/services";
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true, description = "Deploy (or redeploy) a service: "
            + "palisade services deploy NAME --port 8000 -- PROGRAM [ARGS…]")
    static final class Deploy implements Callable<Integer> {

        @ParentCommand
        ServicesCommand services;

        @Parameters(index = "0", description = "the service's name")
        String name;

        @Option(names = "--port", required = true, description = "the port it listens on inside the sandbox")
        int port;

        @Option(names = "--restart", description = "ALWAYS, ON_FAILURE or NEVER")
        String restartPolicy;

        @Option(names = "--health-path", description = "the path probed for health")
        String healthPath;

        @Option(names = "--image", description = "the image (default: host)")
        String image;

        @Option(names = "--instances", description = "how many instances run (default 1)")
        Integer instances;

        @Option(names = {"-e", "--env"}, description = "an environment variable, repeatable")
        Map<String, String> env = new LinkedHashMap<>();

        @Parameters(index = "1..*", arity = "1..*", description = "the program and its arguments (after --)")
        List<String> command;

        @Override
        public Integer call() throws Exception {
            Palisade root = services.root;
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("command", command);
            body.put("port", port);
            if (restartPolicy != null) {
                body.put("restartPolicy", restartPolicy);
            }
            if (healthPath != null) {
                body.put("healthPath", healthPath);
            }
            if (image != null) {
                body.put("image", image);
            }
            if (instances != null) {
                body.put("instances", instances);
            }
            if (!env.isEmpty()) {
                body.put("env", env);
            }
            root.output.print(System.out, root.api().post(path(Palisade.tenant(services.tenant)), body), COLUMNS);
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print the log of a service's newest deployment.")
    static final class Logs implements Callable<Integer> {

        @ParentCommand
        ServicesCommand services;

        @Parameters(index = "0", description = "the service's name")
        String name;

        @Option(names = {"-f", "--follow"}, description = "keep printing as the log grows")
        boolean follow;

        @Override
        public Integer call() throws Exception {
            String tenant = Palisade.tenant(services.tenant);
            Api api = services.root.api();
            JsonNode service = api.get(path(tenant) + "/" + Api.segment(name));
            String id = service.get("workloadId").asString();
            if (follow) {
                LogsCommand.follow(api, tenant, id);
            } else {
                System.out.print(api.text(WorkloadsCommand.path(tenant) + "/" + id + "/logs"));
                System.out.flush();
            }
            return 0;
        }
    }
}
