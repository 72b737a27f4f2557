package dev.palisade.sandbox;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/** A running sandbox. Closing it kills what still runs and frees its resources. */
public interface Sandbox extends AutoCloseable {

    /** The program's standard input; close it to send end-of-file. */
    OutputStream stdin();

    /** The program's standard output, as it writes it. Must be drained, or the program blocks. */
    InputStream stdout();

    /** The program's standard error, as it writes it. Must be drained, or the program blocks. */
    InputStream stderr();

    /** Ends every process of the sandbox now; {@link #await()} then reports {@link Termination#KILLED}. */
    void kill();

    /** Waits for the end and returns the result. */
    SandboxResult await() throws InterruptedException;

    /** Waits at most {@code timeout}; empty while it still runs. */
    Optional<SandboxResult> await(Duration timeout) throws InterruptedException;

    @Override
    void close();
}
