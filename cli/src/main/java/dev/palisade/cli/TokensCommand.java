package dev.palisade.cli;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The caller's own API tokens: list, create (shown once), revoke. */
@Command(name = "tokens", mixinStandardHelpOptions = true, description = "List your API tokens.",
        subcommands = {TokensCommand.Create.class, TokensCommand.Revoke.class})
final class TokensCommand implements Callable<Integer> {

    static final String[] COLUMNS = {"id", "name", "prefix", "scope", "expiresAt", "lastUsedAt", "revokedAt"};

    @ParentCommand
    Palisade root;

    @Override
    public Integer call() throws Exception {
        root.output.print(System.out, root.api().get("/api/v1/tokens?size=100"), COLUMNS);
        return 0;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Mint a token; it is printed this once.")
    static final class Create implements Callable<Integer> {

        @ParentCommand
        TokensCommand tokens;

        @Parameters(index = "0", description = "a name for it")
        String name;

        @Option(names = "--expires-in-days", defaultValue = "90", description = "1 to 365 (default: ${DEFAULT-VALUE})")
        int days;

        @Option(names = "--scope", defaultValue = "FULL", description = "FULL, or DEPLOY: deploy and read services and "
                + "images, read workloads and logs; for CI (default: ${DEFAULT-VALUE})")
        String scope;

        @Override
        public Integer call() throws Exception {
            tokens.root.output.print(System.out, tokens.root.api().post("/api/v1/tokens",
                    Map.of("name", name, "expiresInDays", days, "scope", scope)), "id", "name", "scope", "token",
                    "expiresAt");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token.")
    static final class Revoke implements Callable<Integer> {

        @ParentCommand
        TokensCommand tokens;

        @Parameters(index = "0", description = "its id (a UUID)")
        UUID id;

        @Override
        public Integer call() throws Exception {
            tokens.root.api().call("DELETE", "/api/v1/tokens/" + id, null);
            System.out.println("revoked token " + id);
            return 0;
        }
    }
}
