/**
 * The engine's command line, {@code palisade-sandbox.jar run [options] -- PROGRAM [ARGS…]}:
 * {@link Main} runs one program in a sandbox with the caller's stdin, stdout and stderr and exits
 * with the program's status (128+N for a signal, 125 when the engine failed). {@link Json} is the
 * tiny writer of the {@code --stats} result.
 */
package dev.palisade.sandbox.cli;
