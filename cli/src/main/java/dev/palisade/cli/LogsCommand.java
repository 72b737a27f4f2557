package dev.palisade.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** A workload's log: what is there, or followed live until the workload ends. */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a workload's log (stdout and stderr interleaved).")
final class LogsCommand implements Callable<Integer> {

    @ParentCommand
    Palisade root;

    @Option(names = {"-t", "--tenant"}, description = "the tenant's slug")
    String tenant;

    @Option(names = {"-f", "--follow"}, description = "keep printing as the log grows, until the workload ends")
    boolean follow;

    @Parameters(index = "0", description = "the workload's id")
    String id;

    @Override
    public Integer call() throws Exception {
        String slug = Palisade.tenant(tenant);
        Api api = root.api();
        if (follow) {
            follow(api, slug, id);
        } else {
            System.out.print(api.text(WorkloadsCommand.path(slug) + "/" + Api.segment(id) + "/logs"));
            System.out.flush();
        }
        return 0;
    }

    /** Prints each line as it comes; returns when the stream's end event (the final state) arrives. */
    static void follow(Api api, String tenant, String id) {
        api.follow(WorkloadsCommand.path(tenant) + "/" + Api.segment(id) + "/logs", (event, data) -> {
            if (event.equals("log")) {
                System.out.println(data);
                System.out.flush();
            }
        });
    }
}
