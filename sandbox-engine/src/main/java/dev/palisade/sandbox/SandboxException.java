package dev.palisade.sandbox;

/** The engine could not start or run a sandbox; the message says what failed and why. */
public class SandboxException extends RuntimeException {

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
