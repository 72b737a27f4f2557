package dev.palisade.sandbox.platform.ptrace;

/** One traced thread, as the tracer knows it. Touched only by the tracer thread. */
final class Task {

    enum Stage {
        /** The engine's stub shell before it forks the workload: stops at every syscall. */
        STUB,
        /** The workload's first process before its setup: stops at its first syscall. */
        SETUP,
        /** The workload's process before its execve, which the tracer fills in. */
        EXEC,
        /** Under the seccomp filter: stops only at trapped calls and events. */
        RUNNING
    }

    final int tid;
    int tgid;
    /** Host tgid of the parent process, or 0 when it is outside the sandbox. */
    int parentTgid;
    int nsTid = -1;
    int nsTgid = -1;
    Stage stage;
    /** Stopped before its parent's fork event told us what it is: resumed once we know. */
    boolean held;
    /** Known from its parent's event, its first stop (PTRACE_EVENT_STOP with SIGSTOP) not seen yet: not a group-stop. */
    boolean starting;
    /** A clone it made was let through and its child is not reported yet. */
    boolean pendingClone;

    Task(int tid, Stage stage) {
        this.tid = tid;
        this.tgid = tid;
        this.stage = stage;
    }
}
