/* Faults in threads: a handler on a thread's own exception path, two threads faulting at once, and a fault with no handler. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUNDS 300
static __thread char *page;
static __thread long faults;
static void on_segv(int s, siginfo_t *si, void *uc) {
    faults++;
    mprotect((void *) ((unsigned long) si->si_addr & ~4095UL), 4096, PROT_READ | PROT_WRITE);
}
static void *faulter(void *a) {
    page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < ROUNDS; i++) {
        mprotect(page, 4096, PROT_READ);
        page[i % 4096] = (char) i;   /* faults; the handler makes it writable and the store is retried */
    }
    return (void *) faults;
}
static void *crash(void *a) { usleep(20000); *(volatile int *) 16 = 1; return 0; }

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "crash")) {
        pthread_t t;
        pthread_create(&t, 0, crash, 0);
        for (;;) pause();
    }
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    pthread_t t[3];
    long total = 0;
    for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, faulter, 0);
    for (int i = 0; i < 3; i++) { void *r; pthread_join(t[i], &r); total += (long) r; }
    printf("faults handled %ld\n", total);
    return 0;
}
