/*
 * The vDSO's clocks, for KvmVdsoTest. Modes:
 *   loop N      N rounds of clock_gettime(MONOTONIC, REALTIME), gettimeofday, time: prints whether
 *               any clock went back, the realtime at the end, AT_SYSINFO_EHDR, getcpu, getres
 *   mixed N     N rounds of the raw clock_gettime syscall, then the vDSO's: whether either went back
 *   fork        parent, forked child, parent: the clock never goes back across them; the child has the vDSO
 *   errors      a bad clock id (EINVAL), CPU-time clocks, a bad pointer through a syscall clock
 *   badptr      clock_gettime(CLOCK_MONOTONIC) into an unmapped timespec (a fault in the vDSO)
 *   badtv       gettimeofday into an unmapped timeval
 *   writevdso   a store into the vDSO's text
 *   writevvar A a store into the clock page at A (0: find [vvar] in /proc/self/maps)
 *   unmap S     munmap of S bytes of the vDSO, then a read of it
 *   protect S   mprotect of S bytes of the vDSO to read+write+exec, then a store into it
 *   bench N     ns per clock_gettime(CLOCK_MONOTONIC) over N calls: wall, then CPU
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(const struct timespec *t) { return (int64_t) t->tv_sec * 1000000000 + t->tv_nsec; }

static uintptr_t vvar_from_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    uintptr_t a = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "[vvar]")) {
            a = strtoul(line, NULL, 16);
            break;
        }
    }
    if (f)
        fclose(f);
    return a;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "loop";
    unsigned char *vdso = (unsigned char *) getauxval(AT_SYSINFO_EHDR);
    if (!strcmp(mode, "loop")) {
        long n = argc > 2 ? atol(argv[2]) : 100000, back = 0, tvback = 0, tback = 0;
        struct timespec m0, m1, r;
        struct timeval tv0, tv1;
        time_t t0 = time(NULL), t1;
        clock_gettime(CLOCK_MONOTONIC, &m0);
        gettimeofday(&tv0, NULL);
        for (long i = 0; i < n; i++) {
            clock_gettime(CLOCK_MONOTONIC, &m1);
            if (ns(&m1) < ns(&m0))
                back++;
            m0 = m1;
            clock_gettime(CLOCK_REALTIME, &r);
            gettimeofday(&tv1, NULL);
            if (tv1.tv_sec * 1000000L + tv1.tv_usec < tv0.tv_sec * 1000000L + tv0.tv_usec)
                tvback++;
            tv0 = tv1;
            t1 = time(NULL);
            if (t1 < t0)
                tback++;
            t0 = t1;
        }
        clock_gettime(CLOCK_REALTIME, &r);
        struct timespec res;
        int gr = clock_getres(CLOCK_MONOTONIC, &res);
        printf("ehdr %s\n", vdso ? "set" : "zero");
        printf("elf %s\n", vdso && !memcmp(vdso, "\177ELF", 4) ? "yes" : "no");
        printf("monotonic back %ld\n", back);
        printf("gettimeofday back %ld\n", tvback);
        printf("time back %ld\n", tback);
        printf("getres %d %lld.%09ld\n", gr, (long long) res.tv_sec, res.tv_nsec);
        printf("getcpu %d\n", sched_getcpu());
        printf("realtime %lld\n", (long long) ns(&r));
        return 0;
    }
    if (!strcmp(mode, "mixed")) {
        long n = argc > 2 ? atol(argv[2]) : 1000, back = 0;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) {
            syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);   /* the Sentry's answer */
            if (ns(&b) < ns(&a))
                back++;
            clock_gettime(CLOCK_MONOTONIC, &a);                /* the vDSO's */
            if (ns(&a) < ns(&b))
                back++;
        }
        printf("mixed back %ld\n", back);
        return 0;
    }
    if (!strcmp(mode, "fork")) {
        /* parent, then child, then parent again: one clock across processes; the child has the vDSO too */
        struct timespec a, b, c;
        int fds[2];
        if (pipe(fds))
            return 3;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid_t pid = fork();
        if (pid == 0) {
            clock_gettime(CLOCK_MONOTONIC, &b);
            int split = munmap(vdso, 4096) == -1 && errno == EINVAL;
            if (write(fds[1], &b, sizeof b) != sizeof b)
                _exit(3);
            _exit(ns(&b) >= ns(&a) && getauxval(AT_SYSINFO_EHDR) == (unsigned long) vdso && split ? 0 : 1);
        }
        int st = 0;
        if (read(fds[0], &b, sizeof b) != sizeof b || waitpid(pid, &st, 0) != pid)
            return 3;
        clock_gettime(CLOCK_MONOTONIC, &c);
        printf("child %s, parent after child %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "bad",
               ns(&c) >= ns(&b) ? "ok" : "back");
        return 0;
    }
    if (!strcmp(mode, "errors")) {
        struct timespec t;
        errno = 0;
        int a = clock_gettime(12345, &t);
        printf("bad id: %d %s\n", a, strerror(errno));
        errno = 0;
        a = clock_getres(999, &t);
        printf("getres bad id: %d %s\n", a, strerror(errno));
        errno = 0;
        a = clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        printf("process cputime: %d %s %s\n", a, strerror(errno), t.tv_sec >= 0 && t.tv_nsec >= 0 ? "ok" : "bad");
        errno = 0;
        a = clock_gettime(CLOCK_THREAD_CPUTIME_ID, (struct timespec *) 8);
        printf("thread cputime, bad pointer: %d %s\n", a, strerror(errno));
        errno = 0;
        a = clock_getres(CLOCK_REALTIME, NULL);
        printf("getres null: %d %s\n", a, strerror(errno));
        return 0;
    }
    if (!strcmp(mode, "badptr")) {
        fflush(stdout);
        clock_gettime(CLOCK_MONOTONIC, (struct timespec *) 8);
        printf("survived\n");
        return 0;
    }
    if (!strcmp(mode, "badtv")) {
        gettimeofday((struct timeval *) 16, NULL);
        printf("survived\n");
        return 0;
    }
    if (!strcmp(mode, "writevdso")) {
        vdso[0x100] = 0x90;
        printf("survived\n");
        return 0;
    }
    if (!strcmp(mode, "writevvar")) {
        uintptr_t a = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
        if (!a)
            a = vvar_from_maps();
        volatile uint32_t *p = (volatile uint32_t *) a;
        uint32_t before = *p;   /* readable */
        *p = before + 1;
        printf("survived\n");
        return 0;
    }
    if (!strcmp(mode, "unmap")) {
        long size = atol(argv[2]);
        int r = munmap(vdso, size);
        printf("munmap %d %s\n", r, r ? strerror(errno) : "");
        fflush(stdout);
        printf("read %d\n", vdso[1]);
        return 0;
    }
    if (!strcmp(mode, "protect")) {
        long size = atol(argv[2]);
        int r = mprotect(vdso, size, PROT_READ | PROT_WRITE | PROT_EXEC);
        printf("mprotect %d %s\n", r, r ? strerror(errno) : "");
        if (r == 0) {
            vdso[0x100] ^= 0;
            struct timespec t;
            printf("stored; clock_gettime %d\n", clock_gettime(CLOCK_MONOTONIC, &t));
        }
        return 0;
    }
    if (!strcmp(mode, "bench")) {
        /* wall and CPU time per call: on a loaded host the wall time also holds the waits for a CPU */
        long n = argc > 2 ? atol(argv[2]) : 1000000;
        struct timespec a, b, ca, cb, t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++)
            clock_gettime(CLOCK_MONOTONIC, &t);
        clock_gettime(CLOCK_MONOTONIC, &b);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
        printf("%.1f %.1f\n", (double) (ns(&b) - ns(&a)) / n, (double) (ns(&cb) - ns(&ca)) / n);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
