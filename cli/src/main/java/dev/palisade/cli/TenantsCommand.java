package dev.palisade.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** Tenants (platform admin): list, and create. */
@Command(name = "tenants", mixinStandardHelpOptions = true, description = "List tenants (platform admin).",
        subcommands = TenantsCommand.Create.class)
final class TenantsCommand implements Callable<Integer> {

    @ParentCommand
    Palisade root;

    @Override
    public Integer call() throws Exception {
        root.output.print(System.out, root.api().get("/api/v1/tenants?size=100"), "slug", "displayName", "status", "createdAt");
        return 0;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a tenant.")
    static final class Create implements Callable<Integer> {

        @ParentCommand
        TenantsCommand tenants;

        @Parameters(index = "0", description = "the slug: lower-case letters, digits and inner dashes")
        String slug;

        @Option(names = "--display-name", description = "the name shown (default: the slug)")
        String displayName;

        @Override
        public Integer call() throws Exception {
            Palisade root = tenants.root;
            root.output.print(System.out, root.api().post("/api/v1/tenants",
                    Map.of("slug", slug, "displayName", displayName == null ? slug : displayName)),
                    "slug", "displayName", "status", "createdAt");
            return 0;
        }
    }
}
