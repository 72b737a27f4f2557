package dev.palisade.sandbox.egress;

import dev.palisade.sandbox.SandboxException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code ip}, {@code nft}, {@code tc} and {@code nsenter} on the host, as the engine (root). */
final class HostCommands {
    private static final long TIMEOUT_SECONDS = 10;

    private HostCommands() {
    }

    /** Runs the command with {@code input} on its stdin; returns its stdout, or throws with its stderr. */
    static String run(String input, String... command) {
        Result r = tryRun(input, command);
        if (r.status != 0) {
            throw new SandboxException("egress set-up failed: " + String.join(" ", command) + ": " + r.err.strip());
        }
        return r.out;
    }

    record Result(int status, String out, String err) {
    }

    static Result tryRun(String input, String... command) {
        ProcessBuilder pb = new ProcessBuilder(List.of(command));
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        try {
            Process p = pb.start();
            try (var stdin = p.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "", command[0] + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "", command[0] + " could not run (" + e.getMessage()
                    + "); the egress policy needs iproute2 and nftables on the node");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted");
        }
    }
}
