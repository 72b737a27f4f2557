#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <errno.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <poll.h>
#include <time.h>

static int p[2];
static long sc(long nr, long a, long b, long c, long d, long e, long f) {
    long r = syscall(nr, a, b, c, d, e, f);
    return r < 0 ? -errno : r;
}
#define T(name, expr) do { write(p[1], "abcdef", 6); long r = (expr); printf("%s %ld\n", name, r); fflush(stdout); } while (0)

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
        struct timespec t = {1000, 0};
        nanosleep(&t, 0);
        return 3;
    }
    pipe2(p, O_NONBLOCK);
    static char buf[64];   /* in .bss: the same low address natively and in the sandbox */
    char *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *page = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + 4096, 4096);
    T("read_pipe_size_max", sc(SYS_read, p[0], (long) buf, -1, 0, 0, 0));
    T("read_pipe_2p63", sc(SYS_read, p[0], (long) buf, 1L << 63, 0, 0, 0));
    T("read_pipe_2p31", sc(SYS_read, p[0], (long) buf, 1L << 31, 0, 0, 0));
    T("read_pipe_readonly", sc(SYS_read, p[0], (long) ro, 4, 0, 0, 0));
    T("read_pipe_null", sc(SYS_read, p[0], 0, 4, 0, 0, 0));
    T("read_pipe_kernel_half", sc(SYS_read, p[0], (long) 0xffff800000000000UL, 4, 0, 0, 0));
    T("read_pipe_noncanonical", sc(SYS_read, p[0], (long) 0x0000900000000000UL, 4, 0, 0, 0));
    T("read_bad_fd", sc(SYS_read, -1, (long) buf, 4, 0, 0, 0));
    T("read_huge_fd", sc(SYS_read, 1L << 40, (long) buf, 4, 0, 0, 0));
    T("write_pipe_size_max", sc(SYS_write, p[1], (long) buf, -1, 0, 0, 0));
    T("pread_neg_off", sc(SYS_pread64, -1, (long) buf, 4, -1, 0, 0));
    T("readv_many", sc(SYS_readv, p[0], (long) buf, 1 << 20, 0, 0, 0));
    T("readv_neg", sc(SYS_readv, p[0], (long) buf, -1, 0, 0, 0));
    T("getdents_neg", sc(SYS_getdents64, p[0], (long) buf, -1, 0, 0, 0));
    T("getrandom_neg", sc(SYS_getrandom, (long) page, -1, 0, 0, 0, 0) > 0);
    T("getrandom_flags", sc(SYS_getrandom, (long) buf, 4, 0x100, 0, 0, 0));
    T("readlink_neg", sc(SYS_readlink, (long) "/x", (long) buf, -1, 0, 0, 0));
    T("poll_huge", sc(SYS_poll, (long) buf, 1L << 40, 0, 0, 0, 0));
    T("poll_huge_uint", sc(SYS_poll, (long) buf, 1L << 31, 0, 0, 0, 0));
    T("munmap_huge", sc(SYS_munmap, 0x100000, -4096L, 0, 0, 0, 0));
    T("munmap_2p63", sc(SYS_munmap, 0x100000, 1L << 62, 0, 0, 0, 0));
    T("mprotect_huge", sc(SYS_mprotect, 0x100000, 1L << 46, PROT_READ, 0, 0, 0));
    T("mmap_size_max", sc(SYS_mmap, 0, -1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    T("mmap_zero", sc(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    T("mremap_huge", sc(SYS_mremap, (long) page, 4096, 1L << 46, 0, 0, 0));
    T("brk_huge", sc(SYS_brk, 0x7ffffffff001L, 0, 0, 0, 0, 0) == sc(SYS_brk, 0, 0, 0, 0, 0, 0) ? 0 : 1);
    T("brk_size_max", sc(SYS_brk, -1, 0, 0, 0, 0, 0) == sc(SYS_brk, 0, 0, 0, 0, 0, 0) ? 0 : 1);
    T("brk_overflow", sc(SYS_brk, 0x7ffffffffffff001L, 0, 0, 0, 0, 0) == sc(SYS_brk, 0, 0, 0, 0, 0, 0) ? 0 : 1);
    T("munmap_everything", sc(SYS_munmap, 0x10000000000L, 0x7f0000000000L - 0x10000000000L, 0, 0, 0, 0));
    T("brk_2p63", sc(SYS_brk, 1L << 62, 0, 0, 0, 0, 0) == sc(SYS_brk, 0, 0, 0, 0, 0, 0) ? 0 : 1);
    T("close_huge", sc(SYS_close, 1L << 40, 0, 0, 0, 0, 0));
    T("dup2_huge", sc(SYS_dup2, 0, 1L << 40, 0, 0, 0, 0));
    T("openat_null", sc(SYS_openat, AT_FDCWD, 0, O_RDONLY, 0, 0, 0));
    page[4095] = 'a';   /* getrandom_neg filled the page with random bytes: one of them may be a NUL */
    T("openat_unterminated", sc(SYS_openat, AT_FDCWD, (long) (page + 4095), O_RDONLY, 0, 0, 0));
    T("nanosleep_unmapped", sc(SYS_nanosleep, (long) (page + 4096), 0, 0, 0, 0, 0));
    T("nanosleep_negative", (((long *) page)[0] = -1, sc(SYS_nanosleep, (long) page, 0, 0, 0, 0, 0)));
    T("getcwd_small", sc(SYS_getcwd, (long) buf, 1, 0, 0, 0, 0));
    T("ftruncate_neg", sc(SYS_ftruncate, -1, -1, 0, 0, 0, 0));
    T("rt_sigaction_bad_size", sc(SYS_rt_sigaction, 10, 0, 0, 7, 0, 0));
    T("kill_huge_sig", sc(SYS_kill, 0, 1000, 0, 0, 0, 0));
    T("fcntl_dupfd_huge", sc(SYS_fcntl, 0, F_DUPFD, 1L << 40, 0, 0, 0));
    T("select_neg", sc(SYS_select, -1, 0, 0, 0, 0, 0));
    T("pipe_null", sc(SYS_pipe2, 0, 0, 0, 0, 0, 0));
    T("pipe2_bad_flags", sc(SYS_pipe2, (long) buf, 0x12345678, 0, 0, 0, 0));
    T("clock_gettime_bad", sc(SYS_clock_gettime, 1000, (long) buf, 0, 0, 0, 0));
    T("brk_still_works", sc(SYS_brk, sc(SYS_brk, 0, 0, 0, 0, 0, 0) + 4096, 0, 0, 0, 0, 0) > 0);
    T("iov_len_neg", (((long *) page)[0] = (long) buf, ((long *) page)[1] = -1, sc(SYS_readv, p[0], (long) page, 1, 0, 0, 0)));
    T("iov_base_unmapped", (((long *) page)[0] = 8, ((long *) page)[1] = 4, sc(SYS_readv, p[0], (long) page, 1, 0, 0, 0)));
    T("ppoll_bad_timeout", (((long *) page)[0] = 0, ((long *) page)[1] = 2000000000L, sc(SYS_ppoll, 0, 0, (long) page, 0, 8, 0)));
    T("dup3_bad_flags", sc(SYS_dup3, 0, 9, 1, 0, 0, 0));

    /* an arena of 5 pages (the 4th read-only, then a hole): iovecs and directory listings against its edges */
    unsigned long arena = 0x100000000000UL;
    mmap((void *) arena, 5 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    mprotect((void *) (arena + 3 * 4096), 4096, PROT_READ);
    unsigned long *iov = (unsigned long *) page;
    unsigned long bufs[] = {arena, arena + 4 * 4096 + 4095, arena + 3 * 4096, arena + 5 * 4096, 0,
                            0xffff800000000000UL, 0x0000900000000000UL, arena + 4 * 4096};
    unsigned long sizes[] = {0, 1, 2, 16, 4095, 4096, 65536, 0x7fffffffUL, 0x100000000UL, 0x7fffffffffffffffUL,
                             0x8000000000000000UL, ~0UL};
    for (int w = 0; w < 2; w++) for (int i = 0; i < 8; i++) for (int j = 0; j < 12; j++) for (int n = 1; n <= 2; n++) {
        int q[2];
        pipe2(q, O_NONBLOCK);
        if (!w) write(q[1], "xy", 2);
        iov[0] = bufs[i]; iov[1] = sizes[j]; iov[2] = arena; iov[3] = 1;
        printf("%s buf%d size%d cnt%d %ld\n", w ? "writev" : "readv", i, j, n,
               sc(w ? SYS_writev : SYS_readv, w ? q[1] : q[0], (long) iov, n, 0, 0, 0));
        close(q[0]);
        close(q[1]);
    }
    for (int i = 0; i < 8; i++) for (int j = 0; j < 12; j++) {
        int d = open("/", O_RDONLY | O_DIRECTORY);
        long r = sc(SYS_getdents64, d, bufs[i], sizes[j], 0, 0, 0);
        printf("getdents64 buf%d size%d %ld\n", i, j, r > 0 ? 1 : r);   /* the listings differ: only success is compared */
        close(d);
    }
    return 0;
}
