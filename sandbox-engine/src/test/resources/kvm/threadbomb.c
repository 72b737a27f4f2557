/* A thread bomb: threads that never end, made until the sandbox refuses one. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *forever(void *a) { for (;;) pause(); }

int main(int argc, char **argv) {
    int limit = argc > 1 ? atoi(argv[1]) : 100000;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int n = 0, err = 0;
    while (n < 100000) {
        pthread_t t;
        err = pthread_create(&t, &attr, forever, 0);
        if (err) break;
        n++;
    }
    printf("stopped by %s, within the limit: %d\n", err == EAGAIN ? "EAGAIN" : strerror(err), n < limit);
    fflush(stdout);
    _exit(0);
}
