/* A breakpoint, an undefined instruction or a bad memory access, with or without a handler of
 * the program's own: the outcome must be the one Linux gives natively. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void handler(int sig, siginfo_t *info, void *ctx) {
    (void) ctx;
    char line[96];
    int n = snprintf(line, sizeof line, "handled signal %d code %d\n", sig, info->si_code);
    write(1, line, n);
    _exit(40 + sig);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        return 2;
    }
    if (argc > 2 && strcmp(argv[2], "handler") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGTRAP, &sa, NULL);
        sigaction(SIGILL, &sa, NULL);
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
    }
    printf("before %s\n", argv[1]);
    fflush(stdout);
    if (strcmp(argv[1], "int3") == 0) {
        __asm__ volatile("int3");
    } else if (strcmp(argv[1], "ud2") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(argv[1], "segv") == 0) {
        *(volatile int *) 16 = 1;
    } else if (strcmp(argv[1], "raise-trap") == 0) {
        raise(SIGTRAP);
    }
    printf("survived %s\n", argv[1]);
    return 0;
}
