/* Tries to become root in a new user namespace, by unshare and by clone flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    int r = unshare(CLONE_NEWUSER);
    printf("unshare: %s\n", r == 0 ? "ok" : strerror(errno));
    long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    printf("clone(NEWUSER): %s\n", c > 0 ? "ok" : strerror(errno));
    return 0;
}
