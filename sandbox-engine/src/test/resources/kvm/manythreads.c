/* Many threads at once and many in turn: vCPUs are made, ended and reused. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
static pthread_barrier_t bar;
static void *meet(void *a) { pthread_barrier_wait(&bar); return a; }
static void *nop(void *a) { return a; }
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100;
    pthread_t *t = malloc(sizeof(pthread_t) * n);
    pthread_attr_t at; pthread_attr_init(&at); pthread_attr_setstacksize(&at, 64 * 1024);
    pthread_barrier_init(&bar, 0, n + 1);
    for (long i = 0; i < n; i++) if (pthread_create(&t[i], &at, meet, (void *) i)) { printf("create failed at %ld\n", i); return 1; }
    pthread_barrier_wait(&bar);
    long sum = 0;
    for (int i = 0; i < n; i++) { void *r; pthread_join(t[i], &r); sum += (long) r; }
    for (long i = 0; i < 1000; i++) { pthread_t x; void *r; pthread_create(&x, &at, nop, (void *) i); pthread_join(x, &r); sum += (long) r; }
    printf("%d together then 1000 in turn: %ld\n", n, sum);
    return 0;
}
