package dev.palisade.sandbox;

/** Why a sandbox ended. */
public enum Termination {
    /** The program exited on its own; see the exit code. */
    EXITED,
    /** A signal ended the program that no limit of ours sent (a crash, or its own kill). */
    SIGNALED,
    CPU_LIMIT,
    WALL_LIMIT,
    MEMORY_LIMIT,
    PROCESS_LIMIT,
    FILE_SIZE_LIMIT,
    /** {@code /workspace} or {@code /tmp} was full ({@link Limits#diskBytes()}): writes failed with ENOSPC and the program failed. */
    DISK_LIMIT,
    OUTPUT_LIMIT,
    /** The Sentry ended it for a call whose action is kill (a 32-bit syscall, for one). */
    POLICY_VIOLATION,
    /** Killed from outside through {@link Sandbox#kill()}. */
    KILLED,
    /** The engine itself failed; the message says why. */
    ENGINE_ERROR
}
