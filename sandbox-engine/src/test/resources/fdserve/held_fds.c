/*
 * The calls that act on a descriptor the program holds, each with a success and its hostile
 * cases (bad descriptor, bad pointer, huge length, a name or option outside what the Sentry
 * serves), one "name: outcome" line each. Run natively and in the sandbox; the output must be
 * the same, except lines starting "policy " (what the Sentry refuses that a kernel would run).
 * Usage: held_fds DIR [cost]   (DIR: a writable directory; cost: also time served calls, on stderr)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* an address no program maps, as a variable so that the compiler does not object */
static volatile long bad_address = 8;
#define BAD ((void *) bad_address)

static const char *dir;
static char path[4096];

/* The outcome of a raw call: its value, or -errno as a name. */
static const char *res(long r) {
    static char b[8][64];
    static int i;
    char *o = b[i++ % 8];
    if (r >= 0) {
        snprintf(o, 64, "%ld", r);
    } else {
        int e = errno;
        snprintf(o, 64, "%s", e == EBADF ? "EBADF" : e == EFAULT ? "EFAULT" : e == EINVAL ? "EINVAL"
                 : e == EPERM ? "EPERM" : e == ENODATA ? "ENODATA" : e == EOPNOTSUPP ? "EOPNOTSUPP"
                 : e == ERANGE ? "ERANGE" : e == E2BIG ? "E2BIG" : e == EFBIG ? "EFBIG" : e == ESPIPE ? "ESPIPE"
                 : e == EWOULDBLOCK ? "EWOULDBLOCK" : e == EINTR ? "EINTR" : e == ENOTSOCK ? "ENOTSOCK"
                 : e == ENOTCONN ? "ENOTCONN" : e == ENOPROTOOPT ? "ENOPROTOOPT" : e == EACCES ? "EACCES"
                 : e == ENOENT ? "ENOENT" : strerror(e));
    }
    return o;
}

static int openf(const char *name, int flags) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return open(path, flags | O_CLOEXEC, 0644);
}

static void metadata(void) {
    int fd = openf("meta", O_CREAT | O_RDWR);
    struct stat st;
    long r = fchmod(fd, 0640);
    fstat(fd, &st);
    printf("fchmod: %s %o\n", res(r), st.st_mode & 07777);
    printf("fchmod-badfd: %s\n", res(fchmod(999, 0600)));
    printf("fchown-own: %s\n", res(fchown(fd, getuid(), getgid())));
    printf("fchown-root: %s\n", res(fchown(fd, 0, 0)));
    printf("fchown-badfd: %s\n", res(fchown(-1, 0, 0)));
    struct statfs sf;
    r = fstatfs(fd, &sf);
    printf("fstatfs: %s bsize>0=%d\n", res(r), sf.f_bsize > 0);
    printf("fstatfs-badptr: %s\n", res(syscall(SYS_fstatfs, fd, BAD)));
    printf("fstatfs-badfd: %s\n", res(fstatfs(999, &sf)));
    close(fd);
}

static void xattrs(void) {
    int fd = openf("attrs", O_CREAT | O_RDWR);
    char buf[70000], name[300];
    printf("fsetxattr: %s\n", res(fsetxattr(fd, "user.k", "hello", 5, 0)));
    long r = fgetxattr(fd, "user.k", buf, sizeof buf);
    printf("fgetxattr: %s %.*s\n", res(r), r > 0 ? (int) r : 0, buf);
    printf("fgetxattr-size0: %s\n", res(fgetxattr(fd, "user.k", NULL, 0)));
    printf("fgetxattr-small: %s\n", res(fgetxattr(fd, "user.k", buf, 2)));
    printf("fgetxattr-huge: %s\n", res(syscall(SYS_fgetxattr, fd, "user.k", buf, (size_t) 1 << 40)));
    printf("fgetxattr-badvalue: %s\n", res(fgetxattr(fd, "user.k", BAD, 64)));
    printf("fgetxattr-badname: %s\n", res(fgetxattr(fd, BAD, buf, 64)));
    printf("fgetxattr-empty: %s\n", res(fgetxattr(fd, "", buf, 64)));
    memset(name, 'a', sizeof name);
    memcpy(name, "user.", 5);
    name[256] = 0;
    printf("fgetxattr-longname: %s\n", res(fgetxattr(fd, name, buf, 64)));
    name[255] = 0;
    printf("fgetxattr-maxname: %s\n", res(fgetxattr(fd, name, buf, 64)));
    printf("fgetxattr-trusted: %s\n", res(fgetxattr(fd, "trusted.x", buf, 64)));
    printf("fgetxattr-capability: %s\n", res(fgetxattr(fd, "security.capability", buf, 64)));
    printf("fgetxattr-acl: %s\n", res(fgetxattr(fd, "system.posix_acl_access", buf, 64)));
    printf("fgetxattr-nonamespace: %s\n", res(fgetxattr(fd, "plain", buf, 64)));
    printf("fgetxattr-badfd: %s\n", res(fgetxattr(999, "user.k", buf, 64)));
    printf("fsetxattr-trusted: %s\n", res(fsetxattr(fd, "trusted.x", "v", 1, 0)));
    printf("policy fsetxattr-security: %s\n", res(fsetxattr(fd, "security.capability", "v", 1, 0)));
    printf("fsetxattr-nonamespace: %s\n", res(fsetxattr(fd, "plain", "v", 1, 0)));
    printf("fsetxattr-create-exists: %s\n", res(fsetxattr(fd, "user.k", "v", 1, XATTR_CREATE)));
    printf("fsetxattr-replace-missing: %s\n", res(fsetxattr(fd, "user.none", "v", 1, XATTR_REPLACE)));
    printf("fsetxattr-badflags: %s\n", res(fsetxattr(fd, "user.k", "v", 1, 4)));
    printf("fsetxattr-badvalue: %s\n", res(fsetxattr(fd, "user.k", BAD, 4, 0)));
    printf("fsetxattr-badname: %s\n", res(fsetxattr(fd, BAD, "v", 1, 0)));
    printf("fsetxattr-toobig: %s\n", res(fsetxattr(fd, "user.k", buf, 70000, 0)));
    printf("fsetxattr-hugesize: %s\n", res(syscall(SYS_fsetxattr, fd, "user.k", buf, (size_t) 1 << 40, 0)));
    printf("fsetxattr-badfd: %s\n", res(fsetxattr(999, "user.k", "v", 1, 0)));
    r = flistxattr(fd, buf, sizeof buf);
    printf("flistxattr: %s", res(r));
    for (long i = 0; i < r; i += strlen(buf + i) + 1) {
        printf(" %s", buf + i);
    }
    printf("\n");
    printf("flistxattr-size0: %s\n", res(flistxattr(fd, NULL, 0)));
    printf("flistxattr-small: %s\n", res(flistxattr(fd, buf, 3)));
    printf("flistxattr-badptr: %s\n", res(flistxattr(fd, BAD, 64)));
    printf("flistxattr-badfd: %s\n", res(flistxattr(999, buf, 64)));
    printf("fremovexattr: %s\n", res(fremovexattr(fd, "user.k")));
    printf("fremovexattr-again: %s\n", res(fremovexattr(fd, "user.k")));
    printf("fremovexattr-trusted: %s\n", res(fremovexattr(fd, "trusted.x")));
    printf("fremovexattr-badname: %s\n", res(fremovexattr(fd, BAD)));
    printf("fremovexattr-badfd: %s\n", res(fremovexattr(999, "user.k")));
    close(fd);
}

static void sizes(void) {
    int fd = openf("sizes", O_CREAT | O_RDWR | O_TRUNC), ro = openf("sizes", O_RDONLY);
    struct stat st;
    long r = ftruncate(fd, 12345);
    fstat(fd, &st);
    printf("ftruncate: %s %ld\n", res(r), (long) st.st_size);
    printf("ftruncate-negative: %s\n", res(ftruncate(fd, -1)));
    printf("ftruncate-readonly: %s\n", res(ftruncate(ro, 10)));
    printf("ftruncate-badfd: %s\n", res(ftruncate(999, 10)));
    printf("ftruncate-huge: %s\n", res(ftruncate(fd, (off_t) 1 << 62)));
    int w2 = openf("sizes-copy", O_CREAT | O_RDWR | O_TRUNC);
    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small = (struct rlimit) {1 << 20, old.rlim_max}; /* the soft limit only: it is raised again after */
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    printf("ftruncate-over-fsize-limit: %s\n", res(ftruncate(fd, 2 << 20)));
    printf("fallocate-over-fsize-limit: %s\n", res(fallocate(fd, 0, 0, 2 << 20)));
    loff_t from = 0, at = 1 << 20;
    printf("copy_file_range-over-fsize-limit: %s\n", res(copy_file_range(fd, &from, w2, &at, 10, 0)));
    at = (1 << 20) - 4;
    printf("copy_file_range-to-fsize-limit: %s\n", res(copy_file_range(fd, &from, w2, &at, 10, 0)));
    setrlimit(RLIMIT_FSIZE, &old);
    r = fallocate(fd, 0, 0, 16384);
    fstat(fd, &st);
    printf("fallocate: %s %ld\n", res(r), (long) st.st_size);
    r = fallocate(fd, FALLOC_FL_KEEP_SIZE, 16384, 16384);
    fstat(fd, &st);
    printf("fallocate-keepsize: %s %ld\n", res(r), (long) st.st_size);
    printf("fallocate-punch: %s\n", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)));
    printf("fallocate-punch-nokeep: %s\n", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096)));
    printf("fallocate-zero: %s\n", res(fallocate(fd, FALLOC_FL_ZERO_RANGE, 4096, 4096)));
    printf("policy fallocate-collapse: %s\n", res(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096)));
    printf("fallocate-zerolen: %s\n", res(fallocate(fd, 0, 0, 0)));
    printf("fallocate-negative: %s\n", res(fallocate(fd, 0, -1, 10)));
    printf("fallocate-readonly: %s\n", res(fallocate(ro, 0, 0, 10)));
    printf("fallocate-badfd: %s\n", res(fallocate(999, 0, 0, 10)));
    printf("readahead: %s\n", res(readahead(fd, 0, 1 << 20)));
    printf("readahead-huge: %s\n", res(readahead(fd, 0, (size_t) -1)));
    printf("readahead-badfd: %s\n", res(readahead(999, 0, 10)));
    int p[2];
    pipe(p);
    printf("readahead-pipe: %s\n", res(readahead(p[0], 0, 10)));
    printf("fadvise: %s\n", res(syscall(SYS_fadvise64, fd, 0, 4096, POSIX_FADV_DONTNEED)));
    printf("fadvise-badadvice: %s\n", res(syscall(SYS_fadvise64, fd, 0, 4096, 99)));
    printf("fadvise-pipe: %s\n", res(syscall(SYS_fadvise64, p[0], 0, 4096, POSIX_FADV_NORMAL)));
    printf("fadvise-badfd: %s\n", res(syscall(SYS_fadvise64, 999, 0, 4096, POSIX_FADV_NORMAL)));
    printf("fsync: %s\n", res(fsync(fd)));
    printf("fsync-pipe: %s\n", res(fsync(p[0])));
    printf("fsync-badfd: %s\n", res(fsync(999)));
    printf("fdatasync: %s\n", res(fdatasync(fd)));
    printf("fdatasync-badfd: %s\n", res(fdatasync(-5)));
    printf("sync_file_range: %s\n", res(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)));
    printf("sync_file_range-badflags: %s\n", res(sync_file_range(fd, 0, 0, 8)));
    printf("sync_file_range-negative: %s\n", res(sync_file_range(fd, -1, 0, 0)));
    printf("sync_file_range-badfd: %s\n", res(sync_file_range(999, 0, 0, 0)));
    printf("syncfs: %s\n", res(syncfs(fd)));
    printf("syncfs-badfd: %s\n", res(syncfs(999)));
    sync();
    printf("sync: done\n");
    close(p[0]);
    close(p[1]);
    close(w2);
    close(ro);
    close(fd);
}

static void copies(void) {
    int in = openf("copy-in", O_CREAT | O_RDWR | O_TRUNC), out = openf("copy-out", O_CREAT | O_RDWR | O_TRUNC);
    write(in, "0123456789abcdef", 16);
    loff_t oi = 4, oo = 2;
    long r = copy_file_range(in, &oi, out, &oo, 6, 0);
    char b[32] = {0};
    pread(out, b, sizeof b - 1, 0);
    printf("copy_file_range: %s offsets=%lld,%lld out=%c%c%s\n", res(r), (long long) oi, (long long) oo,
           b[0] ? b[0] : '_', b[1] ? b[1] : '_', b + 2);
    lseek(in, 10, SEEK_SET);
    lseek(out, 0, SEEK_SET);
    r = copy_file_range(in, NULL, out, NULL, 100, 0);
    printf("copy_file_range-fileoffsets: %s in=%ld out=%ld\n", res(r), (long) lseek(in, 0, SEEK_CUR), (long) lseek(out, 0, SEEK_CUR));
    oi = 0;
    r = copy_file_range(in, &oi, out, NULL, (size_t) -1, 0);
    printf("copy_file_range-huge: %s\n", res(r));
    printf("copy_file_range-badoff: %s\n", res(copy_file_range(in, BAD, out, NULL, 4, 0)));
    printf("copy_file_range-badflags: %s\n", res(copy_file_range(in, NULL, out, NULL, 4, 1)));
    printf("copy_file_range-badfd: %s %s\n", res(copy_file_range(999, NULL, out, NULL, 4, 0)), res(copy_file_range(in, NULL, 999, NULL, 4, 0)));
    int p[2];
    pipe(p);
    printf("copy_file_range-pipe: %s\n", res(copy_file_range(in, NULL, p[1], NULL, 4, 0)));
    /* a large file, copied as cp does: until the call says 0 (a call may copy less than asked) */
    int big = openf("copy-big", O_CREAT | O_RDWR | O_TRUNC), to = openf("copy-big-to", O_CREAT | O_RDWR | O_TRUNC);
    ftruncate(big, 40L << 20);
    pwrite(big, "end", 3, (40L << 20) - 3);
    long total = 0;
    while ((r = copy_file_range(big, NULL, to, NULL, 1L << 30, 0)) > 0) {
        total += r;
    }
    char end[4] = {0};
    pread(to, end, 3, (40L << 20) - 3);
    printf("copy_file_range-large: %s total=%ld end=%s\n", res(r), total, end);
    close(big);
    close(to);
    close(p[0]);
    close(p[1]);
    close(in);
    close(out);
}

static volatile int handled;

static void on_alarm(int sig) {
    (void) sig;
    handled++;
}

static void tees(void) {
    int a[2], b[2], fd = openf("meta", O_RDONLY);
    char got[16] = {0};
    pipe(a);
    pipe(b);
    write(a[1], "hello", 5);
    long r = tee(a[0], b[1], 100, 0);
    read(b[0], got, sizeof got - 1);
    char left[16] = {0};
    read(a[0], left, sizeof left - 1);
    printf("tee: %s copy=%s left=%s\n", res(r), got, left);
    printf("tee-empty-nonblock: %s\n", res(tee(a[0], b[1], 5, SPLICE_F_NONBLOCK)));
    printf("tee-file: %s\n", res(tee(fd, b[1], 5, 0)));
    printf("tee-same: %s\n", res(tee(a[0], a[1], 5, 0)));
    printf("tee-badfd: %s %s\n", res(tee(999, b[1], 5, 0)), res(tee(a[0], 999, 5, 0)));
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &old); /* no SA_RESTART */
    handled = 0;
    alarm(1);
    r = tee(a[0], b[1], 5, 0); /* empty input, a writer left: waits until the signal */
    printf("tee-blocked-signal: %s handled=%d\n", res(r), handled);
    sigaction(SIGALRM, &old, NULL);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(300 * 1000);
        write(a[1], "later", 5);
        _exit(0);
    }
    memset(got, 0, sizeof got);
    r = tee(a[0], b[1], 100, 0); /* waits for the child's write */
    read(b[0], got, sizeof got - 1);
    printf("tee-waits-for-data: %s %s\n", res(r), got);
    waitpid(child, NULL, 0);
    read(a[0], got, sizeof got);
    close(a[1]);
    printf("tee-no-writer: %s\n", res(tee(a[0], b[1], 5, 0)));
    close(a[0]);
    close(b[0]);
    close(b[1]);
    close(fd);
}

static volatile int locked;
static long opens;

/* Opens and closes files while the main thread waits for a lock: the Sentry keeps serving. */
static void *opener(void *arg) {
    (void) arg;
    char p[4200];
    snprintf(p, sizeof p, "%s/meta", dir);
    for (int i = 0; i < 200; i++) {
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
            if (!locked) {
                opens++;
            }
        }
    }
    return NULL;
}

static void flocks(void) {
    int a = openf("lock", O_CREAT | O_RDWR), b = openf("lock", O_RDWR);
    printf("flock: %s\n", res(flock(a, LOCK_EX)));
    printf("flock-other-nb: %s\n", res(flock(b, LOCK_EX | LOCK_NB)));
    printf("flock-badop: %s\n", res(flock(a, 0)));
    printf("flock-badop2: %s\n", res(flock(a, LOCK_SH | LOCK_EX | 16)));
    printf("flock-badfd: %s\n", res(flock(999, LOCK_EX)));
    int sync[2];
    pipe(sync);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(a);
        close(b);
        int c = openf("lock", O_RDWR);
        struct sigaction sa = {0};
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the wait ends with EINTR */
        alarm(1);
        long r = flock(c, LOCK_EX);
        printf("flock-blocked-signal: %s handled=%d\n", res(r), handled);
        sa.sa_flags = SA_RESTART; /* restarted after the handler: the wait goes on */
        sigaction(SIGALRM, &sa, NULL);
        pthread_t t;
        pthread_create(&t, NULL, opener, NULL);
        alarm(1);
        write(sync[1], "x", 1);
        r = flock(c, LOCK_EX);
        locked = 1;
        pthread_join(t, NULL);
        printf("flock-blocked-restart: %s handled=%d opens-while-waiting=%ld\n", res(r), handled, opens);
        fflush(stdout);
        _exit(0);
    }
    char x;
    read(sync[0], &x, 1);
    usleep(1800 * 1000); /* past the child's second alarm */
    flock(a, LOCK_UN);
    int status;
    waitpid(child, &status, 0);
    printf("flock-child-exit: %d\n", WEXITSTATUS(status));
    printf("flock-unlock: %s\n", res(flock(b, LOCK_UN)));
    close(sync[0]);
    close(sync[1]);
    close(a);
    close(b);
}

static void *big_fsync(void *arg) {
    long *r = arg;
    *r = fsync((int) r[1]);
    return NULL;
}

/* An fsync of a large file on one thread while another opens files: both go through. */
static void fsync_big(void) {
    int fd = openf("big", O_CREAT | O_RDWR | O_TRUNC);
    char *chunk = malloc(1 << 20);
    memset(chunk, 'x', 1 << 20);
    for (int i = 0; i < 64; i++) {
        write(fd, chunk, 1 << 20);
    }
    free(chunk);
    long arg[2] = {-2, fd};
    pthread_t t;
    pthread_create(&t, NULL, big_fsync, arg);
    opens = 0;
    locked = 0;
    opener(NULL);
    pthread_join(t, NULL);
    printf("fsync-big: %s opens=%ld\n", res(arg[0]), opens);
    close(fd);
}

static void inotify(void) {
    int in = inotify_init1(IN_CLOEXEC), fd = openf("meta", O_RDONLY);
    int wd = inotify_add_watch(in, dir, IN_CREATE);
    printf("inotify_rm_watch: %s\n", res(inotify_rm_watch(in, wd)));
    printf("inotify_rm_watch-again: %s\n", res(inotify_rm_watch(in, wd)));
    printf("inotify_rm_watch-notinotify: %s\n", res(inotify_rm_watch(fd, wd)));
    printf("inotify_rm_watch-badfd: %s\n", res(inotify_rm_watch(999, 1)));
    close(fd);
    close(in);
}

static void timers(void) {
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), fd = openf("meta", O_RDONLY);
    struct itimerspec v = {{0, 0}, {10, 0}}, old, cur;
    printf("timerfd_settime: %s\n", res(timerfd_settime(t, 0, &v, NULL)));
    long r = timerfd_gettime(t, &cur);
    printf("timerfd_gettime: %s near10=%d\n", res(r), cur.it_value.tv_sec >= 9 && cur.it_value.tv_sec <= 10);
    v.it_value.tv_sec = 20;
    r = timerfd_settime(t, 0, &v, &old);
    printf("timerfd_settime-old: %s near10=%d\n", res(r), old.it_value.tv_sec >= 9 && old.it_value.tv_sec <= 10);
    printf("timerfd_settime-badnew: %s\n", res(timerfd_settime(t, 0, BAD, NULL)));
    printf("timerfd_settime-badold: %s\n", res(timerfd_settime(t, 0, &v, BAD)));
    printf("timerfd_settime-badflags: %s\n", res(timerfd_settime(t, 0x100, &v, NULL)));
    struct itimerspec wrong = {{0, 0}, {1, 2000000000}};
    printf("timerfd_settime-badnsec: %s\n", res(timerfd_settime(t, 0, &wrong, NULL)));
    printf("timerfd_settime-badfd: %s\n", res(timerfd_settime(999, 0, &v, NULL)));
    printf("timerfd_settime-badfd-badnew: %s\n", res(timerfd_settime(999, 0, BAD, NULL)));
    printf("timerfd_settime-badfd-badflags: %s\n", res(timerfd_settime(999, 0x100, &v, NULL)));
    printf("timerfd_settime-notimer: %s\n", res(timerfd_settime(fd, 0, &v, NULL)));
    printf("timerfd_gettime-badptr: %s\n", res(timerfd_gettime(t, BAD)));
    printf("timerfd_gettime-badfd: %s\n", res(timerfd_gettime(999, &cur)));
    close(fd);
    close(t);
}

static int geti(int s, int level, int name) {
    int v = -1;
    socklen_t l = sizeof v;
    if (getsockopt(s, level, name, &v, &l) < 0) {
        return -errno * 1000;
    }
    return v;
}

static void sockets(void) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fd = openf("meta", O_RDONLY);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    printf("setsockopt-reuseaddr: %s\n", res(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)));
    printf("setsockopt-reuseport: %s\n", res(setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one)));
    printf("setsockopt-defer-accept: %s\n", res(setsockopt(s, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof one)));
    bind(s, (struct sockaddr *) &a, sizeof a);
    printf("listen: %s\n", res(listen(s, 16)));
    printf("listen-badfd: %s\n", res(listen(999, 1)));
    printf("listen-file: %s\n", res(listen(fd, 1)));
    struct sockaddr_in got;
    socklen_t len = sizeof got;
    long r = getsockname(s, (struct sockaddr *) &got, &len);
    printf("getsockname: %s len=%d family=%d port>0=%d\n", res(r), len, got.sin_family, got.sin_port != 0);
    len = 4;
    memset(&got, 0, sizeof got);
    r = getsockname(s, (struct sockaddr *) &got, &len);
    printf("getsockname-short: %s len=%d family=%d port>0=%d\n", res(r), len, got.sin_family, got.sin_port != 0);
    len = (socklen_t) -1;
    printf("getsockname-negative: %s\n", res(getsockname(s, (struct sockaddr *) &got, &len)));
    len = sizeof got;
    printf("getsockname-badaddr: %s\n", res(getsockname(s, BAD, &len)));
    printf("getsockname-badlen: %s\n", res(getsockname(s, (struct sockaddr *) &got, BAD)));
    printf("getsockname-badfd: %s\n", res(getsockname(999, (struct sockaddr *) &got, &len)));
    printf("getsockname-file: %s\n", res(getsockname(fd, (struct sockaddr *) &got, &len)));
    printf("getpeername-listener: %s\n", res(getpeername(s, (struct sockaddr *) &got, &len)));
    len = sizeof got;
    getsockname(s, (struct sockaddr *) &a, &len);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    printf("setsockopt-nodelay: %s\n", res(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)));
    printf("setsockopt-keepalive: %s\n", res(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one)));
    int idle = 30;
    printf("setsockopt-keepidle: %s\n", res(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle)));
    int buf = 65536;
    printf("setsockopt-rcvbuf: %s\n", res(setsockopt(c, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf)));
    struct linger lg = {1, 5};
    printf("setsockopt-linger: %s\n", res(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg)));
    struct timeval tv = {3, 500000};
    printf("setsockopt-rcvtimeo: %s\n", res(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv)));
    int tos = 0x10;
    printf("setsockopt-tos: %s\n", res(setsockopt(c, IPPROTO_IP, IP_TOS, &tos, sizeof tos)));
    printf("setsockopt-short: %s\n", res(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, 2)));
    printf("setsockopt-negative: %s\n", res(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &one, -1)));
    printf("setsockopt-badval: %s\n", res(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, BAD, 4)));
    int *big = calloc(1, 1 << 20);
    *big = 1;
    printf("setsockopt-hugelen: %s\n", res(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, big, 1 << 20)));
    free(big);
    printf("setsockopt-unknown: %s\n", res(setsockopt(c, SOL_SOCKET, 9999, &one, sizeof one)));
    printf("setsockopt-badfd: %s\n", res(setsockopt(999, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one)));
    printf("setsockopt-file: %s\n", res(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one)));
    printf("policy setsockopt-mark: %s\n", res(setsockopt(c, SOL_SOCKET, SO_MARK, &one, sizeof one)));
    printf("policy setsockopt-congestion: %s\n", res(setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4)));
    r = connect(c, (struct sockaddr *) &a, sizeof a);
    printf("connect: %s\n", res(r));
    if (r < 0) {
        return; /* no loopback */
    }
    int acc = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    struct sockaddr_in peer;
    len = sizeof peer;
    r = getpeername(acc, (struct sockaddr *) &peer, &len);
    printf("getpeername: %s len=%d loopback=%d\n", res(r), len, peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    printf("getsockopt: nodelay=%d keepalive=%d keepidle=%d rcvbuf>0=%d tos=%d type=%d domain=%d protocol=%d acceptconn=%d/%d error=%d reuseaddr=%d\n",
           geti(c, IPPROTO_TCP, TCP_NODELAY) != 0, geti(c, SOL_SOCKET, SO_KEEPALIVE), geti(c, IPPROTO_TCP, TCP_KEEPIDLE),
           geti(c, SOL_SOCKET, SO_RCVBUF) > 0, geti(c, IPPROTO_IP, IP_TOS), geti(c, SOL_SOCKET, SO_TYPE),
           geti(c, SOL_SOCKET, SO_DOMAIN), geti(c, SOL_SOCKET, SO_PROTOCOL), geti(s, SOL_SOCKET, SO_ACCEPTCONN),
           geti(c, SOL_SOCKET, SO_ACCEPTCONN), geti(c, SOL_SOCKET, SO_ERROR), geti(s, SOL_SOCKET, SO_REUSEADDR));
    len = sizeof lg;
    r = getsockopt(c, SOL_SOCKET, SO_LINGER, &lg, &len);
    printf("getsockopt-linger: %s len=%d %d %d\n", res(r), len, lg.l_onoff, lg.l_linger);
    len = sizeof tv;
    r = getsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
    printf("getsockopt-rcvtimeo: %s len=%d %ld.%06ld\n", res(r), len, (long) tv.tv_sec, (long) tv.tv_usec);
    struct tcp_info ti;
    len = sizeof ti;
    r = getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len);
    printf("getsockopt-tcpinfo: %s full=%d state=%d\n", res(r), len == sizeof ti, ti.tcpi_state);
    char cc[32] = {0};
    len = sizeof cc;
    r = getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, cc, &len);
    printf("getsockopt-congestion: %s named=%d\n", res(r), cc[0] != 0);
    int v = 0;
    len = 2;
    r = getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len);
    printf("getsockopt-short: %s len=%d v=%d\n", res(r), len, v);
    len = (socklen_t) -1;
    printf("getsockopt-negative: %s\n", res(getsockopt(c, SOL_SOCKET, SO_TYPE, &v, &len)));
    len = 4;
    printf("getsockopt-badval: %s\n", res(getsockopt(c, SOL_SOCKET, SO_TYPE, BAD, &len)));
    printf("getsockopt-badlen: %s\n", res(getsockopt(c, SOL_SOCKET, SO_TYPE, &v, BAD)));
    printf("getsockopt-unknown: %s\n", res(getsockopt(c, SOL_SOCKET, 9999, &v, &len)));
    printf("getsockopt-badfd: %s\n", res(getsockopt(999, SOL_SOCKET, SO_TYPE, &v, &len)));
    printf("getsockopt-file: %s\n", res(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len)));
    len = 4;
    printf("policy getsockopt-mark: %s\n", res(getsockopt(c, SOL_SOCKET, SO_MARK, &v, &len)));
    printf("shutdown: %s\n", res(shutdown(c, SHUT_WR)));
    char eof;
    printf("shutdown-seen-by-peer: %s\n", res(read(acc, &eof, 1)));
    printf("shutdown-badhow: %s\n", res(shutdown(c, 7)));
    printf("shutdown-listener: %s\n", res(shutdown(socket(AF_INET, SOCK_STREAM, 0), SHUT_RD)));
    printf("shutdown-badfd: %s\n", res(shutdown(999, SHUT_RD)));
    printf("shutdown-file: %s\n", res(shutdown(fd, SHUT_RD)));
    close(acc);
    close(c);
    close(s);

    /* SO_PEERCRED: the peer's pid as this program sees pids */
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    struct ucred uc;
    len = sizeof uc;
    r = getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &uc, &len);
    printf("peercred-self: %s len=%d pid-is-self=%d uid-is-self=%d\n", res(r), len, uc.pid == getpid(), uc.uid == getuid());
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s/sock", dir);
    unlink(un.sun_path);
    bind(l, (struct sockaddr *) &un, sizeof un);
    listen(l, 1);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int k = socket(AF_UNIX, SOCK_STREAM, 0);
        connect(k, (struct sockaddr *) &un, sizeof un);
        read(k, &eof, 1);
        _exit(0);
    }
    int k = accept(l, NULL, NULL);
    len = sizeof uc;
    r = getsockopt(k, SOL_SOCKET, SO_PEERCRED, &uc, &len);
    printf("peercred-child: %s pid-is-child=%d\n", res(r), uc.pid == child);
    close(k);
    waitpid(child, NULL, 0);
    close(l);
    close(sp[0]);
    close(sp[1]);
    close(fd);
}

static long do_statfs_path(int fd) {
    struct statfs sf;
    (void) fd;
    return statfs(dir, &sf);
}

static double per_call_ns(long (*op)(int), int fd) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 10000; i++) {
        op(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 10000;
}

static long do_ftruncate(int fd) {
    return ftruncate(fd, 4096);
}

static long do_fstatfs(int fd) {
    struct statfs sf;
    return fstatfs(fd, &sf);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        return 2;
    }
    dir = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && strcmp(argv[2], "cost") == 0) {
        int fd = openf("cost", O_CREAT | O_RDWR);
        fprintf(stderr, "cost: ftruncate %.0f ns/call, fstatfs %.0f ns/call, statfs by path %.0f ns/call\n",
                per_call_ns(do_ftruncate, fd), per_call_ns(do_fstatfs, fd), per_call_ns(do_statfs_path, fd));
        return 0;
    }
    metadata();
    xattrs();
    sizes();
    copies();
    flocks();
    tees();
    fsync_big();
    inotify();
    timers();
    sockets();
    return 0;
}
