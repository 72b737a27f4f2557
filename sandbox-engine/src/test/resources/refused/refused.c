/* The calls a kernel without the feature refuses, each made once with ordinary arguments and
 * with bad ones; prints what each gave ("ok", a value, or the errno's name). Natively the calls
 * reach the kernel; in the sandbox the Sentry answers or refuses them. Run with a directory to
 * list (getdents against getdents64). */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r) {
    if (r < 0) {
        printf("%s: %s\n", what, strerrorname_np(errno));
    } else {
        printf("%s: %ld\n", what, r);
    }
}

static long sys(long nr, long a, long b, long c, long d, long e) {
    return syscall(nr, a, b, c, d, e, 0);
}

static void sysv(void) {
    long shm = sys(SYS_shmget, 0 /* IPC_PRIVATE */, 4096, 01000 | 0600, 0, 0);
    show("shmget", shm);
    long at = sys(SYS_shmat, shm, 0, 0, 0, 0);
    show("shmat", at < 0 ? at : 0);
    show("shmdt", sys(SYS_shmdt, at, 0, 0, 0, 0));
    show("shmctl", sys(SYS_shmctl, shm, 0 /* IPC_RMID */, 0, 0, 0));
    long sem = sys(SYS_semget, 0, 1, 01000 | 0600, 0, 0);
    show("semget", sem);
    struct { unsigned short num; short op, flg; } op = {0, 1, 0};
    show("semop", sys(SYS_semop, sem, (long) &op, 1, 0, 0));
    struct timespec zero = {0, 0};
    op.op = -1;
    show("semtimedop", sys(SYS_semtimedop, sem, (long) &op, 1, (long) &zero, 0));
    show("semctl", sys(SYS_semctl, sem, 0, 0 /* IPC_RMID */, 0, 0));
    long msg = sys(SYS_msgget, 0, 01000 | 0600, 0, 0, 0);
    show("msgget", msg);
    struct { long type; char text[8]; } m = {1, "hello"};
    show("msgsnd", sys(SYS_msgsnd, msg, (long) &m, 6, 0, 0));
    show("msgrcv", sys(SYS_msgrcv, msg, (long) &m, sizeof m.text, 0, 04000 /* IPC_NOWAIT */));
    show("msgctl", sys(SYS_msgctl, msg, 0 /* IPC_RMID */, 0, 0, 0));
    show("shmget hostile size", sys(SYS_shmget, 0, -1, 01000 | 0600, 0, 0));
}

static void mqueue(void) {
    const char *name = "palisade-refused";
    long q = sys(SYS_mq_open, (long) name, O_CREAT | O_RDWR, 0600, 0, 0);
    show("mq_open", q);
    show("mq_timedsend", sys(SYS_mq_timedsend, q, (long) "hi", 2, 0, 0));
    char buf[8192];
    show("mq_timedreceive", sys(SYS_mq_timedreceive, q, (long) buf, sizeof buf, 0, 0));
    show("mq_notify", sys(SYS_mq_notify, q, 0, 0, 0, 0));
    long attr[8];
    show("mq_getsetattr", sys(SYS_mq_getsetattr, q, 0, (long) attr, 0, 0));
    show("mq_unlink", sys(SYS_mq_unlink, (long) name, 0, 0, 0, 0));
    show("mq_open bad name", sys(SYS_mq_open, 1, O_RDONLY, 0, 0, 0));
    if (q >= 0) {
        close(q);
    }
}

static void memory(void) {
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long key = sys(SYS_pkey_alloc, 0, 0, 0, 0, 0);
    /* a CPU without protection keys says ENOSPC (or EINVAL); printed only as reached or not */
    printf("pkey_alloc: %s\n", key >= 0 ? "ok" : strerrorname_np(errno));
    long r = sys(SYS_pkey_mprotect, (long) p, 4096, PROT_READ | PROT_WRITE, key >= 0 ? key : -1, 0);
    show("pkey_mprotect", r);
    r = sys(SYS_pkey_free, key >= 0 ? key : 15, 0, 0, 0, 0);
    printf("pkey_free: %s\n", r == 0 ? "ok" : strerrorname_np(errno));
    show("mseal", sys(462, (long) p, 4096, 0, 0, 0));
    show("mseal bad flags", sys(462, (long) p, 4096, 1, 0, 0));
}

static void futexes(void) {
    static uint32_t word = 7, other = 0;
    show("futex_wake", sys(454, (long) &word, 0xffffffffL, 1, 2 /* FUTEX2_SIZE_U32 */, 0));
    struct timespec soon = {0, 0};
    /* the value differs from the word's: EAGAIN at once */
    show("futex_wait", syscall(455, &word, 8L, 0xffffffffL, 2L, &soon, (long) CLOCK_MONOTONIC));
    struct { uint64_t val, uaddr; uint32_t flags, reserved; } w[2] = {
        {8, (uint64_t) (uintptr_t) &word, 2, 0}, {0, (uint64_t) (uintptr_t) &other, 2, 0}};
    show("futex_requeue", sys(456, (long) w, 0, 1, 0, 0));
    show("futex_waitv", syscall(449, w, 1L, 0L, NULL, (long) CLOCK_MONOTONIC));
    show("futex_waitv bad count", syscall(449, w, 0L, 0L, NULL, (long) CLOCK_MONOTONIC));
}

static void landlock(void) {
    long abi = sys(444, 0, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */, 0, 0);
    printf("landlock_create_ruleset version: %s\n", abi > 0 ? "an ABI" : strerrorname_np(errno));
    show("landlock_add_rule", sys(445, -1, 1, 0, 0, 0));
    show("landlock_restrict_self", sys(446, -1, 0, 0, 0, 0));
}

static void robust(void) {
    void *head = NULL;
    size_t len = 0;
    show("get_robust_list", sys(SYS_get_robust_list, 0, (long) &head, (long) &len, 0, 0));
}

/* Reads directory d to the end with the legacy getdents or getdents64, in calls of bufsize
 * bytes, into a text of "inode type name" lines. */
static char *listing(const char *d, int legacy, int bufsize, int *calls) {
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    size_t cap = 1 << 20, used = 0;
    char *out = calloc(1, cap);
    char *buf = malloc(bufsize);
    *calls = 0;
    for (;;) {
        long n = syscall(legacy ? SYS_getdents : SYS_getdents64, fd, buf, bufsize);
        if (n <= 0) {
            if (n < 0) {
                used += snprintf(out + used, cap - used, "error %s\n", strerrorname_np(errno));
            }
            break;
        }
        (*calls)++;
        for (long at = 0; at < n;) {
            unsigned long ino = *(unsigned long *) (buf + at);
            unsigned short reclen = *(unsigned short *) (buf + at + 16);
            const char *name = legacy ? buf + at + 18 : buf + at + 19;
            int type = legacy ? buf[at + reclen - 1] : buf[at + 18];
            if (used + 512 < cap) {
                used += snprintf(out + used, cap - used, "%lu %d %s\n", ino, type, name);
            }
            at += reclen;
        }
    }
    close(fd);
    free(buf);
    return out;
}

static void dirents(const char *d) {
    int legacyCalls, calls;
    char *legacy = listing(d, 1, 512, &legacyCalls), *modern = listing(d, 0, 512, &calls);
    printf("getdents: %s in %s calls\n", strcmp(legacy, modern) == 0 ? "the same records as getdents64" : "DIFFERENT",
           legacyCalls == calls && calls > 1 ? "as many" : "a different number of");
    if (strcmp(legacy, modern) != 0) {
        printf("legacy:\n%s\nmodern:\n%s\n", legacy, modern);
    }
    free(legacy);
    free(modern);
    char buf[4096];
    int fd = open(d, O_RDONLY | O_DIRECTORY);
    show("getdents too small", syscall(SYS_getdents, fd, buf, 8));
    show("getdents bad buffer", syscall(SYS_getdents, fd, (void *) 8, sizeof buf));
    close(fd);
    show("getdents bad descriptor", syscall(SYS_getdents, 999, buf, sizeof buf));
    int file = open("/proc/self/stat", O_RDONLY);
    show("getdents not a directory", syscall(SYS_getdents, file, buf, sizeof buf));
    close(file);
}

static void persona(void) {
    show("personality query", personality(0xffffffff));
    show("personality PER_LINUX", personality(PER_LINUX));
    show("personality READ_IMPLIES_EXEC", personality(READ_IMPLIES_EXEC));
    personality(PER_LINUX);
    show("personality high bits only", syscall(SYS_personality, 1L << 32));
    show("personality now", personality(0xffffffff));
}

static void filters(void) {
    unsigned int action = SECCOMP_RET_ALLOW;
    show("seccomp GET_ACTION_AVAIL", sys(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (long) &action, 0, 0));
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {1, &allow};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    long listener = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, (long) &prog, 0, 0);
    printf("seccomp NEW_LISTENER: %s\n", listener >= 0 ? "a listener" : strerrorname_np(errno));
    show("prctl(PR_SET_SECCOMP)", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0));
    /* libseccomp as programs use it: without seccomp(2) it loads the filter with prctl */
    void *lib = dlopen("libseccomp.so.2", RTLD_NOW);
    if (lib == NULL) {
        printf("libseccomp: absent\n");
        return;
    }
    void *(*init)(uint32_t) = (void *(*)(uint32_t)) dlsym(lib, "seccomp_init");
    int (*rule)(void *, uint32_t, int, unsigned int, ...) = (int (*)(void *, uint32_t, int, unsigned int, ...)) dlsym(lib, "seccomp_rule_add");
    int (*load)(void *) = (int (*)(void *)) dlsym(lib, "seccomp_load");
    void *ctx = init(SECCOMP_RET_ALLOW);
    int r = rule(ctx, SECCOMP_RET_ERRNO | EIO, SYS_getppid, 0);
    printf("libseccomp rule: %d, load: %d\n", r, load(ctx));
    show("getppid under the program's filter", syscall(SYS_getppid));
}

static void locking(void) {
    struct rlimit l;
    getrlimit(RLIMIT_MEMLOCK, &l);
    printf("RLIMIT_MEMLOCK at start: %s\n", l.rlim_cur == 0 && l.rlim_max == 0 ? "0 0" : "not 0");
    /* natively, the sandbox's position: no locked memory allowed, no CAP_IPC_LOCK */
    l.rlim_cur = l.rlim_max = 0;
    setrlimit(RLIMIT_MEMLOCK, &l);
    if (geteuid() == 0 && (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)) {
        printf("could not drop root\n");
    }
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("mlock", sys(SYS_mlock, (long) p, 4096, 0, 0, 0));
    show("mlock nothing", sys(SYS_mlock, (long) p, 0, 0, 0, 0));
    show("mlock2", sys(SYS_mlock2, (long) p, 4096, 1 /* MLOCK_ONFAULT */, 0, 0));
    show("mlock2 bad flags", sys(SYS_mlock2, (long) p, 4096, 2, 0, 0));
    show("mlockall", sys(SYS_mlockall, MCL_CURRENT | MCL_FUTURE, 0, 0, 0, 0));
    show("mlockall no flags", sys(SYS_mlockall, 0, 0, 0, 0, 0));
    show("mlockall MCL_ONFAULT alone", sys(SYS_mlockall, 4, 0, 0, 0, 0));
    show("mlockall unknown flag", sys(SYS_mlockall, 1 | 8, 0, 0, 0, 0));
    show("munlock", sys(SYS_munlock, (long) p + 100, 5000, 0, 0, 0));
    show("munlock nothing", sys(SYS_munlock, 0, 0, 0, 0, 0));
    show("munlock wrapping", sys(SYS_munlock, -4096L, 8192, 0, 0, 0));
    show("munlock above the user half", sys(SYS_munlock, 1L << 50, 4096, 0, 0, 0));
    show("munlockall", sys(SYS_munlockall, 0, 0, 0, 0, 0));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    sysv();
    mqueue();
    memory();
    futexes();
    landlock();
    robust();
    dirents(argc > 1 ? argv[1] : ".");
    persona();
    filters();
    locking();
    return 0;
}
