package dev.palisade.sandbox.platform.ptrace;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A platform thread started ahead of time that waits for the one task it will run, so that
 * starting a sandbox does not wait for a thread to be created. A thread's credentials, root and
 * affinity are those of the thread that started it: a {@link StubPool} slot's tracer thread
 * starts these, as the tracer itself would.
 */
final class StandbyThread {

    private static final Runnable NOTHING = () -> { };
    private final BlockingQueue<Runnable> task = new ArrayBlockingQueue<>(1);

    StandbyThread() {
        Thread t = new Thread(this::await, "palisade-standby");
        t.setDaemon(true);
        t.start();
    }

    private void await() {
        Runnable work;
        try {
            work = task.take();
        } catch (InterruptedException e) {
            return;
        }
        work.run();
    }

    /** Runs {@code work} on this thread, named {@code name}; only the first task given runs. */
    void run(String name, Runnable work) {
        task.offer(() -> {
            Thread.currentThread().setName(name);
            work.run();
        });
    }

    /** Ends the thread if no task was given it. */
    void release() {
        task.offer(NOTHING);
    }
}
