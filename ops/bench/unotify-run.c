/*
 * unotify-run [pin] [sync] -- COMMAND ARGS...: runs COMMAND (and every process it starts) with
 * its path calls served by a minimal C supervisor, the way the Sentry serves them, so that the
 * gcc and python3 rows of sandbox-vs-peers.sh have a floor for what serving costs inside a real
 * program (unotify_bench gives it for one call in a tight loop only).
 *
 * The filter notifies the path calls the engine's filter serves in those programs' mix (open,
 * openat, the stat family unless AT_EMPTY_PATH, readlink, access, execve, connect, unlink, mkdir,
 * rename, chdir) and the few others it serves there (getrandom, prlimit64). The supervisor reads
 * the path from the program's memory for each, checks the notification is still live, then:
 * opens the file itself and installs it (ADDFD with ADDFD_FLAG_SEND) for open/openat, does the
 * stat itself and writes the result into the program's memory for newfstatat, and lets the
 * kernel run the rest (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the round trip without the serving.
 * It keeps no policy (no resolution in a sandbox's tree, no identity): a floor, not a sandbox.
 *
 *   pin:  the supervisor and the program on CPU 0;  sync: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP.
 * Exits with COMMAND's status; prints nothing of its own but errors (and, with UNOTIFY_COUNT set,
 * how many calls it answered).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define NOTIFY BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static void send_fd(int sock, int fd) {
    char c = 0; struct iovec io = { &c, 1 };
    char ctl[CMSG_SPACE(sizeof(int))]; memset(ctl, 0, sizeof ctl);
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS; h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(int));
    if (sendmsg(sock, &m, 0) < 0) { perror("sendmsg"); exit(1); }
}

static int recv_fd(int sock) {
    char c; struct iovec io = { &c, 1 };
    char ctl[CMSG_SPACE(sizeof(int))];
    struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    if (recvmsg(sock, &m, 0) <= 0) { perror("recvmsg"); exit(1); }
    int fd; memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
    return fd;
}

/* which argument holds the path of each notified call (-1: none) */
static int path_arg(int nr) {
    switch (nr) {
    case __NR_open: case __NR_stat: case __NR_lstat: case __NR_access: case __NR_readlink:
    case __NR_execve: case __NR_unlink: case __NR_mkdir: case __NR_chdir: case __NR_rename:
        return 0;
    case __NR_openat: case __NR_newfstatat: case __NR_readlinkat: case __NR_faccessat:
    case __NR_faccessat2: case __NR_statx: case __NR_unlinkat: case __NR_mkdirat:
        return 1;
    default:
        return -1;
    }
}

static int install_filter(void) {
    static const int plain[] = { __NR_open, __NR_openat, __NR_stat, __NR_lstat, __NR_access, __NR_readlink,
        __NR_readlinkat, __NR_faccessat, __NR_faccessat2, __NR_execve, __NR_connect, __NR_unlink, __NR_unlinkat,
        __NR_mkdir, __NR_mkdirat, __NR_rename, __NR_chdir, __NR_getrandom, __NR_prlimit64 };
    enum { NPLAIN = sizeof plain / sizeof plain[0] };
    /* the jumps below count on this layout: NOTIFY is the last instruction, at 13 + NPLAIN */
    struct sock_filter f[14 + NPLAIN];
    int n = 0;
    f[n++] = (struct sock_filter) LD(offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter) LD(offsetof(struct seccomp_data, nr));
    /* newfstatat (flags in arg 3) and statx (arg 2) run natively with AT_EMPTY_PATH, as in the engine */
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_newfstatat, 0, 3);
    f[n++] = (struct sock_filter) LD(ARG_LO(3));
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, NPLAIN + 6);
    f[n++] = (struct sock_filter) ALLOW;
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_statx, 0, 3);
    f[n++] = (struct sock_filter) LD(ARG_LO(2));
    f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, NPLAIN + 2);
    f[n++] = (struct sock_filter) ALLOW;
    for (int i = 0; i < NPLAIN; i++)
        f[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, plain[i], NPLAIN - i, 0);
    f[n++] = (struct sock_filter) ALLOW;
    f[n++] = (struct sock_filter) NOTIFY;
    struct sock_fprog p = { (unsigned short) n, f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) { perror("no_new_privs"); exit(1); }
    int fd = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p);
    if (fd < 0) { perror("seccomp"); exit(1); }
    return fd;
}

static int read_path(pid_t pid, unsigned long addr, char *out, size_t cap) {
    struct iovec l = { out, cap - 1 }, r = { (void *) addr, cap - 1 };
    ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
    if (n <= 0) {
        /* the path ends near the end of a mapping: read up to the page's end */
        size_t room = 4096 - (addr & 4095);
        l.iov_len = r.iov_len = room < cap - 1 ? room : cap - 1;
        n = process_vm_readv(pid, &l, 1, &r, 1, 0);
        if (n <= 0) return -1;
    }
    out[n] = 0;
    return strnlen(out, n) < (size_t) n ? 0 : -1;
}

/* the path as the supervisor can use it: relative ones through the program's cwd or directory fd */
static const char *host_path(pid_t pid, int dirfd, const char *path, char *buf, size_t cap) {
    if (path[0] == '/') return path;
    if (dirfd == AT_FDCWD) snprintf(buf, cap, "/proc/%d/cwd/%s", pid, path);
    else snprintf(buf, cap, "/proc/%d/fd/%d/%s", pid, dirfd, path);
    return buf;
}

static pid_t child;
/* notifications answered (served or continued), told at exit when UNOTIFY_COUNT is set */
static volatile long served, continued;

static void *reaper(void *arg) {
    (void) arg;
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (getenv("UNOTIFY_COUNT")) fprintf(stderr, "unotify-run: %ld calls served, %ld continued\n", served, continued);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void supervise(int listener) {
    struct seccomp_notif_sizes sz;
    if (syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz)) { perror("sizes"); exit(1); }
    struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
    struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
    char path[4096], full[4200];
    for (;;) {
        memset(req, 0, sz.seccomp_notif);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req)) {
            if (errno == EINTR || errno == ENOENT) continue;
            perror("NOTIF_RECV");
            return;
        }
        memset(resp, 0, sz.seccomp_notif_resp);
        resp->id = req->id;
        int nr = req->data.nr, pa = path_arg(nr);
        if (pa >= 0 && read_path(req->pid, req->data.args[pa], path, sizeof path)) {
            resp->error = -EFAULT;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
            continue;
        }
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id)) continue;
        if (nr == __NR_openat || nr == __NR_open) {
            int at = nr == __NR_openat ? (int) req->data.args[0] : AT_FDCWD;
            int flags = (int) req->data.args[pa + 1];
            int fd = open(host_path(req->pid, at, path, full, sizeof full), flags | O_CLOEXEC,
                          (mode_t) req->data.args[pa + 2]);
            if (fd < 0) { resp->error = -errno; ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp); continue; }
            struct seccomp_notif_addfd add = { .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = fd,
                                               .newfd_flags = (unsigned) flags & O_CLOEXEC };
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno != ENOENT) perror("addfd");
            close(fd);
            served++;
        } else if (nr == __NR_newfstatat) {
            struct stat st;
            int flags = (int) req->data.args[3] & AT_SYMLINK_NOFOLLOW;
            if (fstatat(AT_FDCWD, host_path(req->pid, (int) req->data.args[0], path, full, sizeof full), &st, flags)) {
                resp->error = -errno;
            } else {
                struct iovec l = { &st, sizeof st }, r = { (void *) req->data.args[2], sizeof st };
                if (process_vm_writev(req->pid, &l, 1, &r, 1, 0) != sizeof st) resp->error = -EFAULT;
            }
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
            served++;
        } else {
            resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
            continued++;
        }
    }
}

int main(int argc, char **argv) {
    int pin = 0, sync = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "pin")) pin = 1;
        else if (!strcmp(argv[i], "sync")) sync = 1;
    }
    if (i + 1 >= argc) { fprintf(stderr, "usage: %s [pin] [sync] -- COMMAND ARGS...\n", argv[0]); return 2; }
    if (pin) {
        cpu_set_t s; CPU_ZERO(&s); CPU_SET(0, &s);
        if (sched_setaffinity(0, sizeof s, &s)) perror("sched_setaffinity");
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) { perror("socketpair"); return 1; }
    child = fork();
    if (child == 0) {
        close(sv[0]);
        int l = install_filter(); send_fd(sv[1], l); close(l);
        char c; if (read(sv[1], &c, 1) != 1) _exit(1); /* supervisor ready */
        execvp(argv[i + 1], argv + i + 1);
        perror("exec");
        _exit(127);
    }
    close(sv[1]);
    int listener = recv_fd(sv[0]);
    if (sync && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0))
        perror("SYNC_WAKE_UP");
    pthread_t t;
    if (pthread_create(&t, NULL, reaper, NULL)) { perror("pthread_create"); return 1; }
    if (write(sv[0], "g", 1) != 1) return 1;
    supervise(listener);
    return 1;
}
