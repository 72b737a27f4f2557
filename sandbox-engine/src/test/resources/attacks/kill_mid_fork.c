/*
 * Kills a process while it forks, twenty times: the killed parent never reports its last fork, so
 * a tracer that waited for that report kept the child stopped and the fork counted for good. Then
 * forks twelve children, which a process limit of 16 must still allow: prints "forked=N".
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    for (int round = 0; round < 20; round++) {
        pid_t p = fork();
        if (p == 0) {
            for (;;) {
                pid_t c = fork();
                if (c == 0) {
                    _exit(0);
                }
                if (c > 0) {
                    waitpid(c, 0, 0);
                }
            }
        }
        usleep(5000 + round * 1000);
        kill(p, SIGKILL);
        waitpid(p, 0, 0);
    }
    usleep(200000); /* orphans of the killed parents end and are reaped by init */
    int forked = 0;
    pid_t kids[12];
    for (int i = 0; i < 12; i++) {
        pid_t c = fork();
        if (c == 0) {
            pause();
            _exit(0);
        }
        if (c > 0) {
            kids[forked++] = c;
        }
    }
    printf("forked=%d\n", forked);
    fflush(stdout);
    for (int i = 0; i < forked; i++) {
        kill(kids[i], SIGKILL);
    }
    while (wait(0) > 0) {
    }
    return 0;
}
