package dev.palisade.sandbox.sentry;

import dev.palisade.sandbox.abi.Errno;
import dev.palisade.sandbox.sentry.vfs.DevFile;
import dev.palisade.sandbox.sentry.vfs.FsError;
import dev.palisade.sandbox.sentry.vfs.HostDir;
import dev.palisade.sandbox.sentry.vfs.HostFile;
import dev.palisade.sandbox.sentry.vfs.OpenFile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static dev.palisade.sandbox.sentry.EventPoll.*;

/**
 * epoll: sets of watched files ({@link EventPoll}) over every file kind the Sentry has that can
 * change readiness (pipes, stdio, Unix and TCP sockets, other epoll sets); regular files,
 * directories and devices give EPERM, as Linux. Level- and edge-triggered, one-shot, nested sets
 * (loops and depth past {@link EventPoll#MAX_NESTS} give ELOOP). The wait ends when a watched
 * file's readiness changes, and early (EINTR) on a signal or when the sandbox ends, as poll's.
 */
final class SysEpoll {
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    /** sizeof(struct epoll_event) on x86-64: packed, u32 events then u64 data. */
    private static final int EVENT_SIZE = 12;
    /** Linux's EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event). */
    private static final int MAX_EVENTS = Integer.MAX_VALUE / EVENT_SIZE;

    private SysEpoll() {
    }

    /** EpollCreate implements Linux syscall epoll_create(2): the size only has to be positive. */
    static long epollCreate(SyscallContext c) throws FsError {
        if ((int) c.arg(0) <= 0) {
            return Errno.EINVAL.negated();
        }
        return create(c, false);
    }

    /** EpollCreate1 implements Linux syscall epoll_create1(2). */
    static long epollCreate1(SyscallContext c) throws FsError {
        int flags = (int) c.arg(0);
        if ((flags & ~EPOLL_CLOEXEC) != 0) {
            return Errno.EINVAL.negated();
        }
        return create(c, flags != 0);
    }

    private static long create(SyscallContext c, boolean cloexec) throws FsError {
        VirtualProcess p = c.process();
        return p.install(new EventPoll(p.nextSocketIno++, c.loopback().epollWatches), cloexec, 0);
    }

    /** EpollCtl implements Linux syscall epoll_ctl(2), its checks in Linux's order. */
    static long epollCtl(SyscallContext c) throws FsError {
        int epfd = (int) c.arg(0), op = (int) c.arg(1), fd = (int) c.arg(2);
        long eventVa = c.arg(3);
        int events = 0;
        long data = 0;
        if (op != EPOLL_CTL_DEL) {
            byte[] e = c.memory().read(eventVa, EVENT_SIZE);   // EFAULT before anything else
            ByteBuffer b = ByteBuffer.wrap(e).order(ByteOrder.LITTLE_ENDIAN);
            events = b.getInt(0);
            data = b.getLong(4);
        }
        VirtualProcess p = c.process();
        OpenFile ef = p.file(epfd);
        OpenFile tf = p.file(fd);
        if (!pollable(tf)) {
            return Errno.EPERM.negated();
        }
        events &= ~EPOLLWAKEUP;   // needs CAP_BLOCK_SUSPEND, which the sandbox has not: dropped as Linux does
        if (ef == tf || !(ef instanceof EventPoll ep)) {
            return Errno.EINVAL.negated();
        }
        if ((events & EPOLLEXCLUSIVE) != 0) {
            if (op == EPOLL_CTL_MOD) {
                return Errno.EINVAL.negated();
            }
            if (op == EPOLL_CTL_ADD && (tf instanceof EventPoll
                    || (events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET | 0x40 | 0x100)) != 0)) {
                return Errno.EINVAL.negated();
            }
        }
        switch (op) {
            case EPOLL_CTL_ADD -> ep.add(fd, tf, events | EPOLLERR | EPOLLHUP, data);
            case EPOLL_CTL_MOD -> ep.modify(fd, tf, events | EPOLLERR | EPOLLHUP, data);
            case EPOLL_CTL_DEL -> ep.delete(fd, tf);
            default -> {
                return Errno.EINVAL.negated();
            }
        }
        return 0;
    }

    /** Whether Linux lets epoll watch the file: not regular files, directories, or our devices. */
    private static boolean pollable(OpenFile f) {
        return !(f instanceof HostFile || f instanceof HostDir || f instanceof DevFile);
    }

    /** EpollWait implements Linux syscall epoll_wait(2). */
    static long epollWait(SyscallContext c) throws FsError {
        long timeoutMs = (int) c.arg(3);
        return wait(c, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    /** EpollPwait implements Linux syscall epoll_pwait(2); the signal mask is not applied, as ppoll's. */
    static long epollPwait(SyscallContext c) throws FsError {
        return epollWait(c);
    }

    /** EpollPwait2 implements Linux syscall epoll_pwait2(2): a timespec timeout (null: for ever). */
    static long epollPwait2(SyscallContext c) throws FsError {
        long t = c.arg(3) == 0 ? -1 : SysArgs.timespec(c.memory(), c.arg(3));
        return wait(c, t);
    }

    private static long wait(SyscallContext c, long timeoutNs) throws FsError {
        int epfd = (int) c.arg(0);
        long eventsVa = c.arg(1);
        int max = (int) c.arg(2);
        if (max <= 0 || max > MAX_EVENTS) {
            return Errno.EINVAL.negated();
        }
        if (!SysArgs.userRange(eventsVa, (long) max * EVENT_SIZE)) {
            return Errno.EFAULT.negated();
        }
        if (!(c.process().file(epfd) instanceof EventPoll ep)) {
            return Errno.EINVAL.negated();
        }
        long until = timeoutNs < 0 || timeoutNs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + timeoutNs;
        ReadyWait wait = new ReadyWait(c);
        try {
            while (true) {
                wait.reset();
                wait.add(ep, OpenFile.POLLIN);
                List<EventPoll.Event> ready = ep.look(max, wait, true);
                if (!ready.isEmpty()) {
                    return deliver(c, ep, ready, eventsVa);
                }
                if (System.nanoTime() >= until) {
                    return 0;
                }
                if (!wait.await(until)) {
                    return Errno.ERESTARTNOHAND.negated();   // EINTR once a handler runs: never restarted, even with SA_RESTART
                }
            }
        } finally {
            wait.close();
        }
    }

    /**
     * Copies the events out; those that could not be copied are given back (an edge-triggered or
     * one-shot item stays due). EFAULT when not even the first could be copied.
     */
    private static long deliver(SyscallContext c, EventPoll ep, List<EventPoll.Event> ready, long eventsVa) throws FsError {
        int n = 0;
        for (EventPoll.Event e : ready) {
            byte[] b = ByteBuffer.allocate(EVENT_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(e.events()).putLong(e.data()).array();
            if (!c.write(eventsVa + (long) n * EVENT_SIZE, b)) {
                ready.subList(n, ready.size()).forEach(ep::unclaim);
                return n == 0 ? Errno.EFAULT.negated() : n;
            }
            n++;
        }
        return n;
    }
}
