/*
 * Path tricks against the Sentry's path serving; prints one "name: outcome" line per trick.
 *   path_tricks swap N      a thread swaps a symlink between an allowed file and escapes while the main thread opens it
 *   path_tricks race N      a thread rewrites the path buffer while the main thread opens and stats it
 *   path_tricks dotdot      .., /proc/self/root, /proc/<pid>/cwd and dirfd tricks
 *   path_tricks opath       O_PATH descriptors reopened through /proc/self/fd
 *   path_tricks openat2     openat2 with each resolve flag
 *   path_tricks kernel      /proc/kcore, /proc/sys, /sys, another pid's /proc entries
 * Outcomes are "ok:<first bytes>" or the errno's name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *err(int e) {
    switch (e) {
    case ENOENT: return "ENOENT"; case ELOOP: return "ELOOP"; case EXDEV: return "EXDEV"; case EACCES: return "EACCES";
    case EPERM: return "EPERM"; case EROFS: return "EROFS"; case EAGAIN: return "EAGAIN"; case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR"; case EBADF: return "EBADF"; case EFAULT: return "EFAULT"; case ENAMETOOLONG: return "ENAMETOOLONG";
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
    }
}

/* "ok:<up to 12 bytes>" for a readable fd, "ok" for one that is not, else the errno */
static const char *outcome(int fd) {
    static char b[64];
    if (fd < 0) return err(errno);
    char c[13] = {0};
    ssize_t n = read(fd, c, 12);
    close(fd);
    if (n < 0) return "ok";
    for (ssize_t i = 0; i < n; i++) if (c[i] == '\n' || c[i] < 32) c[i] = '.';
    snprintf(b, sizeof b, "ok:%s", c);
    return b;
}

static void put(const char *path, const char *content) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, content, strlen(content)) < 0) { perror(path); exit(2); }
    close(fd);
}

static volatile int stop;
static char racy[256];

static void *swapper(void *arg) {
    const char **targets = arg;
    for (int i = 0; !stop; i++) {
        symlink(targets[i % 4], "/tmp/link.new");
        rename("/tmp/link.new", "/tmp/link");
    }
    return NULL;
}

static void *rewriter(void *arg) {
    (void) arg;
    for (int i = 0; !stop; i++) {
        strcpy(racy, (i & 1) ? "/proc/sys/kernel/hostname" : "/tmp/allowed");
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    const char *what = argv[1];
    long n = argc > 2 ? atol(argv[2]) : 0;
    put("/tmp/allowed", "allowed");
    if (!strcmp(what, "swap")) {
        const char *targets[] = {"/tmp/allowed", "/proc/1/root/../../../../etc/hostname",
                                 "../../../../../../proc/sys/kernel/hostname", "/proc/self/root/tmp/allowed"};
        pthread_t t;
        pthread_create(&t, NULL, swapper, targets);
        long allowed = 0, refused = 0, other = 0;
        for (long i = 0; i < n; i++) {
            const char *o = outcome(open("/tmp/link", O_RDONLY));
            if (!strcmp(o, "ok:allowed")) allowed++;
            else if (!strncmp(o, "ok", 2)) { other++; printf("opened: %s\n", o); }
            else refused++;
        }
        stop = 1;
        pthread_join(t, NULL);
        printf("swap: allowed=%s other=%ld\n", allowed > 0 && refused > 0 ? "some" : "none", other);
    } else if (!strcmp(what, "race")) {
        strcpy(racy, "/tmp/allowed");
        pthread_t t;
        pthread_create(&t, NULL, rewriter, NULL);
        long allowed = 0, other = 0, refused = 0;
        for (long i = 0; i < n; i++) {
            const char *o = outcome(open(racy, O_RDONLY));
            if (!strcmp(o, "ok:allowed")) allowed++;
            else if (!strncmp(o, "ok", 2)) { other++; printf("opened: %s\n", o); }
            else refused++;
            struct stat st;
            stat(racy, &st);
        }
        stop = 1;
        pthread_join(t, NULL);
        printf("race: allowed=%s other=%ld\n", allowed > 0 ? "some" : "none", other);
    } else if (!strcmp(what, "dotdot")) {
        printf("dotdot-abs: %s\n", outcome(open("/../../../../tmp/allowed", O_RDONLY)));
        chdir("/tmp");
        printf("dotdot-rel: %s\n", outcome(open("../../../../../tmp/allowed", O_RDONLY)));
        printf("self-root: %s\n", outcome(open("/proc/self/root/tmp/allowed", O_RDONLY)));
        printf("self-root-dotdot: %s\n", outcome(open("/proc/self/root/../../etc/hostname", O_RDONLY)));
        printf("init-cwd: %s\n", outcome(open("/proc/1/cwd/../../etc/hostname", O_RDONLY)));
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/cwd/allowed", getpid());
        printf("own-cwd: %s\n", outcome(open(p, O_RDONLY)));
        int root = open("/", O_RDONLY | O_DIRECTORY);
        printf("dirfd-dotdot: %s\n", outcome(openat(root, "../../../tmp/allowed", O_RDONLY)));
        symlink("../../../../../..", "/tmp/up");
        printf("symlink-up: %s\n", outcome(open("/tmp/up/tmp/allowed", O_RDONLY)));
        symlink("/proc/self/root", "/tmp/toroot");
        printf("symlink-magic: %s\n", outcome(open("/tmp/toroot/tmp/allowed", O_RDONLY)));
        struct stat st;
        printf("stat-dotdot: %s\n", stat("/../../tmp/allowed", &st) == 0 ? "ok" : err(errno));
        char l[256] = {0};
        ssize_t k = readlink("/proc/self/exe", l, sizeof l - 1);
        printf("readlink-exe: %s\n", k > 0 ? l : err(errno));
        printf("bad-dirfd: %s\n", outcome(openat(999, "x", O_RDONLY)));
        printf("bad-pointer: %s\n", outcome(open((const char *) 8, O_RDONLY)));
        printf("empty: %s\n", outcome(open("", O_RDONLY)));
    } else if (!strcmp(what, "opath")) {
        int ro = open("/etc/hostname", O_PATH);
        char p[64];
        snprintf(p, sizeof p, "/proc/self/fd/%d", ro);
        printf("opath-readonly-mount-rdwr: %s\n", outcome(open(p, O_RDWR)));
        printf("opath-readonly-mount-read: %s\n", strncmp(outcome(open(p, O_RDONLY)), "ok", 2) ? "refused" : "ok");
        put("/tmp/locked", "locked");
        chmod("/tmp/locked", 0);
        int lk = open("/tmp/locked", O_PATH);
        snprintf(p, sizeof p, "/proc/self/fd/%d", lk);
        printf("opath-mode-000: %s\n", outcome(open(p, O_RDONLY)));
        printf("opath-direct-mode-000: %s\n", outcome(open("/tmp/locked", O_RDONLY)));
        int d = open("/tmp", O_PATH | O_DIRECTORY);
        printf("opath-dirfd: %s\n", outcome(openat(d, "allowed", O_RDONLY)));
        snprintf(p, sizeof p, "/proc/1/fd/0");
        printf("init-fd: %s\n", outcome(open(p, O_RDONLY)));
    } else if (!strcmp(what, "openat2")) {
        mkdir("/tmp/sub", 0755);
        put("/tmp/sub/in", "inside");
        symlink("in", "/tmp/sub/rel");
        symlink("/tmp/allowed", "/tmp/sub/abs");
        int sub = open("/tmp/sub", O_PATH | O_DIRECTORY);
        struct { const char *name; const char *path; unsigned long long resolve; } cases[] = {
            {"beneath-inside", "in", RESOLVE_BENEATH},
            {"beneath-dotdot", "../allowed", RESOLVE_BENEATH},
            {"beneath-absolute-link", "abs", RESOLVE_BENEATH},
            {"in-root-dotdot", "../../in", RESOLVE_IN_ROOT},
            {"in-root-absolute", "/in", RESOLVE_IN_ROOT},
            {"in-root-absolute-link", "abs", RESOLVE_IN_ROOT},
            {"no-symlinks", "rel", RESOLVE_NO_SYMLINKS},
            {"no-symlinks-plain", "in", RESOLVE_NO_SYMLINKS},
            {"no-magiclinks", "/proc/self/exe", RESOLVE_NO_MAGICLINKS},
            {"no-xdev-same", "in", RESOLVE_NO_XDEV},
            {"no-xdev-cross", "/proc/self/status", RESOLVE_NO_XDEV},
            {"cached", "in", RESOLVE_CACHED},
            {"unknown-flag", "in", 1ULL << 40},
        };
        for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct open_how how = {.flags = O_RDONLY, .resolve = cases[i].resolve};
            int fd = syscall(SYS_openat2, sub, cases[i].path, &how, sizeof how);
            const char *o = outcome(fd);
            /* RESOLVE_CACHED may need a lookup the cache cannot answer */
            if (!strcmp(cases[i].name, "cached") && !strcmp(o, "EAGAIN")) o = "ok:inside";
            printf("%s: %s\n", cases[i].name, o);
        }
        struct open_how small = {0};
        printf("small-how: %s\n", outcome(syscall(SYS_openat2, sub, "in", &small, 8)));
    } else if (!strcmp(what, "kernel")) {
        printf("kcore: %s\n", outcome(open("/proc/kcore", O_RDONLY)));
        printf("proc-sys: %s\n", outcome(open("/proc/sys/kernel/hostname", O_RDONLY)));
        printf("proc-sys-dir: %s\n", outcome(open("/proc/sys", O_RDONLY | O_DIRECTORY)));
        printf("sysrq: %s\n", outcome(open("/proc/sysrq-trigger", O_WRONLY)));
        printf("sys: %s\n", outcome(open("/sys/kernel/notes", O_RDONLY)));
        printf("sys-dir: %s\n", outcome(open("/sys", O_RDONLY | O_DIRECTORY)));
        printf("init-environ: %s\n", outcome(open("/proc/1/environ", O_RDONLY)));
        printf("own-status: %s\n", outcome(open("/proc/self/status", O_RDONLY)));
        printf("proc-cpuinfo: %s\n", strncmp(outcome(open("/proc/cpuinfo", O_RDONLY)), "ok", 2) ? "refused" : "ok");
        printf("host-pid: %s\n", outcome(open("/proc/4194000/status", O_RDONLY)));
    }
    return 0;
}
