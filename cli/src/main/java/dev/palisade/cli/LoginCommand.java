package dev.palisade.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import tools.jackson.databind.JsonNode;

/** Mints a token with the user's password (or keeps one given) and stores it, readable by the user only. */
@Command(name = "login", mixinStandardHelpOptions = true, description = "Log in: mint an API token with your password and keep it in "
        + "~/.config/palisade/config.json (mode 0600).")
final class LoginCommand implements Callable<Integer> {

    @ParentCommand
    Palisade root;

    @Option(names = {"-u", "--username"}, description = "your user name: name@tenant for a tenant's user, a platform admin's alone")
    String username;

    @Option(names = "--password-stdin", description = "read the password from standard input, not the terminal")
    boolean passwordStdin;

    @Option(names = "--otp", description = "the code your authenticator app shows (or a recovery code), when your account has a second factor")
    String otp;

    @Option(names = "--token", description = "keep this token instead of minting one")
    String token;

    @Option(names = {"-t", "--tenant"}, description = "the tenant later commands use by default")
    String tenant;

    @Option(names = "--expires-in-days", defaultValue = "90", description = "the minted token's lifetime (default: ${DEFAULT-VALUE})")
    int days;

    @Override
    public Integer call() throws Exception {
        Config stored = Config.load();
        String url = root.url != null ? root.url : stored.url();
        if (url == null) {
            throw new ApiException(0, "give the platform's address: palisade login --url https://palisade.example.com");
        }
        String kept = token;
        if (kept == null) {
            if (username == null) {
                throw new ApiException(0, "give --username (or --token)");
            }
            String password = password();
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "cli";
            }
            JsonNode minted = Palisade.basic(url, username, password).withSecondFactor(otp).post("/api/v1/tokens",
                    Map.of("name", "palisade-cli@" + host, "expiresInDays", days));
            kept = minted.get("token").asString();
        }
        new Config(url, kept, tenant != null ? tenant : stored.tenant()).save();
        System.out.println("Logged in to " + url + "; token kept in " + Config.file());
        return 0;
    }

    private String password() throws java.io.IOException {
        Console console = System.console();
        if (!passwordStdin && console != null) {
            char[] typed = console.readPassword("Password for %s: ", username);
            return typed == null ? "" : new String(typed);
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return line == null ? "" : line;
    }
}
