package dev.palisade.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** A tenant's cron jobs: list, and a job's firings. */
@Command(name = "cron", mixinStandardHelpOptions = true, description = "List a tenant's cron jobs.", subcommands = CronCommand.Runs.class)
final class CronCommand implements Callable<Integer> {

    @ParentCommand
    Palisade root;

    @Option(names = {"-t", "--tenant"}, scope = picocli.CommandLine.ScopeType.INHERIT, description = "the tenant's slug")
    String tenant;

    @Override
    public Integer call() throws Exception {
        root.output.print(System.out, root.api().get(path(Palisade.tenant(tenant))), "name", "cron", "timeZone",
                "concurrencyPolicy", "suspended", "nextFiringAt");
        return 0;
    }

    static String path(String tenant) {
        return "/api/v1/tenants/" + Api.segment(tenant) + "/cron-jobs";
    }

    @Command(name = "runs", mixinStandardHelpOptions = true, description = "A cron job's firings, newest first.")
    static final class Runs implements Callable<Integer> {

        @ParentCommand
        CronCommand cron;

        @Parameters(index = "0", description = "the job's name")
        String name;

        @Override
        public Integer call() throws Exception {
            cron.root.output.print(System.out, cron.root.api().get(path(Palisade.tenant(cron.tenant)) + "/"
                    + Api.segment(name) + "/runs"), "scheduledFor", "outcome", "workloadId", "workloadState", "message");
            return 0;
        }
    }
}
