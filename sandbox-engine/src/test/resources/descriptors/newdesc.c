/* The calls that make a new descriptor, the clock and entropy calls and getcwd, with hostile
 * arguments: "name: outcome" lines that must read the same natively and in the sandbox, where the
 * Sentry serves them. Modes: desc, time, cwd, memfill (fills a memfd until stopped), bench N. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8U
#define MFD_EXEC 0x10U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

static long sys(long nr, long a, long b, long c, long d) {
    long r = syscall(nr, a, b, c, d);
    return r < 0 ? -errno : r;
}

static const char *err(long r) {
    static char b[32];
    if (r >= 0) { snprintf(b, sizeof b, "ok"); return b; }
    switch (-r) {
    case EINVAL: return "EINVAL"; case EFAULT: return "EFAULT"; case EMFILE: return "EMFILE"; case EBADF: return "EBADF";
    case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case ERANGE: return "ERANGE"; case ENOSYS: return "ENOSYS";
    case ENAMETOOLONG: return "ENAMETOOLONG"; case EAGAIN: return "EAGAIN"; case ENOPKG: return "ENOPKG";
    case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES";
    }
    snprintf(b, sizeof b, "errno%ld", -r);
    return b;
}

/* The lowest free descriptor: a leaked one would move it. */
static int lowest(void) { int fd = dup(0); close(fd); return fd; }

static int cloexec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }
static int nonblock(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

/* Every flag bit outside {allowed} alone: "EINVAL" when all give it, else the first that does not. */
static void bad_bits(const char *name, unsigned allowed, long (*make)(unsigned)) {
    for (int b = 0; b < 32; b++) {
        unsigned f = 1U << b;
        if (f & allowed) continue;
        long r = make(f);
        if (r >= 0) close(r);
        if (r != -EINVAL) { printf("%s-bad-flags: bit %d %s\n", name, b, err(r)); return; }
    }
    printf("%s-bad-flags: EINVAL\n", name);
}

static int pipefd[2];
static long mk_pipe2(unsigned f) { long r = sys(SYS_pipe2, (long) pipefd, f, 0, 0); if (r == 0) { close(pipefd[1]); return pipefd[0]; } return r; }
static long mk_eventfd2(unsigned f) { return sys(SYS_eventfd2, 0, f, 0, 0); }
static long mk_epoll1(unsigned f) { return sys(SYS_epoll_create1, f, 0, 0, 0); }
static long mk_inotify1(unsigned f) { return sys(SYS_inotify_init1, f, 0, 0, 0); }
static long mk_timerfd(unsigned f) { return sys(SYS_timerfd_create, CLOCK_MONOTONIC, f, 0, 0); }
static uint64_t sigmask_bits;
static long mk_signalfd4(unsigned f) { return sys(SYS_signalfd4, -1, (long) &sigmask_bits, 8, f); }
static long mk_memfd(unsigned f) { return sys(SYS_memfd_create, (long) "x", f, 0, 0); }

static char *guarded(void) {
    /* a page, then an unmapped one: a string or array may end at the first page's end */
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p + 4096, 4096);
    return p;
}

static void pipes(void) {
    int before = lowest();
    long r = sys(SYS_pipe, (long) pipefd, 0, 0, 0);
    printf("pipe: %s adjacent=%d lowest=%d cloexec=%d%d\n", err(r), pipefd[1] == pipefd[0] + 1, pipefd[0] == before,
           cloexec(pipefd[0]), cloexec(pipefd[1]));
    char b[8] = {0};
    long w = write(pipefd[1], "hey", 3);
    printf("pipe-data: %ld %ld %s\n", w, (long) read(pipefd[0], b, sizeof b), b);
    close(pipefd[0]); close(pipefd[1]);
    r = sys(SYS_pipe2, (long) pipefd, O_CLOEXEC | O_NONBLOCK, 0, 0);
    printf("pipe2-cloexec-nonblock: %s cloexec=%d%d nonblock=%d%d empty-read=%s\n", err(r), cloexec(pipefd[0]), cloexec(pipefd[1]),
           nonblock(pipefd[0]), nonblock(pipefd[1]), err(read(pipefd[0], b, 1) < 0 ? -errno : 0));
    close(pipefd[0]); close(pipefd[1]);
    r = sys(SYS_pipe2, (long) pipefd, O_DIRECT, 0, 0);
    printf("pipe2-direct: %s packet=%d\n", err(r), (fcntl(pipefd[0], F_GETFL) & O_DIRECT) != 0);
    close(pipefd[0]); close(pipefd[1]);
    bad_bits("pipe2", O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE, mk_pipe2);
    r = sys(SYS_pipe2, (long) pipefd, O_NOTIFICATION_PIPE, 0, 0);
    if (r == 0) { close(pipefd[0]); close(pipefd[1]); }
    printf("differs-notification-pipe: %s\n", err(r));
    before = lowest();
    printf("pipe-null: %s leaked=%d\n", err(sys(SYS_pipe, 0, 0, 0, 0)), lowest() != before);
    printf("pipe2-null: %s leaked=%d\n", err(sys(SYS_pipe2, 0, 0, 0, 0)), lowest() != before);
    printf("pipe2-bad-flags-and-pointer: %s\n", err(sys(SYS_pipe2, 0, 0x1000, 0, 0)));
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("pipe-read-only: %s leaked=%d\n", err(sys(SYS_pipe, (long) ro, 0, 0, 0)), lowest() != before);
    char *g = guarded();
    printf("pipe-across-end: %s leaked=%d\n", err(sys(SYS_pipe, (long) (g + 4092), 0, 0, 0)), lowest() != before);
    r = sys(SYS_pipe, (long) (g + 4088), 0, 0, 0);
    int *at = (int *) (g + 4088);
    printf("pipe-at-end: %s\n", err(r));
    close(at[0]); close(at[1]);
    printf("pipe-kernel-half: %s\n", err(sys(SYS_pipe, (long) 0xffff800000000000UL, 0, 0, 0)));
}

static void eventfds(void) {
    long fd = sys(SYS_eventfd, 5, 0, 0, 0);
    uint64_t v = 0;
    printf("eventfd: %s value=%ld cloexec=%d\n", err(fd), (long) (read(fd, &v, 8) == 8 ? v : 0), cloexec(fd));
    close(fd);
    fd = sys(SYS_eventfd2, 0x100000003L, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC, 0, 0);
    uint64_t a = 0, b = 0;
    read(fd, &a, 8); read(fd, &b, 8); read(fd, &b, 8);
    printf("eventfd2-semaphore: %s first=%ld cloexec=%d nonblock=%d after-three=%s\n", err(fd), (long) a, cloexec(fd), nonblock(fd),
           err(read(fd, &b, 8) < 0 ? -errno : 0));
    close(fd);
    bad_bits("eventfd2", EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC, mk_eventfd2);
}

static void epolls(void) {
    printf("epoll_create-0: %s\n", err(sys(SYS_epoll_create, 0, 0, 0, 0)));
    printf("epoll_create--1: %s\n", err(sys(SYS_epoll_create, -1, 0, 0, 0)));
    printf("epoll_create-upper-half: %s\n", err(sys(SYS_epoll_create, 0x100000000L, 0, 0, 0)));
    long ep = sys(SYS_epoll_create, 1, 0, 0, 0);
    printf("epoll_create-1: %s cloexec=%d\n", err(ep), cloexec(ep));
    close(ep);
    ep = sys(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0);
    int p[2];
    pipe(p);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 42}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    write(p[1], "x", 1);
    int n = epoll_wait(ep, &out, 1, 1000);
    printf("epoll_create1: %s cloexec=%d ready=%d data=%ld\n", err(ep), cloexec(ep), n, (long) out.data.u64);
    close(ep); close(p[0]); close(p[1]);
    bad_bits("epoll_create1", EPOLL_CLOEXEC, mk_epoll1);
}

static void inotifies(void) {
    long in = sys(SYS_inotify_init, 0, 0, 0, 0);
    printf("inotify_init: %s cloexec=%d nonblock=%d\n", err(in), cloexec(in), nonblock(in));
    close(in);
    in = sys(SYS_inotify_init1, IN_NONBLOCK | IN_CLOEXEC, 0, 0, 0);
    mkdir("/tmp/nd-watch", 0755);
    int w = inotify_add_watch(in, "/tmp/nd-watch", IN_CREATE);
    char b[4096];
    long empty = read(in, b, sizeof b) < 0 ? -errno : 0;
    close(open("/tmp/nd-watch/f", O_CREAT | O_WRONLY, 0644));
    long n = read(in, b, sizeof b);
    struct inotify_event *ev = (struct inotify_event *) b;
    printf("inotify_init1: %s cloexec=%d nonblock=%d watch=%d empty=%s event=%d:%s\n", err(in), cloexec(in), nonblock(in), w > 0,
           err(empty), n > 0 && (ev->mask & IN_CREATE) != 0, n > 0 ? ev->name : "-");
    unlink("/tmp/nd-watch/f"); rmdir("/tmp/nd-watch");
    close(in);
    bad_bits("inotify_init1", IN_NONBLOCK | IN_CLOEXEC, mk_inotify1);
}

static void timerfds(void) {
    long t = sys(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_CLOEXEC, 0, 0);
    struct itimerspec its = {.it_value = {0, 2000000}};
    timerfd_settime(t, 0, &its, NULL);
    uint64_t ticks = 0;
    printf("timerfd: %s cloexec=%d ticks=%ld\n", err(t), cloexec(t), (long) (read(t, &ticks, 8) == 8 ? ticks : 0));
    close(t);
    int clocks[] = {CLOCK_REALTIME, CLOCK_BOOTTIME};
    for (int i = 0; i < 2; i++) {
        t = sys(SYS_timerfd_create, clocks[i], TFD_NONBLOCK, 0, 0);
        printf("timerfd-clock-%d: %s nonblock=%d\n", clocks[i], err(t), nonblock(t));
        close(t);
    }
    int bad[] = {-1, 2, 3, 4, 5, 6, 10, 11, 12, 16, 1 << 20};
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
        t = sys(SYS_timerfd_create, bad[i], 0, 0, 0);
        printf("timerfd-clock-%d: %s\n", bad[i], err(t));
        if (t >= 0) close(t);
    }
    for (int c = 8; c <= 9; c++) {
        t = sys(SYS_timerfd_create, c, 0, 0, 0);
        printf("priv-timerfd-alarm-%d: %s\n", c, err(t));
        if (t >= 0) close(t);
    }
    printf("timerfd-alarm-bad-flags: %s\n", err(sys(SYS_timerfd_create, 8, 0x1000, 0, 0)));
    bad_bits("timerfd_create", TFD_NONBLOCK | TFD_CLOEXEC, mk_timerfd);
}

static void signalfds(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    long fd = sys(SYS_signalfd, -1, (long) &set, 8, 0);
    raise(SIGUSR1);
    struct signalfd_siginfo si;
    long n = read(fd, &si, sizeof si);
    printf("signalfd: %s cloexec=%d read=%ld signo=%d own-pid=%d\n", err(fd), cloexec(fd), n, (int) si.ssi_signo, si.ssi_pid == (uint32_t) getpid());
    sigaddset(&set, SIGUSR2);
    long r = sys(SYS_signalfd4, fd, (long) &set, 8, SFD_NONBLOCK);
    raise(SIGUSR2);
    n = read(fd, &si, sizeof si);
    printf("signalfd4-new-mask: %s same-fd=%d signo=%d nonblock-unchanged=%d\n", err(r), r == fd, (int) si.ssi_signo, nonblock(fd));
    close(fd);
    fd = sys(SYS_signalfd4, -1, (long) &set, 8, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd4-nonblock: %s cloexec=%d nonblock=%d empty=%s\n", err(fd), cloexec(fd), nonblock(fd),
           err(read(fd, &si, sizeof si) < 0 ? -errno : 0));
    /* the signals of the process that reads it: a child reads its own, not its parent's */
    raise(SIGUSR1);
    pid_t child = fork();
    if (child == 0) {
        _exit(read(fd, &si, sizeof si) < 0 && errno == EAGAIN ? 0 : 1);
    }
    int st;
    waitpid(child, &st, 0);
    n = read(fd, &si, sizeof si);
    printf("signalfd-reader-is-the-process: child-empty=%d parent=%d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0, (int) (n > 0 ? si.ssi_signo : 0));
    int p[2];
    pipe(p);
    printf("signalfd4-not-a-signalfd: %s\n", err(sys(SYS_signalfd4, p[0], (long) &set, 8, 0)));
    printf("signalfd4-closed-fd: %s\n", err(sys(SYS_signalfd4, 999, (long) &set, 8, 0)));
    printf("signalfd4-fd--2: %s\n", err(sys(SYS_signalfd4, -2, (long) &set, 8, 0)));
    printf("signalfd-size-4: %s\n", err(sys(SYS_signalfd, -1, (long) &set, 4, 0)));
    printf("signalfd-size-huge: %s\n", err(sys(SYS_signalfd, -1, (long) &set, 0x100000008L, 0)));
    printf("signalfd-size-before-pointer: %s\n", err(sys(SYS_signalfd, -1, 0, 16, 0)));
    printf("signalfd-null-mask: %s\n", err(sys(SYS_signalfd, -1, 0, 8, 0)));
    printf("signalfd4-pointer-before-flags: %s\n", err(sys(SYS_signalfd4, -1, 0, 8, 0x1000)));
    printf("signalfd4-flags-before-fd: %s\n", err(sys(SYS_signalfd4, 999, (long) &set, 8, 0x1000)));
    close(p[0]); close(p[1]); close(fd);
    sigmask_bits = 1UL << (SIGUSR1 - 1);
    bad_bits("signalfd4", SFD_NONBLOCK | SFD_CLOEXEC, mk_signalfd4);
}

static void memfds(void) {
    long fd = sys(SYS_memfd_create, (long) "hello", MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0);
    char link[64], target[300];
    snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
    long n = readlink(link, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    printf("memfd: %s cloexec=%d link=%s seal=%d\n", err(fd), cloexec(fd), target, fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0);
    write(fd, "abc", 3);
    printf("memfd-sealed-grow: %s\n", err(write(fd, "d", 1) < 0 ? -errno : 0));
    close(fd);
    fd = sys(SYS_memfd_create, (long) "nox", MFD_NOEXEC_SEAL, 0, 0);
    struct stat s;
    fstat(fd, &s);
    printf("memfd-noexec-seal: %s mode=%o seals-exec=%d\n", err(fd), s.st_mode & 0777, (fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC) != 0);
    close(fd);
    fd = sys(SYS_memfd_create, (long) "x", MFD_EXEC, 0, 0);
    fstat(fd, &s);
    printf("memfd-exec: %s mode=%o\n", err(fd), s.st_mode & 0777);
    close(fd);
    printf("memfd-exec-and-noexec: %s\n", err(sys(SYS_memfd_create, (long) "x", MFD_EXEC | MFD_NOEXEC_SEAL, 0, 0)));
    char name[300];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    fd = sys(SYS_memfd_create, (long) name, 0, 0, 0);
    printf("memfd-name-249: %s\n", err(fd));
    close(fd);
    name[249] = 'n';
    name[250] = 0;
    printf("memfd-name-250: %s\n", err(sys(SYS_memfd_create, (long) name, 0, 0, 0)));
    name[250] = 'n';
    printf("memfd-name-unterminated-long: %s\n", err(sys(SYS_memfd_create, (long) name, 0, 0, 0)));
    printf("memfd-name-null: %s\n", err(sys(SYS_memfd_create, 0, 0, 0, 0)));
    printf("memfd-bad-flags-before-name: %s\n", err(sys(SYS_memfd_create, 0, 0x1000, 0, 0)));
    char *g = guarded();
    memcpy(g + 4093, "ab", 3);
    fd = sys(SYS_memfd_create, (long) (g + 4093), 0, 0, 0);
    printf("memfd-name-at-end: %s\n", err(fd));
    close(fd);
    memcpy(g + 4093, "abc", 3);
    printf("memfd-name-across-end: %s\n", err(sys(SYS_memfd_create, (long) (g + 4093), 0, 0, 0)));
    memset(g + 3800, 'q', 296);
    printf("memfd-long-name-across-end: %s\n", err(sys(SYS_memfd_create, (long) (g + 3800), 0, 0, 0)));
    printf("memfd-bad-bits-with-hugetlb: %s\n", err(sys(SYS_memfd_create, (long) "x", MFD_HUGETLB | 0x1000, 0, 0)));
    printf("memfd-hugetlb-bad-name: %s\n", err(sys(SYS_memfd_create, 0, MFD_HUGETLB, 0, 0)));
    fd = sys(SYS_memfd_create, (long) "h", MFD_HUGETLB, 0, 0);
    printf("differs-memfd-hugetlb: %s\n", err(fd));
    if (fd >= 0) close(fd);
    fd = sys(SYS_memfd_create, (long) "h", MFD_HUGETLB | (21U << 26), 0, 0);
    printf("differs-memfd-hugetlb-2m: %s\n", err(fd));
    if (fd >= 0) close(fd);
    bad_bits("memfd_create", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC, mk_memfd);
}

/* At the descriptor limit: every call says EMFILE and leaves nothing. */
static void limits(void) {
    struct rlimit old, rl;
    getrlimit(RLIMIT_NOFILE, &old);
    int first = lowest();
    rl.rlim_cur = first;
    rl.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    sigset_t set;
    sigemptyset(&set);
    printf("emfile: pipe=%s pipe2=%s eventfd=%s epoll=%s inotify=%s timerfd=%s signalfd=%s memfd=%s dup=%s\n",
           err(sys(SYS_pipe, (long) pipefd, 0, 0, 0)), err(sys(SYS_pipe2, (long) pipefd, O_CLOEXEC, 0, 0)),
           err(sys(SYS_eventfd2, 0, 0, 0, 0)), err(sys(SYS_epoll_create1, 0, 0, 0, 0)), err(sys(SYS_inotify_init1, 0, 0, 0, 0)),
           err(sys(SYS_timerfd_create, CLOCK_MONOTONIC, 0, 0, 0)), err(sys(SYS_signalfd, -1, (long) &set, 8, 0)),
           err(sys(SYS_memfd_create, (long) "x", 0, 0, 0)), err(dup(0) < 0 ? -errno : 0));
    rl.rlim_cur = first + 1;
    setrlimit(RLIMIT_NOFILE, &rl);
    long e = sys(SYS_eventfd2, 0, 0, 0, 0);
    close(e);
    printf("one-free: eventfd=%s at=%d pipe=%s\n", err(e), e == first, err(sys(SYS_pipe, (long) pipefd, 0, 0, 0)));
    setrlimit(RLIMIT_NOFILE, &old);
}

static void times(void) {
    struct timeval tv;
    struct timezone tz = {-1, -1};
    long t0 = sys(SYS_time, 0, 0, 0, 0);
    time_t tt = 0;
    long t1 = sys(SYS_time, (long) &tt, 0, 0, 0);
    long r = sys(SYS_gettimeofday, (long) &tv, (long) &tz, 0, 0);
    printf("time: near=%d stored=%d\n", t1 - t0 <= 1 && t0 > 1700000000, tt == t1);
    printf("time-bad-pointer: %s\n", err(sys(SYS_time, 1, 0, 0, 0)));
    printf("gettimeofday: %s near=%d usec-in-range=%d tz=%d,%d\n", err(r), tv.tv_sec - t1 <= 1 && tv.tv_sec >= t1,
           tv.tv_usec >= 0 && tv.tv_usec < 1000000, tz.tz_minuteswest, tz.tz_dsttime);
    printf("gettimeofday-null-null: %s\n", err(sys(SYS_gettimeofday, 0, 0, 0, 0)));
    printf("gettimeofday-tz-only: %s\n", err(sys(SYS_gettimeofday, 0, (long) &tz, 0, 0)));
    printf("gettimeofday-bad-tv: %s\n", err(sys(SYS_gettimeofday, 1, 0, 0, 0)));
    printf("gettimeofday-bad-tz: %s\n", err(sys(SYS_gettimeofday, (long) &tv, 1, 0, 0)));
}

static void *sleeper(void *a) {
    *(pid_t *) a = gettid();
    pause();
    return NULL;
}

static long cpu_clock(pid_t pid, int which, int thread) { return ((long) ~pid << 3) | which | (thread ? 4 : 0); }

static void getres(const char *name, long clock) {
    struct timespec ts = {-1, -1};
    long r = sys(SYS_clock_getres, clock, (long) &ts, 0, 0);
    if (r == 0) printf("clock_getres-%s: %ld.%09ld\n", name, (long) ts.tv_sec, ts.tv_nsec);
    else printf("clock_getres-%s: %s\n", name, err(r));
}

static void clocks(void) {
    char name[64];
    for (long id = -8; id <= 20; id++) { /* pid 0: the caller; other pids below */
        snprintf(name, sizeof name, "%ld", id);
        getres(name, id);
    }
    getres("int-min", (int) 0x80000000);
    getres("upper-half", 0x100000000L);
    pid_t tid = 0;
    pthread_t th;
    pthread_create(&th, NULL, sleeper, &tid);
    while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST)) usleep(1000);
    pid_t child = fork();
    if (child == 0) { pause(); _exit(0); }
    const char *who[] = {"self", "own-pid", "own-thread", "child", "nobody"};
    pid_t pids[] = {0, getpid(), tid, child, 4000000};
    for (int w = 0; w < 5; w++) {
        for (int which = 0; which < 4; which++) {
            for (int thread = 0; thread < 2; thread++) {
                snprintf(name, sizeof name, "cpu-%s-%d-%s", who[w], which, thread ? "thread" : "process");
                getres(name, cpu_clock(pids[w], which, thread));
            }
        }
    }
    getres("dynamic-fd-0", cpu_clock(0, 3, 0));
    printf("clock_getres-null: %s\n", err(sys(SYS_clock_getres, CLOCK_MONOTONIC, 0, 0, 0)));
    printf("clock_getres-bad-pointer: %s\n", err(sys(SYS_clock_getres, CLOCK_MONOTONIC, 1, 0, 0)));
    printf("clock_getres-bad-id-bad-pointer: %s\n", err(sys(SYS_clock_getres, 10, 1, 0, 0)));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

static void entropy(void) {
    static char b[1 << 20];
    for (unsigned f = 0; f < 8; f++) {
        printf("getrandom-flags-%u: %s\n", f, err(sys(SYS_getrandom, (long) b, 16, f, 0) == 16 ? 0 : -EINVAL));
    }
    int all = 1;
    for (int bit = 3; bit < 32; bit++) all &= sys(SYS_getrandom, (long) b, 16, 1U << bit, 0) == -EINVAL;
    printf("getrandom-bad-flags: %s\n", all ? "EINVAL" : "some-accepted");
    printf("getrandom-zero-null: %ld\n", sys(SYS_getrandom, 0, 0, 0, 0));
    printf("getrandom-null: %s\n", err(sys(SYS_getrandom, 0, 16, 0, 0)));
    printf("getrandom-kernel-half: %s\n", err(sys(SYS_getrandom, (long) 0xffff800000000000UL, 16, 0, 0)));
    memset(b, 0, 256);
    long n = sys(SYS_getrandom, (long) b, 256, 0, 0);
    int zeros = 0;
    for (int i = 0; i < 256; i++) zeros += b[i] == 0;
    printf("getrandom-256: %ld random=%d\n", n, zeros < 16);
    n = sys(SYS_getrandom, (long) b, sizeof b, GRND_NONBLOCK, 0);
    printf("getrandom-1MiB: at-least-256=%d at-most-asked=%d\n", n >= 256, n <= (long) sizeof b);
    char *g = guarded();
    printf("getrandom-across-end: %ld\n", sys(SYS_getrandom, (long) (g + 4000), 200, 0, 0));
    printf("getrandom-read-only: %s\n", err(sys(SYS_getrandom, (long) mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 16, 0, 0)));
}

static void cwds(void) {
    char b[8192];
    mkdir("/tmp/nd-cwd", 0755);
    chdir("/tmp/nd-cwd");
    long r = sys(SYS_getcwd, (long) b, sizeof b, 0, 0);
    printf("getcwd: %ld %s\n", r, r > 0 ? b : err(r));
    printf("getcwd-exact: %ld\n", sys(SYS_getcwd, (long) b, 12, 0, 0));
    printf("getcwd-one-short: %s\n", err(sys(SYS_getcwd, (long) b, 11, 0, 0)));
    printf("getcwd-1: %s\n", err(sys(SYS_getcwd, (long) b, 1, 0, 0)));
    printf("getcwd-0-null: %s\n", err(sys(SYS_getcwd, 0, 0, 0, 0)));
    printf("getcwd-null: %s\n", err(sys(SYS_getcwd, 0, 100, 0, 0)));
    printf("getcwd-bad: %s\n", err(sys(SYS_getcwd, 1, 100, 0, 0)));
    char *g = guarded();
    printf("getcwd-across-end: %s\n", err(sys(SYS_getcwd, (long) (g + 4090), 100, 0, 0)));
    printf("getcwd-huge-size: %ld\n", sys(SYS_getcwd, (long) b, -1L, 0, 0));
    rmdir("/tmp/nd-cwd");
    printf("getcwd-removed: %s\n", err(sys(SYS_getcwd, (long) b, sizeof b, 0, 0)));
    /* a directory the program is in but may not enter: getcwd needs no permission on it */
    mkdir("/tmp/nd-closed", 0755);
    chdir("/tmp/nd-closed");
    chmod("/tmp/nd-closed", 0);
    r = sys(SYS_getcwd, (long) b, sizeof b, 0, 0);
    printf("getcwd-no-permission: %ld %s\n", r, r > 0 ? b : err(r));
    printf("getcwd-no-permission-short: %s\n", err(sys(SYS_getcwd, (long) b, 5, 0, 0)));
    rmdir("/tmp/nd-closed");
    printf("getcwd-no-permission-removed: %s\n", err(sys(SYS_getcwd, (long) b, sizeof b, 0, 0)));
    chdir("/tmp");
    char long_name[201];
    memset(long_name, 'd', 200);
    long_name[200] = 0;
    int depth = 0;
    for (; depth < 24; depth++) {
        if (mkdir(long_name, 0755) != 0 || chdir(long_name) != 0) break;
    }
    r = sys(SYS_getcwd, (long) b, sizeof b, 0, 0);
    printf("getcwd-deep: depth=%d %s\n", depth, err(r));
    for (; depth > 0; depth--) { chdir(".."); rmdir(long_name); }
    r = sys(SYS_getcwd, (long) b, sizeof b, 0, 0);
    printf("getcwd-back: %ld %s\n", r, r > 0 ? b : err(r));
}

static void memfill(void) {
    long fd = sys(SYS_memfd_create, (long) "fill", 0, 0, 0);
    static char chunk[1 << 20];
    memset(chunk, 7, sizeof chunk);
    for (int mib = 1; mib <= 2048; mib++) {
        if (write(fd, chunk, sizeof chunk) != sizeof chunk) { printf("write failed at %d MiB: %s\n", mib, strerror(errno)); return; }
    }
    printf("filled 2 GiB\n");
}

static void bench(long n) {
    struct timespec a, b;
    int p[2];
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        if (pipe2(p, O_CLOEXEC) != 0) { perror("pipe2"); return; }
        close(p[0]);
        close(p[1]);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("pipe2+2 closes: %.2f us each\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 1000);
}

/*
 * Served calls under a timer signal whose handler has no SA_RESTART: pipe, stat and getrandom
 * never say EINTR natively, so none may in the sandbox, where a signal can come while the call
 * waits for the Sentry to take it.
 */
static volatile long ticks;
static void on_tick(int sig) { (void) sig; ticks++; }
static void interrupted(long n) {
    struct sigaction sa = {.sa_handler = on_tick};   /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &every, NULL);
    long eintr = 0, other = 0;
    for (long i = 0; i < n; i++) {
        int p[2];
        struct stat st;
        char b[16];
        if (pipe(p) == 0) { close(p[0]); close(p[1]); } else if (errno == EINTR) eintr++; else other++;
        if (stat("/", &st) != 0) { if (errno == EINTR) eintr++; else other++; }
        if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b) { if (errno == EINTR) eintr++; else other++; }
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("interrupted: eintr=%ld other=%ld signals=%s\n", eintr, other, ticks > 0 ? "some" : "none");
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *m = argc > 1 ? argv[1] : "desc";
    if (!strcmp(m, "desc")) { pipes(); eventfds(); epolls(); inotifies(); timerfds(); signalfds(); memfds(); limits(); }
    else if (!strcmp(m, "time")) { times(); clocks(); entropy(); }
    else if (!strcmp(m, "cwd")) cwds();
    else if (!strcmp(m, "memfill")) memfill();
    else if (!strcmp(m, "interrupted")) interrupted(argc > 2 ? atol(argv[2]) : 3000);
    else if (!strcmp(m, "bench")) bench(argc > 2 ? atol(argv[2]) : 100000);
    return 0;
}
