package dev.palisade.cli;

import java.io.IOException;
import java.util.Base64;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code palisade} command: global options, the subcommands, and errors printed plainly. */
@Command(name = "palisade", mixinStandardHelpOptions = true, version = "palisade 0.1.0",
        description = "Palisade's REST API v1 from the shell. Log in once with 'palisade login'.",
        subcommands = {LoginCommand.class, TenantsCommand.class, WorkloadsCommand.class, LogsCommand.class,
                ServicesCommand.class, TokensCommand.class, CronCommand.class, AutoComplete.GenerateCompletion.class})
public final class Palisade {

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, defaultValue = "table",
            description = "table or json (default: ${DEFAULT-VALUE})", converter = OutputConverter.class)
    Output output;

    @Option(names = "--url", scope = ScopeType.INHERIT, description = "the platform (default: the one logged in to)")
    String url;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cli = new CommandLine(new Palisade());
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof ApiException || e instanceof IOException) {
                command.getErr().println("error: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /** The API as the stored login (or --url and $PALISADE_TOKEN) reaches it. */
    Api api() throws IOException {
        Config config = Config.load();
        String token = System.getenv("PALISADE_TOKEN") != null ? System.getenv("PALISADE_TOKEN") : config.token();
        String base = url != null ? url : System.getenv("PALISADE_URL") != null ? System.getenv("PALISADE_URL") : config.url();
        return new Api(base, token == null ? null : "Bearer " + token);
    }

    static Api basic(String base, String username, String password) {
        return new Api(base, "Basic " + Base64.getEncoder().encodeToString(
                (username + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** --tenant, else $PALISADE_TENANT, else the one stored at login. */
    static String tenant(String option) throws IOException {
        String tenant = option != null ? option : System.getenv("PALISADE_TENANT") != null
                ? System.getenv("PALISADE_TENANT") : Config.load().tenant();
        if (tenant == null) {
            throw new ApiException(0, "no tenant: give --tenant SLUG (or log in with --tenant)");
        }
        return tenant;
    }

    static final class OutputConverter implements CommandLine.ITypeConverter<Output> {
        @Override
        public Output convert(String value) {
            return Output.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }
}
