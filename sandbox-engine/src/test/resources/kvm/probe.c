/* Test program for the KVM platform: one static binary, one mode per argv[1]. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case ENOENT: return "ENOENT"; case EACCES: return "EACCES"; case EEXIST: return "EEXIST"; case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS"; case EPERM: return "EPERM"; case EROFS: return "EROFS"; case EFBIG: return "EFBIG";
    case ENOTDIR: return "ENOTDIR"; case ELOOP: return "ELOOP"; case EBADF: return "EBADF";
    default: { static char b[32]; snprintf(b, sizeof b, "E%d", e); return b; }
    }
}

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static int files(void) {
    char buf[256];
    int fd = open("data.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    dprintf(fd, "line one\nline two\n");
    printf("pwrite=%zd\n", pwrite(fd, "LINE", 4, 0));
    close(fd);
    fd = open("data.txt", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("read=%zd [%s]\n", n, buf);
    printf("lseek=%ld pread=%zd\n", (long)lseek(fd, 5, SEEK_SET), pread(fd, buf, 3, 9));
    struct stat st;
    fstat(fd, &st);
    printf("size=%ld reg=%d\n", (long)st.st_size, S_ISREG(st.st_mode));
    int d = dup(fd);
    printf("dup>2=%d\n", d > 2);
    close(d);
    close(fd);
    printf("mkdir=%d\n", mkdir("sub", 0755));
    printf("mkdir again errno=%s\n", mkdir("sub", 0755) < 0 ? en(errno) : "none");
    printf("rename=%d\n", rename("data.txt", "sub/moved.txt"));
    printf("symlink=%d\n", symlink("moved.txt", "sub/link"));
    ssize_t l = readlink("sub/link", buf, sizeof buf);
    printf("readlink=%.*s\n", (int)(l > 0 ? l : 0), buf);
    printf("stat via link size=%ld\n", stat("sub/link", &st) == 0 ? (long)st.st_size : -1L);
    printf("access R=%d\n", access("sub/moved.txt", R_OK));
    DIR *dir = opendir("sub");
    char *names[16]; int k = 0;
    struct dirent *e;
    while ((e = readdir(dir)) && k < 16) names[k++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, k, sizeof *names, cmp);
    for (int i = 0; i < k; i++) printf("entry %s\n", names[i]);
    printf("chdir=%d\n", chdir("sub"));
    char cwd[256];
    getcwd(cwd, sizeof cwd);
    printf("cwd ends with /sub: %d\n", strlen(cwd) >= 4 && strcmp(cwd + strlen(cwd) - 4, "/sub") == 0);
    chdir("..");
    printf("unlink link=%d\n", unlink("sub/link"));
    printf("unlink=%d\n", unlink("sub/moved.txt"));
    printf("rmdir=%d\n", rmdir("sub"));
    printf("open missing errno=%s\n", open("nope", O_RDONLY) < 0 ? en(errno) : "none");
    int p[2];
    printf("pipe=%d\n", pipe(p));
    write(p[1], "through pipe", 12);
    n = read(p[0], buf, sizeof buf);
    printf("pipe read=%.*s\n", (int)n, buf);
    printf("dup2=%d\n", dup2(p[1], 10));
    close(p[0]); close(p[1]); close(10);
    fd = open("trunc.bin", O_CREAT | O_RDWR, 0600);
    printf("ftruncate=%d\n", ftruncate(fd, 5000));
    fstat(fd, &st);
    printf("truncated size=%ld\n", (long)st.st_size);
    close(fd);
    unlink("trunc.bin");
    return 0;
}

static int memory(void) {
    int fd = open("map.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "mapped file contents\n", 21);
    char *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("file mmap: %.20s\n", m);
    munmap(m, 4096);
    close(fd);
    unlink("map.txt");
    char *a = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(a, 'x', 3 * 4096);
    a = mremap(a, 3 * 4096, 300 * 4096, MREMAP_MAYMOVE);
    printf("mremap kept data: %d\n", a[3 * 4096 - 1] == 'x' && a[299 * 4096] == 0);
    printf("mprotect=%d\n", mprotect(a, 4096, PROT_READ));
    printf("munmap=%d\n", munmap(a, 300 * 4096));
    for (int round = 0; round < 3; round++) {
        unsigned char *z = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        long nonzero = 0;
        for (int i = 0; i < 64 * 4096; i++) nonzero += z[i] != 0;
        printf("fresh mmap round %d nonzero=%ld\n", round, nonzero);
        memset(z, 0xab, 64 * 4096);
        munmap(z, 64 * 4096);
    }
    void *big = malloc(50 << 20);
    memset(big, 1, 50 << 20);
    free(big);
    char *s = sbrk(0);
    printf("brk grows: %d\n", sbrk(65536) == s && sbrk(0) == s + 65536);
    return 0;
}

static int misc(void) {
    struct utsname u;
    uname(&u);
    printf("sysname=%s machine=%s\n", u.sysname, u.machine);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("slept >= 20ms: %d\n", ms >= 20);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("time plausible: %d\n", tv.tv_sec > 1700000000);
    unsigned char r[16] = {0};
    printf("getrandom=%ld\n", (long)syscall(SYS_getrandom, r, 16, 0));
    printf("pid=%d uid>0=%d\n", getpid() > 0, getuid() > 0);
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    printf("sigaction=%d\n", sigaction(SIGPIPE, &sa, NULL));
    printf("bad pointer write errno=%s\n", write(1, (void *)(uintptr_t)atoi("16"), 10) < 0 ? en(errno) : "none");
    printf("unknown syscall errno=%s\n", syscall(600) < 0 ? en(errno) : "none");
    printf("ptrace errno=%s\n", syscall(SYS_ptrace, 0, 0, 0, 0) < 0 ? en(errno) : "none");
    return 0;
}

/* Reads through the read-ahead window in every way that could expose it: must match native. */
static int read_window(void) {
    int fd = open("ra.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    static unsigned char buf[1 << 20], got[8192];
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (unsigned char)(i * 131 + (i >> 12));
    write(fd, buf, sizeof buf);
    close(fd);
    fd = open("ra.bin", O_RDONLY);
    unsigned long sum = 0; long bad = 0, off = 0;
    for (int i = 0; i < 100; i++) {
        ssize_t n = read(fd, got, 4096);
        for (int k = 0; k < n; k++) { sum += got[k]; if (got[k] != buf[off + k]) bad++; }
        off += n;
    }
    printf("sequential: off=%ld pos=%ld sum=%lu bad=%ld\n", off, (long)lseek(fd, 0, SEEK_CUR), sum, bad);
    lseek(fd, 12345, SEEK_SET);
    read(fd, got, 4096);
    printf("after lseek: first=%d want=%d pos=%ld\n", got[0], buf[12345], (long)lseek(fd, 0, SEEK_CUR));
    int d = dup(fd);
    for (int i = 0; i < 6; i++) {
        long before = lseek(fd, 0, SEEK_CUR);
        read(i % 2 ? d : fd, got, 3000);
        printf("dup read %d at %ld ok=%d\n", i, before, memcmp(got, buf + before, 3000) == 0);
    }
    int w = open("ra.bin", O_WRONLY);
    long pos = lseek(fd, 0, SEEK_CUR);
    read(fd, got, 4096);
    pwrite(w, "ZZZZ", 4, pos + 8192);
    read(fd, got, 4096);
    read(fd, got, 4096);
    printf("sees own write: %.4s\n", got);
    ssize_t n = read(fd, got, 8192);
    printf("big read n=%zd ok=%d\n", n, memcmp(got, buf + pos + 12288, n) == 0);
    struct stat st;
    fstat(fd, &st);
    printf("fstat size=%ld\n", (long)st.st_size);
    lseek(fd, -100, SEEK_END);
    printf("tail read=%zd then eof=%zd\n", read(fd, got, 4096), read(fd, got, 4096));
    close(d); close(fd); close(w);
    fd = open("ra.bin", O_RDONLY);
    read(fd, got, 4096); read(fd, got, 4096);
    ftruncate(open("ra.bin", O_WRONLY), 10000);
    printf("after truncate: read=%zd\n", read(fd, got, 4096));
    printf("again: read=%zd\n", read(fd, got, 4096));
    unlink("ra.bin");
    return 0;
}

static int escape(void) {
    const char *paths[] = {"/etc/shadow", "../../../../etc/shadow", "/root", "/home", "/proc/kcore",
                           "/dev/sda", "../../../../../../../../tmp/../etc/shadow", "/workspace/esc/etc/shadow", NULL};
    symlink("/", "esc");
    symlink("../../../../../../etc/shadow", "rel");
    for (int i = 0; paths[i]; i++) {
        int fd = open(paths[i], O_RDONLY);
        printf("%s: %s\n", paths[i], fd < 0 ? en(errno) : "OPENED");
    }
    int fd = open("rel", O_RDONLY);
    printf("rel symlink: %s\n", fd < 0 ? en(errno) : "OPENED");
    fd = open("/etc/passwd", O_WRONLY);
    printf("write /etc/passwd: %s\n", fd < 0 ? en(errno) : "OPENED");
    DIR *dir = opendir("/");
    struct dirent *e;
    while ((e = readdir(dir))) if (!strcmp(e->d_name, "root") || !strcmp(e->d_name, "home")) printf("LEAK %s\n", e->d_name);
    closedir(dir);
    chdir("/");
    chdir("..");
    char cwd[256];
    printf("cwd after .. from /: %s\n", getcwd(cwd, sizeof cwd));
    return 0;
}

int main(int argc, char **argv) {
    const char *m = argc > 1 ? argv[1] : "hello";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(m, "hello")) {
        printf("hello, %d args, HOME=%s\n", argc, getenv("HOME") ? getenv("HOME") : "(unset)");
        return 3;
    }
    if (!strcmp(m, "files")) return files();
    if (!strcmp(m, "memory")) return memory();
    if (!strcmp(m, "misc")) return misc();
    if (!strcmp(m, "escape")) return escape();
    if (!strcmp(m, "readahead")) return read_window();
    if (!strcmp(m, "alloc")) { for (;;) { char *p = malloc(1 << 20); if (!p) { printf("malloc failed\n"); return 1; } memset(p, 1, 1 << 20); } }
    if (!strcmp(m, "reserve")) { void *p = mmap(NULL, 1UL << 40, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); printf("reserve %s\n", p == MAP_FAILED ? "failed" : "ok"); return 0; }
    if (!strcmp(m, "tamper")) {
        /* scribble over the read-ahead table (if this path has one) between reads */
        int fd = open("t.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
        static char b[1 << 16];
        for (int i = 0; i < 16; i++) write(fd, b, sizeof b);
        lseek(fd, 0, SEEK_SET);
        unsigned long *table = (unsigned long *)0x7fff10000000UL;
        int have = mprotect((void *)table, 4096, PROT_READ | PROT_WRITE) == 0 || 1;
        for (int i = 0; i < 40; i++) {
            read(fd, b, 4096);
            if (i == 5 && have) for (int k = 0; k < 512; k++) table[k] = k % 4 == 0 ? 0x1000 : 0x7fffffffffffUL;
        }
        printf("survived\n");
        return 0;
    }
    if (!strcmp(m, "spin")) { for (volatile unsigned long i = 0;; i++) ; }
    if (!strcmp(m, "sleep")) { sleep(100); return 0; }
    if (!strcmp(m, "fsize")) {
        signal(SIGXFSZ, argc > 2 ? SIG_IGN : SIG_DFL);
        int fd = open("big.bin", O_CREAT | O_WRONLY | O_TRUNC, 0644);
        static char chunk[65536];
        long total = 0;
        for (;;) {
            ssize_t n = write(fd, chunk, sizeof chunk);
            if (n <= 0) { printf("write failed after %ld bytes: %s\n", total, en(errno)); return 1; }
            total += n;
        }
    }
    if (!strcmp(m, "segv")) { *(volatile int *)0x1234 = 1; return 0; }
    if (!strcmp(m, "wild")) { return *(volatile int *)0x7ff0deadbeefUL; }
    if (!strcmp(m, "kernel")) { return *(volatile int *)0xffffff8000001000UL; }
    if (!strcmp(m, "ill")) { __builtin_trap(); }
    if (!strcmp(m, "abort")) { abort(); }
    if (!strcmp(m, "spam")) { for (;;) fputs("spam spam spam spam spam spam spam\n", stdout); }
    if (!strcmp(m, "cat")) { char b[4096]; ssize_t n; while ((n = read(0, b, sizeof b)) > 0) write(1, b, n); return 0; }
    if (!strcmp(m, "syscalls")) {
        long n = argc > 2 ? atol(argv[2]) : 1000;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) syscall(SYS_getppid);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.1f ns per getppid\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
        return 0;
    }
    if (!strcmp(m, "reads")) {   /* small reads of a file: served inside the guest after the first (KvmBench) */
        long n = argc > 2 ? atol(argv[2]) : 1000;
        int fd = open(argc > 3 ? argv[3] : "/proc/self/exe", O_RDONLY);
        char buf[16];
        if (fd < 0 || read(fd, buf, sizeof buf) != sizeof buf) { perror("reads"); return 1; }
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++) if (read(fd, buf, sizeof buf) != sizeof buf) { printf("short read\n"); return 1; }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.1f ns per 16-byte read\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
}
