/*
 * The syscall fuzzer's findings on the KVM platform, one line each (KvmHostileArgumentsTest):
 * "name result" where result is the return value or -errno. The test runs it in the sandbox and
 * natively and compares the lines. Each call once broke the KVM Sentry (an exception, a spin, a
 * sleep for ever) or answered differently from Linux; see docs/fuzz-findings.md.
 * "hostile brk-loop" calls brk with a huge value for ever: only the sandbox's limits end it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define KERNEL ((void *) 0xffff888000000000UL)

static long sc(long n, long a, long b, long c, long d, long e, long f) {
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return r;
}

static void show(const char *name, long r) {
    printf("%s %ld\n", name, r);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "brk-loop")) {
        /* the reproduction: brk with a huge value, again and again, under wall and CPU limits */
        for (;;) {
            sc(SYS_brk, 0x7ffffffffffff001L, 0, 0, 0, 0, 0);
        }
    }
    /* a buffer of two writable pages, a read-only page after it, then nothing */
    char *a = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(a + 2 * 4096, 4096, PROT_READ);
    munmap(a + 3 * 4096, 4096);
    char *ro = a + 2 * 4096, *last = a + 3 * 4096 - 1;
    int p[2];

    pipe2(p, O_NONBLOCK);
    write(p[1], "x", 1);
    show("read-pipe-size-max", sc(SYS_read, p[0], (long) a, -1L, 0, 0, 0));
    show("read-pipe-size-2^63", sc(SYS_read, p[0], (long) a, 1L << 63, 0, 0, 0));
    show("read-pipe-size-2^31", sc(SYS_read, p[0], (long) a, 1L << 31, 0, 0, 0));
    show("read-pipe-kernel-0", sc(SYS_read, p[0], (long) KERNEL, 0, 0, 0, 0));
    show("write-pipe-size-max", sc(SYS_write, p[1], (long) a, -1L, 0, 0, 0));
    show("write-pipe-2^31-from-mapping", sc(SYS_write, p[1], (long) a, 1L << 31, 0, 0, 0));
    close(p[0]);
    close(p[1]);

    show("getrandom-size-max", sc(SYS_getrandom, (long) a, -1L, 0, 0, 0, 0));
    show("getrandom-size-max-read-only", sc(SYS_getrandom, (long) ro, -1L, 0, 0, 0, 0));
    show("getrandom-bad-flags", sc(SYS_getrandom, (long) a, 16, 0x100, 0, 0, 0));

    int d = open("/", O_RDONLY | O_DIRECTORY);
    show("getdents64-size-max", sc(SYS_getdents64, d, (long) a, -1L, 0, 0, 0));
    show("getdents64-size-2^31", sc(SYS_getdents64, d, (long) a, 1L << 31, 0, 0, 0));
    show("getdents64-size-2^63", sc(SYS_getdents64, d, (long) last, 1L << 63, 0, 0, 0));
    show("lseek-dir-int-max", sc(SYS_lseek, d, 0x7fffffff, SEEK_SET, 0, 0, 0));
    show("getdents64-past-the-end-is-no-error", sc(SYS_getdents64, d, (long) a, 4096, 0, 0, 0) >= 0);
    close(d);

    long brk0 = sc(SYS_brk, 0, 0, 0, 0, 0, 0);
    long huge[] = {0x7fffffffffffffffL, 0x7ffffffffffff001L, (long) 0x8000000000000000UL, -1L, 1L << 47, (1L << 47) - 4096};
    int same = 0;
    for (int i = 0; i < 6; i++) {
        same += sc(SYS_brk, huge[i], 0, 0, 0, 0, 0) == brk0;
    }
    show("brk-huge-keeps-the-break", same);

    struct timespec bad[] = {{-1, 0}, {(time_t) 0x8000000000000000UL, 0}, {0, 1000000000}, {0, -1}};
    for (int i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "clock_nanosleep-invalid-%d", i);
        show(name, sc(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, (long) &bad[i], 0, 0, 0));
    }
    show("clock_getres-no-such-clock", sc(SYS_clock_getres, 100, (long) a, 0, 0, 0, 0));

    show("mmap-size-max", sc(SYS_mmap, 0, -1L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show("mmap-size-0", sc(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show("mprotect-size-max", sc(SYS_mprotect, (long) a, -1L, PROT_READ, 0, 0, 0));
    /* 16 TiB where nothing is mapped: answered at once, not page by page */
    show("munmap-16TiB-of-nothing", sc(SYS_munmap, 1L << 45, 1L << 44, 0, 0, 0, 0));
    show("mprotect-16TiB-of-nothing", sc(SYS_mprotect, 1L << 45, 1L << 44, PROT_READ, 0, 0, 0));

    int before[2], after[2];
    pipe(before);
    close(before[0]);
    close(before[1]);
    show("pipe2-read-only-result", sc(SYS_pipe2, (long) ro, 0, 0, 0, 0, 0));
    pipe(after);
    show("pipe2-fault-leaks-no-fd", after[0] == before[0] && after[1] == before[1]);
    close(after[0]);
    close(after[1]);

    show("dup3-bad-flags", sc(SYS_dup3, 1, 200, 0x1234, 0, 0, 0));
    unsigned long set = 0;
    show("rt_sigprocmask-sigsetsize-4", sc(SYS_rt_sigprocmask, SIG_BLOCK, (long) &set, 0, 4, 0, 0));
    show("rt_sigaction-sigsetsize-16", sc(SYS_rt_sigaction, 10, 0, 0, 16, 0, 0));
    show("poll-kernel-array-of-0", sc(SYS_poll, (long) KERNEL, 0, 0, 0, 0, 0));
    struct timespec zero = {0, 0};
    show("select-nfds-int-max", sc(SYS_select, 0x7fffffff, (long) KERNEL, 0, 0, (long) &zero, 0));
    show("select-nfds-negative", sc(SYS_select, 0x80000000L, 0, 0, 0, (long) &zero, 0));

    pipe2(p, O_NONBLOCK);
    write(p[1], "xy", 2);
    struct iovec big[2] = {{a, 1L << 31}, {a, 1}};
    show("readv-iovec-2^31", sc(SYS_readv, p[0], (long) big, 2, 0, 0, 0));
    struct iovec neg[2] = {{KERNEL, 1}, {a, -1L}};
    show("readv-negative-length-before-fault", sc(SYS_readv, p[0], (long) neg, 2, 0, 0, 0));
    close(p[0]);
    close(p[1]);
    return 0;
}
