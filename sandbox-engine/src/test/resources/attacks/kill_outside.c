/* Tries to kill a process outside the sandbox by its host pid (argv[1]), and everything it can (-1). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    int pid = atoi(argv[1]);
    int r = kill(pid, SIGKILL);
    printf("kill %d: %d %s\n", pid, r, r ? strerror(errno) : "ok");
    r = kill(-1, SIGKILL); /* everything this uid may signal: only its own sandbox (init is immune) */
    printf("after kill -1: %d\n", r);
    return 0;
}
