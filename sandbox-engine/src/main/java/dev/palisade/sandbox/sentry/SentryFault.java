package dev.palisade.sandbox.sentry;

/**
 * An exception escaped a handler: a Sentry bug. The platform ends the sandbox with the call
 * named and records it as a security event; nothing a program passes should ever cause one.
 */
public final class SentryFault extends RuntimeException {
    private final String call;

    SentryFault(String call, Throwable cause) {
        super("Sentry fault in " + call + ": " + cause, cause);
        this.call = call;
    }

    public String call() {
        return call;
    }
}
