package dev.palisade.sandbox.platform;

import dev.palisade.sandbox.SandboxException;
import dev.palisade.sandbox.SandboxResult;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on a sandbox's pending result, the same way on every platform. */
public final class Results {

    private Results() {
    }

    /** Waits for the result; an engine failure surfaces as a {@link SandboxException} saying what failed. */
    public static SandboxResult await(CompletableFuture<SandboxResult> result) throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    /** Waits at most {@code timeout}; empty while the sandbox still runs. */
    public static Optional<SandboxResult> await(CompletableFuture<SandboxResult> result, Duration timeout)
            throws InterruptedException {
        try {
            return Optional.of(result.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw failure(e);
        }
    }

    private static SandboxException failure(ExecutionException e) {
        Throwable cause = e.getCause();
        return cause instanceof SandboxException se ? se : new SandboxException(String.valueOf(cause.getMessage()), cause);
    }
}
