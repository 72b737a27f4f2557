/*
 * Signals that interrupt blocked calls, alternate signal stacks and the interval timer across
 * execve. Every line printed is the same natively and on the KVM platform: a signal comes 100 ms
 * into a wait that would otherwise last for ever, and what ends a restarted wait (a child's
 * write or exit, a thread's wake) waits for the handler to have run, so a loaded host changes
 * nothing printed.
 *
 *   eintr calls      pipe, socket, wait4, futex: EINTR without SA_RESTART, restarted with it;
 *                    a partial write; epoll_wait, poll, select: EINTR even with SA_RESTART
 *   eintr altstack   sigaltstack's errors, fork and threads, a stack overflow caught on it
 *   eintr altbad M   hostile alternate stacks: unmapped, a size near 2^64 below or above the stack
 *   eintr exectimer  ITIMER_REAL kept across execve
 *   eintr storm      a child sends 2000 signals to a parent blocked in read
 *   eintr tcp        accept on a TCP listener: EINTR, and restarted until the handler drops SA_RESTART
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t handled;
/* The handler writes a byte here: what ends a restarted wait waits for it. */
static int go[2] = {-1, -1};

static void on_signal(int sig) {
    (void) sig;
    handled++;
    if (go[1] >= 0) {
        write(go[1], "g", 1);
    }
}

/* A new go pipe for the next case, so that no byte of an earlier handler is left in it. */
static void fresh_go(void) {
    if (go[0] >= 0) {
        close(go[0]);
        close(go[1]);
    }
    pipe(go);
}

/* Waits until the parent's handler has run. */
static void await_handler(void) {
    char c;
    while (read(go[0], &c, 1) < 0 && errno == EINTR) {
    }
}

static void catch_with(int sig, int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

/* One SIGALRM in ms milliseconds. */
static void alarm_in(int ms) {
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A call's result and errno, printed in that order. */
static void show(const char *what, long r) {
    int e = errno;
    printf("%s: %ld %s\n", what, r, r < 0 ? strerror(e) : "ok");
}

static const char *err(long r) {
    return r >= 0 ? "ok" : errno == EINTR ? "EINTR" : strerror(errno);
}

/* A child that writes `what` to fd once the parent's handler has run and ms milliseconds more, then exits. */
static pid_t later(int fd, const char *what, int ms) {
    pid_t p = fork();
    if (p == 0) {
        await_handler();
        sleep_ms(ms);
        if (write(fd, what, strlen(what)) < 0) {
            _exit(1);
        }
        _exit(0);
    }
    return p;
}

static void reap(pid_t p) {
    int st;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
    }
}

static void pipe_read(int restart) {
    int fd[2];
    char buf[16] = {0};
    pipe(fd);
    fresh_go();
    catch_with(SIGALRM, restart ? SA_RESTART : 0);
    handled = 0;
    pid_t p = restart ? later(fd[1], "hello", 50) : -1;
    alarm_in(100);
    long n = read(fd[0], buf, sizeof buf - 1);
    printf("pipe read %s: %ld %s handled=%d data=%s\n", restart ? "SA_RESTART" : "no SA_RESTART", n, err(n), handled,
           n > 0 ? buf : "-");
    if (p > 0) {
        reap(p);
    }
    close(fd[0]);
    close(fd[1]);
}

static void socket_recv(int restart) {
    int sv[2];
    char buf[16] = {0};
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    fresh_go();
    catch_with(SIGALRM, restart ? SA_RESTART : 0);
    handled = 0;
    pid_t p = restart ? later(sv[1], "world", 50) : -1;
    alarm_in(100);
    long n = recv(sv[0], buf, sizeof buf - 1, 0);
    printf("socket recv %s: %ld %s handled=%d data=%s\n", restart ? "SA_RESTART" : "no SA_RESTART", n, err(n), handled,
           n > 0 ? buf : "-");
    if (p > 0) {
        reap(p);
    }
    /* with a receive timeout the call is never restarted: EINTR, as Linux's sock_intr_errno */
    struct timeval tv = {5, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    catch_with(SIGALRM, SA_RESTART);
    alarm_in(100);
    n = recv(sv[0], buf, sizeof buf - 1, 0);
    printf("socket recv with SO_RCVTIMEO and SA_RESTART: %ld %s\n", n, err(n));
    close(sv[0]);
    close(sv[1]);
}

static void wait_child(int restart) {
    fresh_go();
    catch_with(SIGALRM, restart ? SA_RESTART : 0);
    handled = 0;
    pid_t p = fork();
    if (p == 0) {
        await_handler();
        sleep_ms(50);
        _exit(7);
    }
    alarm_in(100);
    int st = 0;
    pid_t r = wait4(p, &st, 0, NULL);
    printf("wait4 %s: %s handled=%d", restart ? "SA_RESTART" : "no SA_RESTART", r == p ? "the child" : err(r), handled);
    if (r != p) {
        r = wait4(p, &st, 0, NULL);
    }
    printf(" then status %d\n", r == p && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int word;

static void *waker(void *arg) {
    (void) arg;
    await_handler();
    sleep_ms(50);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

static void futex_wait(void) {
    catch_with(SIGALRM, 0);
    word = 0;
    handled = 0;
    alarm_in(100);
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    printf("futex wait no SA_RESTART: %ld %s handled=%d\n", r, err(r), handled);

    catch_with(SIGALRM, SA_RESTART);
    struct timespec ts = {5, 0};
    handled = 0;
    alarm_in(100);
    r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    printf("futex wait with a timeout, SA_RESTART: %ld %s handled=%d\n", r, err(r), handled);

    fresh_go();
    pthread_t t;
    pthread_create(&t, NULL, waker, NULL);
    handled = 0;
    alarm_in(100);
    do {
        r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    } while (r == 0 && __atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0);
    printf("futex wait SA_RESTART: woken=%d handled=%d %s\n", __atomic_load_n(&word, __ATOMIC_SEQ_CST), handled,
           r == 0 || errno == EAGAIN ? "no EINTR" : err(r));
    pthread_join(t, NULL);
}

static void partial_write(void) {
    int fd[2];
    pipe(fd);
    /* fill the pipe without blocking, then write more than the reader will make room for */
    int fl = fcntl(fd[1], F_GETFL);
    fcntl(fd[1], F_SETFL, fl | O_NONBLOCK);
    static char big[1 << 20];
    long filled = 0, n;
    while ((n = write(fd[1], big, 4096)) > 0) {
        filled += n;
    }
    fcntl(fd[1], F_SETFL, fl);
    pid_t p = fork();
    if (p == 0) {
        char b[4096];
        sleep_ms(100);
        long got = read(fd[0], b, sizeof b);   /* room for one page: the writer moves it, then waits again */
        sleep_ms(2000);                        /* late on a loaded host, the write still ends: EPIPE once this ends */
        _exit(got == 4096 ? 0 : 1);
    }
    close(fd[0]);
    signal(SIGPIPE, SIG_IGN);
    catch_with(SIGALRM, SA_RESTART);
    handled = 0;
    alarm_in(400);
    n = write(fd[1], big, sizeof big);
    printf("partial write to a full pipe: %s handled=%d (0 < n < %ld: %s)\n", n < 0 ? err(n) : "a count", handled,
           (long) sizeof big, n > 0 && n < (long) sizeof big ? "yes" : "no");
    kill(p, SIGKILL);
    reap(p);
    close(fd[1]);
}

static void never_restarted(void) {
    int fd[2];
    pipe(fd);
    catch_with(SIGALRM, SA_RESTART);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd[0]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd[0], &ev);
    handled = 0;
    alarm_in(100);
    long r = epoll_wait(ep, &ev, 1, -1);
    printf("epoll_wait with SA_RESTART: %ld %s handled=%d\n", r, err(r), handled);

    struct pollfd pf = {.fd = fd[0], .events = POLLIN};
    handled = 0;
    alarm_in(100);
    r = poll(&pf, 1, 5000);
    printf("poll with SA_RESTART: %ld %s handled=%d\n", r, err(r), handled);

    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd[0], &rs);
    handled = 0;
    alarm_in(100);
    r = select(fd[0] + 1, &rs, NULL, NULL, NULL);
    printf("select with SA_RESTART: %ld %s handled=%d\n", r, err(r), handled);
    close(ep);
    close(fd[0]);
    close(fd[1]);
}

/* ---------------------------------------------------------------- alternate stacks */

static char *alt;
static const size_t ALT = 64 * 1024;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    char here;
    stack_t now;
    sigaltstack(NULL, &now);
    stack_t again = {.ss_sp = alt, .ss_size = ALT};
    int r = sigaltstack(&again, NULL);
    int e = errno;
    char line[256];
    int n = snprintf(line, sizeof line,
                     "overflow caught: sig=%d on the alternate stack=%d uc_stack matches=%d flags now=%d set while on it=%d %s\n",
                     sig, &here >= alt && &here < alt + ALT, uc->uc_stack.ss_sp == alt && uc->uc_stack.ss_size == ALT
                     && uc->uc_stack.ss_flags == 0, now.ss_flags, r, r == 0 ? "ok" : strerror(e));
    (void) si;
    write(1, line, n);
    _exit(0);
}

static int depth(int n) {
    volatile char pad[512];
    pad[0] = (char) n;
    return depth(n + 1) + pad[0];
}

static void *thread_query(void *arg) {
    stack_t s;
    sigaltstack(NULL, &s);
    *(int *) arg = s.ss_flags;
    return NULL;
}

static void altstack(void) {
    stack_t s, o;
    sigaltstack(NULL, &o);
    printf("at start: flags=%d size=%zu\n", o.ss_flags, o.ss_size);
    alt = mmap(NULL, ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    s = (stack_t) {.ss_sp = alt, .ss_size = 2047};   /* the kernel's MINSIGSTKSZ is 2048 (glibc's macro may be larger) */
    show("below MINSIGSTKSZ", sigaltstack(&s, NULL));
    s = (stack_t) {.ss_sp = alt, .ss_size = 2048};
    show("at MINSIGSTKSZ", sigaltstack(&s, NULL));
    s = (stack_t) {.ss_sp = alt, .ss_size = ALT, .ss_flags = 0x10};
    show("bad flags", sigaltstack(&s, NULL));
    show("unmapped ss", sigaltstack((stack_t *) 0x10, NULL));
    show("ss past the user half", sigaltstack((stack_t *) 0xffff800000000000UL, NULL));
    s = (stack_t) {.ss_sp = alt, .ss_size = ALT};
    show("unmapped oss", sigaltstack(&s, (stack_t *) 0x10));
    sigaltstack(NULL, &o);
    printf("set anyway: flags=%d size matches=%d sp matches=%d\n", o.ss_flags, o.ss_size == ALT, o.ss_sp == alt);
    s = (stack_t) {.ss_flags = SS_DISABLE};
    sigaltstack(&s, &o);
    sigaltstack(NULL, &o);
    printf("disabled: flags=%d\n", o.ss_flags);
    s = (stack_t) {.ss_sp = alt, .ss_size = ALT};
    sigaltstack(&s, NULL);

    int in_thread = -1;
    pthread_t t;
    pthread_create(&t, NULL, thread_query, &in_thread);
    pthread_join(t, NULL);
    printf("a new thread: flags=%d\n", in_thread);
    pid_t p = fork();
    if (p == 0) {
        sigaltstack(NULL, &o);
        printf("a forked child: flags=%d sp matches=%d\n", o.ss_flags, o.ss_sp == alt);
        fflush(stdout);
        _exit(0);
    }
    reap(p);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    fflush(stdout);
    printf("%d\n", depth(0));   /* not reached */
}

static void on_usr1(int sig) {
    (void) sig;
    write(1, "handler ran\n", 12);
}

static void altbad(const char *mode) {
    stack_t s = {.ss_size = 65536};
    char *page = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char here;
    if (strcmp(mode, "unmapped") == 0) {
        munmap(page, 65536);
        s.ss_sp = page;
    } else if (strcmp(mode, "huge") == 0) {
        /* near 2^64 below the stack: every stack pointer above the base counts as on it, so the handler runs where it is */
        s.ss_sp = page;
        s.ss_size = (size_t) -4096;
    } else {
        /* near 2^64 above the stack: its top wraps below its base, and the frame cannot go there */
        s.ss_sp = (char *) (((uintptr_t) &here + (1 << 20)) & ~4095UL);
        s.ss_size = (size_t) -4096;
    }
    printf("sigaltstack: %d\n", sigaltstack(&s, NULL));
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("not reached\n");
}

/* ---------------------------------------------------------------- the timer across execve */

static void on_alarm_after_exec(int sig) {
    (void) sig;
    write(1, "SIGALRM after execve\n", 21);
    _exit(0);
}

static void exectimer(char *self) {
    alarm_in(1000);   /* time for the new image to start and take SIGALRM, even on a loaded host */
    printf("armed, execve\n");
    fflush(stdout);
    char *argv[] = {self, "exectimer-new", NULL};
    execv(self, argv);
    printf("execve failed: %s\n", strerror(errno));
}

static void exectimer_new(void) {
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    printf("new image: timer still armed=%d\n", it.it_value.tv_sec > 0 || it.it_value.tv_usec > 0);
    fflush(stdout);
    signal(SIGALRM, on_alarm_after_exec);
    for (;;) {
        pause();
    }
}

/* ---------------------------------------------------------------- TCP */

/* Counts; the third call takes SA_RESTART away, so the fourth signal ends the restarted call. */
static void on_tick(int sig) {
    handled++;
    if (handled == 3) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_tick;
        sigaction(sig, &sa, NULL);
    }
}

static void tcp(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(l, (struct sockaddr *) &a, sizeof a);
    listen(l, 4);
    catch_with(SIGALRM, 0);
    handled = 0;
    alarm_in(100);
    long r = accept(l, NULL, NULL);
    printf("tcp accept no SA_RESTART: %ld %s handled=%d\n", r, err(r), handled);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    handled = 0;
    struct itimerval it = {{0, 50000}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    r = accept(l, NULL, NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("tcp accept SA_RESTART: %ld %s after %d signals\n", r, err(r), handled);
    close(l);
}

/* ---------------------------------------------------------------- a storm */

static void storm(void) {
    int fd[2];
    pipe(fd);
    catch_with(SIGUSR1, SA_RESTART);
    handled = 0;
    pid_t parent = getpid();
    pid_t p = fork();
    if (p == 0) {
        sleep_ms(50);
        for (int i = 0; i < 2000; i++) {
            kill(parent, SIGUSR1);
        }
        write(fd[1], "x", 1);
        _exit(0);
    }
    char c;
    long n = read(fd[0], &c, 1);
    reap(p);
    printf("after the storm: read=%ld %s handled some=%d\n", n, err(n), handled > 0);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "calls";
    if (strcmp(mode, "calls") == 0) {
        /* a read that fills its buffer from a file: on KVM glibc's read() site is then patched, so the pipe reads
           below go through its thunk, and a restart must enter that again */
        char head[16];
        int self = open(argv[0], O_RDONLY);
        printf("read of the program's head: %ld\n", (long) read(self, head, sizeof head));
        close(self);
        pipe_read(0);
        pipe_read(1);
        socket_recv(0);
        socket_recv(1);
        wait_child(0);
        wait_child(1);
        futex_wait();
        partial_write();
        never_restarted();
    } else if (strcmp(mode, "altstack") == 0) {
        altstack();
    } else if (strcmp(mode, "altbad") == 0 && argc > 2) {
        altbad(argv[2]);
    } else if (strcmp(mode, "exectimer") == 0) {
        exectimer(argv[0]);
    } else if (strcmp(mode, "exectimer-new") == 0) {
        exectimer_new();
    } else if (strcmp(mode, "storm") == 0) {
        storm();
    } else if (strcmp(mode, "tcp") == 0) {
        tcp();
    }
    return 3;
}
