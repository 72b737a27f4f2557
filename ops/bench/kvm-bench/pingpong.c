/* A byte sent back and forth between two processes over a pair of pipes, N round trips; prints
 * the count (kvm-bench.sh's pipe ping-pong row: a wake-up each way, no polling). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000, there[2], back[2];
    char c = 'x';
    if (pipe(there) || pipe(back)) return 1;
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        for (int i = 0; i < n; i++) {
            if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) _exit(2);
        }
        _exit(0);
    }
    for (int i = 0; i < n; i++) {
        if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) return 3;
    }
    int status;
    waitpid(child, &status, 0);
    printf("%d round trips\n", n);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}
