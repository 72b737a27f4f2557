/*
 * execve of a path that a second thread rewrites while the call is on its way. Each try forks a
 * child that starts a thread flipping the path buffer between ALLOWED and OTHER, then calls
 * execve on that buffer once. Exit statuses tell what ran: 0 ALLOWED (/bin/true), 42 OTHER (a
 * script that exits 42), 3 the execve failed (a torn or absent path).
 *
 *   execve_race ALLOWED OTHER TRIES     prints "allowed N other N failed N"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[512];
static const char *allowed, *other;

static void *flip(void *unused) {
    (void) unused;
    for (;;) {
        strcpy(path, other);
        strcpy(path, allowed);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4 || strlen(argv[1]) >= sizeof path || strlen(argv[2]) >= sizeof path) {
        fprintf(stderr, "usage: execve_race ALLOWED OTHER TRIES\n");
        return 2;
    }
    allowed = argv[1];
    other = argv[2];
    int tries = atoi(argv[3]), ran_allowed = 0, ran_other = 0, failed = 0;
    for (int i = 0; i < tries; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            strcpy(path, allowed);
            pthread_t t;
            pthread_create(&t, NULL, flip, NULL);
            usleep(50);   /* let the flipping start */
            char *args[] = {path, NULL};
            execve(path, args, NULL);
            _exit(3);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
            failed++;
            continue;
        }
        switch (WEXITSTATUS(status)) {
            case 0: ran_allowed++; break;
            case 42: ran_other++; break;
            default: failed++;
        }
    }
    printf("allowed %d other %d failed %d\n", ran_allowed, ran_other, failed);
    return 0;
}
