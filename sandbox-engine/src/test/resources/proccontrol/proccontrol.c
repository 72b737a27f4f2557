/*
 * The calls that read or set a property of a process or thread named by pid, on the caller, a
 * child, a thread, and hostile arguments: one "key: value" line each, compared between the
 * sandbox (served by the Sentry), the sandbox with serving off (the kernel in the sandbox's pid
 * namespace) and, for the argument errors, the host. argv[1]: a host pid outside the sandbox,
 * which every call must answer ESRCH for and leave untouched. argv[2] "widen": only asks for
 * every CPU there is and says what it got.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD ((void *) 8)

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
};

static const char *err(long r) {
    if (r >= 0) {
        static char b[32];
        snprintf(b, sizeof b, "%ld", r);
        return b;
    }
    switch (errno) {
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case ENOENT: return "ENOENT";
    default: {
        static char b[32];
        snprintf(b, sizeof b, "errno%d", errno);
        return b;
    }
    }
}

#define SHOW(key, call) do { long r_ = (call); printf("%s: %s\n", key, err(r_)); } while (0)

static int pipefd[2], tpipe[2];
static volatile pid_t thread_tid;

static void *thread_main(void *a) {
    (void) a;
    thread_tid = syscall(SYS_gettid);
    char c;
    (void) !read(tpipe[0], &c, 1);
    return NULL;
}

static int cpuinfo_processors(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    int n = 0;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "processor", 9) == 0) n++;
    }
    fclose(f);
    return n;
}

static long prio(int which, int who) {
    return syscall(SYS_getpriority, which, who);
}

int main(int argc, char **argv) {
    pid_t outside = argc > 1 ? atoi(argv[1]) : 999999;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && strcmp(argv[2], "widen") == 0) {
        cpu_set_t all, got;
        memset(&all, 0xff, sizeof all);
        CPU_ZERO(&got);
        SHOW("widen", syscall(SYS_sched_setaffinity, 0, sizeof all, &all));
        syscall(SYS_sched_getaffinity, 0, sizeof got, &got);
        printf("widened-count: %d\n", CPU_COUNT(&got));
        return 0;
    }
    if (pipe(pipefd) || pipe(tpipe)) return 2;
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);
        char c;
        (void) !read(pipefd[0], &c, 1);
        _exit(0);
    }
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    while (!thread_tid) sched_yield();
    pid_t tt = thread_tid;
    usleep(20000); /* the child's setpgid */

    /* ---- affinity */
    cpu_set_t mask, orig;
    CPU_ZERO(&orig);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof orig, &orig);
    printf("getaffinity-self: %s count %d\n", err(n), CPU_COUNT(&orig));
    printf("affinity-matches-cpuinfo: %s\n", CPU_COUNT(&orig) == cpuinfo_processors() ? "yes" : "no");
    printf("affinity-matches-nproc: %s\n", CPU_COUNT(&orig) == sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
    CPU_ZERO(&mask);
    n = syscall(SYS_sched_getaffinity, child, sizeof mask, &mask);
    printf("getaffinity-child: %s count %d\n", err(n), CPU_COUNT(&mask));
    CPU_ZERO(&mask);
    n = syscall(SYS_sched_getaffinity, tt, sizeof mask, &mask);
    printf("getaffinity-thread: %s count %d\n", err(n), CPU_COUNT(&mask));
    static char big[1 << 20];
    SHOW("e-getaffinity-huge-len", syscall(SYS_sched_getaffinity, 0, sizeof big, big));
    SHOW("e-getaffinity-len-7", syscall(SYS_sched_getaffinity, 0, 7, &mask));
    SHOW("e-getaffinity-len-huge-odd", syscall(SYS_sched_getaffinity, 0, (1u << 31) + 4, &mask));
    SHOW("e-getaffinity-bad-pointer", syscall(SYS_sched_getaffinity, 0, sizeof mask, BAD));
    SHOW("e-getaffinity-negative", syscall(SYS_sched_getaffinity, -5, sizeof mask, &mask));
    SHOW("getaffinity-outside", syscall(SYS_sched_getaffinity, outside, sizeof mask, &mask));
    int first = -1;
    for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &orig)) { first = i; break; }
    CPU_ZERO(&mask);
    CPU_SET(first, &mask);
    SHOW("setaffinity-child-one", syscall(SYS_sched_setaffinity, child, sizeof mask, &mask));
    CPU_ZERO(&mask);
    syscall(SYS_sched_getaffinity, child, sizeof mask, &mask);
    printf("child-affinity-count: %d\n", CPU_COUNT(&mask));
    SHOW("setaffinity-child-back", syscall(SYS_sched_setaffinity, child, sizeof orig, &orig));
    CPU_ZERO(&mask);
    SHOW("e-setaffinity-empty", syscall(SYS_sched_setaffinity, 0, sizeof mask, &mask));
    SHOW("e-setaffinity-len-0", syscall(SYS_sched_setaffinity, 0, 0, &mask));
    SHOW("e-setaffinity-bad-pointer", syscall(SYS_sched_setaffinity, 0, sizeof mask, BAD));
    CPU_ZERO(&mask);
    CPU_SET(first, &mask);
    SHOW("setaffinity-outside", syscall(SYS_sched_setaffinity, outside, sizeof mask, &mask));
    SHOW("setaffinity-thread-one", syscall(SYS_sched_setaffinity, tt, sizeof mask, &mask));
    SHOW("setaffinity-thread-back", syscall(SYS_sched_setaffinity, tt, sizeof orig, &orig));

    /* ---- getcpu (the syscall, not the vDSO) */
    unsigned cpu = 12345, node = 12345;
    SHOW("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    printf("getcpu-in-affinity: %s\n", CPU_ISSET(cpu, &orig) ? "yes" : "no");
    SHOW("getcpu-null", syscall(SYS_getcpu, NULL, NULL, NULL));
    SHOW("e-getcpu-bad-pointer", syscall(SYS_getcpu, BAD, NULL, NULL));

    /* ---- parameters and policies */
    struct sched_param sp = {99};
    SHOW("getparam-self", syscall(SYS_sched_getparam, 0, &sp));
    printf("getparam-self-value: %d\n", sp.sched_priority);
    SHOW("getparam-child", syscall(SYS_sched_getparam, child, &sp));
    SHOW("getparam-thread", syscall(SYS_sched_getparam, tt, &sp));
    SHOW("e-getparam-null", syscall(SYS_sched_getparam, 0, NULL));
    SHOW("e-getparam-negative", syscall(SYS_sched_getparam, -1, &sp));
    SHOW("e-getparam-bad-pointer", syscall(SYS_sched_getparam, 0, BAD));
    SHOW("getparam-outside", syscall(SYS_sched_getparam, outside, &sp));
    sp.sched_priority = 0;
    SHOW("setparam-child", syscall(SYS_sched_setparam, child, &sp));
    sp.sched_priority = 5;
    SHOW("e-setparam-priority-for-other", syscall(SYS_sched_setparam, 0, &sp));
    SHOW("e-setparam-bad-pointer", syscall(SYS_sched_setparam, 0, BAD));
    sp.sched_priority = 0;
    SHOW("setparam-outside", syscall(SYS_sched_setparam, outside, &sp));
    SHOW("getscheduler-self", syscall(SYS_sched_getscheduler, 0));
    SHOW("e-getscheduler-negative", syscall(SYS_sched_getscheduler, -1));
    SHOW("getscheduler-outside", syscall(SYS_sched_getscheduler, outside));
    SHOW("setscheduler-child-batch", syscall(SYS_sched_setscheduler, child, SCHED_BATCH, &sp));
    SHOW("getscheduler-child", syscall(SYS_sched_getscheduler, child));
    SHOW("setscheduler-thread-idle", syscall(SYS_sched_setscheduler, tt, SCHED_IDLE, &sp));
    SHOW("getscheduler-thread", syscall(SYS_sched_getscheduler, tt));
    sp.sched_priority = 1;
    SHOW("e-setscheduler-fifo", syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp));
    SHOW("e-setscheduler-rr-child", syscall(SYS_sched_setscheduler, child, SCHED_RR, &sp));
    sp.sched_priority = 0;
    SHOW("e-setscheduler-policy-99", syscall(SYS_sched_setscheduler, 0, 99, &sp));
    SHOW("e-setscheduler-policy-negative", syscall(SYS_sched_setscheduler, 0, -1, &sp));
    SHOW("e-setscheduler-null", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    SHOW("e-setscheduler-bad-pointer", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, BAD));
    SHOW("setscheduler-outside", syscall(SYS_sched_setscheduler, outside, SCHED_IDLE, &sp));
    struct timespec ts;
    SHOW("rr-interval-self", syscall(SYS_sched_rr_get_interval, 0, &ts));
    SHOW("rr-interval-child", syscall(SYS_sched_rr_get_interval, child, &ts));
    SHOW("e-rr-interval-negative", syscall(SYS_sched_rr_get_interval, -1, &ts));
    SHOW("e-rr-interval-bad-pointer", syscall(SYS_sched_rr_get_interval, 0, BAD));
    SHOW("rr-interval-outside", syscall(SYS_sched_rr_get_interval, outside, &ts));

    /* ---- sched_getattr / sched_setattr */
    static char page[8192];
    struct attr a;
    memset(&a, 0x55, sizeof a);
    SHOW("getattr-self-48", syscall(SYS_sched_getattr, 0, &a, 48, 0));
    printf("getattr-self-fields: size %u policy %u nice %d tail-untouched %d\n", a.size, a.policy, a.nice, a.util_min == 0x55555555u);
    memset(page, 0x55, sizeof page);
    SHOW("getattr-thread-page", syscall(SYS_sched_getattr, tt, page, 4096, 0));
    printf("getattr-thread-fields: size %u policy %u after-size-untouched %d\n", ((struct attr *) page)->size,
           ((struct attr *) page)->policy, page[((struct attr *) page)->size] == 0x55);
    SHOW("e-getattr-size-47", syscall(SYS_sched_getattr, 0, &a, 47, 0));
    SHOW("e-getattr-size-4097", syscall(SYS_sched_getattr, 0, page, 4097, 0));
    SHOW("e-getattr-flags", syscall(SYS_sched_getattr, 0, &a, 48, 1));
    SHOW("e-getattr-bad-pointer", syscall(SYS_sched_getattr, 0, BAD, 48, 0));
    SHOW("getattr-outside", syscall(SYS_sched_getattr, outside, &a, 48, 0));
    memset(&a, 0, sizeof a);
    a.size = 48;
    a.policy = SCHED_OTHER;
    a.nice = 7;
    SHOW("setattr-child-nice-7", syscall(SYS_sched_setattr, child, &a, 0));
    printf("child-priority-after-setattr: %ld\n", prio(PRIO_PROCESS, child));
    a.size = 1;
    SHOW("e-setattr-size-1", syscall(SYS_sched_setattr, 0, &a, 0));
    printf("setattr-size-written-back: %u\n", a.size);
    memset(page, 0, sizeof page);
    ((struct attr *) page)->size = 5000;
    SHOW("e-setattr-size-5000", syscall(SYS_sched_setattr, 0, page, 0));
    printf("setattr-size-5000-written-back: %u\n", ((struct attr *) page)->size);
    memset(page, 0, sizeof page);
    ((struct attr *) page)->size = 200;
    page[150] = 1;
    SHOW("e-setattr-nonzero-tail", syscall(SYS_sched_setattr, 0, page, 0));
    printf("setattr-nonzero-tail-written-back: %u\n", ((struct attr *) page)->size);
    ((struct attr *) page)->size = 200;
    SHOW("e-setattr-nonzero-tail-outside", syscall(SYS_sched_setattr, outside, page, 0));
    memset(&a, 0, sizeof a);
    a.size = 48;
    SHOW("e-setattr-flags", syscall(SYS_sched_setattr, 0, &a, 1));
    SHOW("e-setattr-null", syscall(SYS_sched_setattr, 0, NULL, 0));
    SHOW("e-setattr-bad-pointer", syscall(SYS_sched_setattr, 0, BAD, 0));
    a.policy = (uint32_t) -1;
    SHOW("e-setattr-policy-negative", syscall(SYS_sched_setattr, 0, &a, 0));
    a.policy = 6; /* SCHED_DEADLINE */
    a.runtime = 1000000; a.deadline = 10000000; a.period = 10000000;
    SHOW("e-setattr-deadline", syscall(SYS_sched_setattr, 0, &a, 0));
    memset(&a, 0, sizeof a);
    a.size = 48;
    SHOW("setattr-outside", syscall(SYS_sched_setattr, outside, &a, 0));

    /* ---- nice */
    SHOW("getpriority-self", prio(PRIO_PROCESS, 0));
    SHOW("setpriority-child-10", syscall(SYS_setpriority, PRIO_PROCESS, child, 10));
    SHOW("getpriority-child", prio(PRIO_PROCESS, child));
    SHOW("e-setpriority-child-lower", syscall(SYS_setpriority, PRIO_PROCESS, child, 2));
    SHOW("setpriority-thread-3", syscall(SYS_setpriority, PRIO_PROCESS, tt, 3));
    SHOW("getpriority-thread", prio(PRIO_PROCESS, tt));
    SHOW("getpriority-group-self", prio(PRIO_PGRP, 0));
    SHOW("getpriority-group-child", prio(PRIO_PGRP, child));
    SHOW("getpriority-user-self", prio(PRIO_USER, getuid()));
    SHOW("getpriority-user-0", prio(PRIO_USER, 0));
    SHOW("e-getpriority-user-other", prio(PRIO_USER, getuid() + 4242));
    SHOW("e-getpriority-which-7", prio(7, 0));
    SHOW("e-setpriority-which-7", syscall(SYS_setpriority, 7, 0, 1));
    SHOW("getpriority-outside", prio(PRIO_PROCESS, outside));
    SHOW("setpriority-outside", syscall(SYS_setpriority, PRIO_PROCESS, outside, 19));
    SHOW("e-setpriority-user-other", syscall(SYS_setpriority, PRIO_USER, getuid() + 4242, 19));
    SHOW("setpriority-group-child-15", syscall(SYS_setpriority, PRIO_PGRP, child, 15));
    SHOW("getpriority-child-after-group", prio(PRIO_PROCESS, child));
    SHOW("getpriority-self-after-child-group", prio(PRIO_PROCESS, 0));

    /* ---- I/O priority */
    SHOW("ioprio-get-self", syscall(SYS_ioprio_get, 1, 0));
    SHOW("ioprio-set-child-idle", syscall(SYS_ioprio_set, 1, child, 3 << 13));
    SHOW("ioprio-get-child", syscall(SYS_ioprio_get, 1, child));
    SHOW("ioprio-set-thread-be-6", syscall(SYS_ioprio_set, 1, tt, (2 << 13) | 6));
    SHOW("ioprio-get-thread", syscall(SYS_ioprio_get, 1, tt));
    SHOW("ioprio-get-group-self", syscall(SYS_ioprio_get, 2, 0));
    SHOW("ioprio-get-user", syscall(SYS_ioprio_get, 3, getuid()));
    SHOW("e-ioprio-set-rt", syscall(SYS_ioprio_set, 1, 0, (1 << 13) | 4));
    SHOW("e-ioprio-set-class-5", syscall(SYS_ioprio_set, 1, 0, 5 << 13));
    SHOW("e-ioprio-set-rt-outside", syscall(SYS_ioprio_set, 1, outside, (1 << 13) | 4));
    SHOW("e-ioprio-get-which-9", syscall(SYS_ioprio_get, 9, 0));
    SHOW("e-ioprio-set-which-9", syscall(SYS_ioprio_set, 9, 0, 3 << 13));
    SHOW("ioprio-get-outside", syscall(SYS_ioprio_get, 1, outside));
    SHOW("ioprio-set-outside", syscall(SYS_ioprio_set, 1, outside, 3 << 13));
    SHOW("e-ioprio-set-user-other", syscall(SYS_ioprio_set, 3, getuid() + 4242, 3 << 13));

    /* ---- resource limits */
    struct rlimit rl;
    int res[] = {RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_CORE, RLIMIT_STACK};
    for (unsigned i = 0; i < sizeof res / sizeof res[0]; i++) {
        long r = syscall(SYS_getrlimit, res[i], &rl);
        printf("getrlimit-%d: %s %llu %llu\n", res[i], err(r), (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
    }
    SHOW("e-getrlimit-resource-99", syscall(SYS_getrlimit, 99, &rl));
    SHOW("e-getrlimit-bad-pointer", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD));
    syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
    struct rlimit lower = {rl.rlim_cur / 2, rl.rlim_max};
    SHOW("setrlimit-nofile-lower-soft", syscall(SYS_setrlimit, RLIMIT_NOFILE, &lower));
    struct rlimit raise = {rl.rlim_cur, rl.rlim_max + 1};
    SHOW("e-setrlimit-nofile-raise-hard", syscall(SYS_setrlimit, RLIMIT_NOFILE, &raise));
    struct rlimit inverted = {rl.rlim_max, rl.rlim_max / 2};
    SHOW("e-setrlimit-soft-above-hard", syscall(SYS_setrlimit, RLIMIT_NOFILE, &inverted));
    SHOW("e-setrlimit-bad-pointer", syscall(SYS_setrlimit, RLIMIT_NOFILE, BAD));
    SHOW("e-setrlimit-resource-99", syscall(SYS_setrlimit, 99, &rl));
    syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
    printf("nofile-now: %llu %llu\n", (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
    struct rlimit cl = {0, 0};
    SHOW("prlimit-child-core-read", syscall(SYS_prlimit64, child, RLIMIT_CORE, NULL, &cl));
    printf("prlimit-child-core: %llu %llu\n", (unsigned long long) cl.rlim_cur, (unsigned long long) cl.rlim_max);
    struct rlimit fs_old, fs_new = {4096 * 1024, 4096 * 1024};
    SHOW("prlimit-child-fsize-set", syscall(SYS_prlimit64, child, RLIMIT_FSIZE, &fs_new, &fs_old));
    syscall(SYS_prlimit64, child, RLIMIT_FSIZE, NULL, &fs_old);
    printf("prlimit-child-fsize: %llu\n", (unsigned long long) fs_old.rlim_cur);
    SHOW("prlimit-thread-read", syscall(SYS_prlimit64, tt, RLIMIT_NOFILE, NULL, &cl));
    printf("prlimit-thread-nofile: %llu\n", (unsigned long long) cl.rlim_cur);
    syscall(SYS_prlimit64, child, RLIMIT_NOFILE, NULL, &cl);
    struct rlimit raise_child = {cl.rlim_cur, cl.rlim_max + 1};
    SHOW("e-prlimit-child-raise-hard", syscall(SYS_prlimit64, child, RLIMIT_NOFILE, &raise_child, NULL));
    SHOW("e-prlimit-bad-new", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, BAD, NULL));
    SHOW("e-prlimit-bad-old", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, BAD));
    SHOW("e-prlimit-resource-99", syscall(SYS_prlimit64, 0, 99, NULL, &cl));
    struct rlimit one = {1, 1};
    SHOW("prlimit-outside-set", syscall(SYS_prlimit64, outside, RLIMIT_NOFILE, &one, NULL));
    SHOW("prlimit-outside-read", syscall(SYS_prlimit64, outside, RLIMIT_NOFILE, NULL, &cl));
    SHOW("e-prlimit-outside-bad-new", syscall(SYS_prlimit64, outside, RLIMIT_NOFILE, BAD, NULL));

    /* ---- groups and sessions */
    long pgrp = syscall(SYS_getpgrp), sid = syscall(SYS_getsid, 0);
    printf("pgrp-is-own-pid: %d\n", pgrp == getpid());
    printf("pgrp-zero: %d\n", pgrp == 0);
    printf("sid-is-own-pid: %d\n", sid == getpid());
    printf("sid-zero: %d\n", sid == 0);
    printf("getpgid-0-is-pgrp: %d\n", syscall(SYS_getpgid, 0) == pgrp);
    printf("getpgid-thread-is-pgrp: %d\n", syscall(SYS_getpgid, tt) == pgrp);
    printf("getpgid-child-is-child: %d\n", syscall(SYS_getpgid, child) == child);
    printf("getsid-child-is-sid: %d\n", syscall(SYS_getsid, child) == sid);
    printf("getsid-thread-is-sid: %d\n", syscall(SYS_getsid, tt) == sid);
    SHOW("getpgid-outside", syscall(SYS_getpgid, outside));
    SHOW("getsid-outside", syscall(SYS_getsid, outside));
    SHOW("e-getpgid-negative", syscall(SYS_getpgid, -1));
    SHOW("e-getsid-negative", syscall(SYS_getsid, -1));

    /* ---- pidfds */
    long pfd = syscall(SYS_pidfd_open, child, 0);
    printf("pidfd-open-child: %s\n", pfd >= 0 ? "fd" : err(pfd));
    if (pfd >= 0) {
        printf("pidfd-cloexec: %d\n", (fcntl(pfd, F_GETFD) & FD_CLOEXEC) != 0);
        SHOW("pidfd-send-signal-0", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
        close(pfd);
    }
    pfd = syscall(SYS_pidfd_open, child, O_NONBLOCK);
    printf("pidfd-open-nonblock: %s %d\n", pfd >= 0 ? "fd" : err(pfd), pfd >= 0 && (fcntl(pfd, F_GETFL) & O_NONBLOCK) != 0);
    if (pfd >= 0) close(pfd);
    pfd = syscall(SYS_pidfd_open, tt, 0);
    printf("pidfd-open-thread: %s\n", pfd >= 0 ? "fd" : err(pfd));
    if (pfd >= 0) close(pfd);
    pfd = syscall(SYS_pidfd_open, tt, O_EXCL /* PIDFD_THREAD */);
    printf("pidfd-open-thread-flag: %s\n", pfd >= 0 ? "fd" : err(pfd));
    if (pfd >= 0) close(pfd);
    SHOW("e-pidfd-open-flags", syscall(SYS_pidfd_open, child, 1));
    SHOW("e-pidfd-open-zero", syscall(SYS_pidfd_open, 0, 0));
    SHOW("e-pidfd-open-negative", syscall(SYS_pidfd_open, -3, 0));
    SHOW("pidfd-open-outside", syscall(SYS_pidfd_open, outside, 0));

    /* ---- the child's end, seen through a pidfd */
    pfd = syscall(SYS_pidfd_open, child, 0);
    (void) !write(pipefd[1], "x", 1);
    int st;
    waitpid(child, &st, 0);
    printf("child-exit: %d\n", WEXITSTATUS(st));
    SHOW("pidfd-send-signal-after-exit", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
    SHOW("getpriority-reaped-child", prio(PRIO_PROCESS, child));
    (void) !write(tpipe[1], "x", 1);
    pthread_join(th, NULL);
    return 0;
}
