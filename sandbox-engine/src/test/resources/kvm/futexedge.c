/* Hostile futex and thread calls: each line is what Linux answers; a sandbox must answer the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long fx(void *a, int op, int val, const void *t, void *a2, int val3) {
    long r = syscall(SYS_futex, a, op, val, t, a2, val3);
    return r < 0 ? -errno : r;
}
static const char *name(long r) {
    static char b[32];
    if (r >= 0) { snprintf(b, sizeof b, "%ld", r); return b; }
    switch (-r) {
        case EFAULT: return "EFAULT"; case EINVAL: return "EINVAL"; case EAGAIN: return "EAGAIN";
        case ETIMEDOUT: return "ETIMEDOUT"; case ENOSYS: return "ENOSYS"; case EINTR: return "EINTR";
        case EPERM: return "EPERM";
    }
    snprintf(b, sizeof b, "errno %ld", -r);
    return b;
}
#define SHOW(label, call) printf("%s: %s\n", label, name(call))

static int word;           /* waiters sleep on this */
static int *target;        /* requeue target */
static long woken[8];
static void *waiter(void *a) {
    long i = (long) a;
    woken[i] = fx(&word, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
    return 0;
}
/* waits until n threads sleep on the futex (no way to ask: each is given time to get there) */
static void settle(void) { usleep(100000); }

/* a robust list the thread's exit must walk without trusting it */
static void *hole_addr;
static void *bad_robust(void *a) {
    long mode = (long) a;
    long *h = calloc(8, sizeof(long));
    long *e = h + 4;
    h[0] = (long) e;          /* head.next */
    h[1] = 0;                 /* futex_offset */
    h[2] = 0;                 /* list_op_pending */
    e[0] = (long) e;          /* an entry pointing at itself: a cycle that never reaches the head */
    if (mode == 1) h[1] = 1L << 62;                 /* futex words at non-canonical addresses */
    if (mode == 2) { h[0] = (long) hole_addr; h[2] = (long) hole_addr | 1; }   /* unmapped entry and pending */
    if (mode == 3) e[0] = (long) hole_addr;         /* the walk runs into unmapped memory */
    long r = syscall(SYS_set_robust_list, mode == 4 ? hole_addr : (void *) h, 24);
    return (void *) r;
}

int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    int *ro = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro[0] = 5;
    mprotect(ro, 4096, PROT_READ);
    int *none = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* a hole between two mappings: nothing later lands in it by chance */
    char *hole = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole + 4096, 4096);
    void *unmapped = hole + 4096;
    struct timespec short_ts = {0, 20 * 1000000};
    struct timespec bad_ts = {0, 1000000000};
    struct timespec neg_ts = {-1, 0};
    struct timespec past = {1, 0};
    int local = 0;

    SHOW("wait unmapped private", fx(unmapped, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
    SHOW("wait unmapped shared", fx(unmapped, FUTEX_WAIT, 0, 0, 0, 0));
    SHOW("wait null", fx(0, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
    SHOW("wait kernel address", fx((void *) 0xffffffff81000000UL, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
    SHOW("wait prot_none", fx(none, FUTEX_WAIT_PRIVATE, 0, &short_ts, 0, 0));
    SHOW("wake unmapped private", fx(unmapped, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
    SHOW("wake unmapped shared", fx(unmapped, FUTEX_WAKE, 1, 0, 0, 0));
    SHOW("wake kernel address", fx((void *) 0xffffffff81000000UL, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
    SHOW("wait read-only, value differs", fx(ro, FUTEX_WAIT_PRIVATE, 4, &short_ts, 0, 0));
    SHOW("wait read-only, times out", fx(ro, FUTEX_WAIT_PRIVATE, 5, &short_ts, 0, 0));
    SHOW("wait shared read-only, times out", fx(ro, FUTEX_WAIT, 5, &short_ts, 0, 0));
    SHOW("wake read-only", fx(ro, FUTEX_WAKE, INT_MAX, 0, 0, 0));
    SHOW("wait unaligned", fx((char *) &local + 1, FUTEX_WAIT_PRIVATE, 0, &short_ts, 0, 0));
    SHOW("wake unaligned", fx((char *) &local + 2, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
    SHOW("wait bad nsec", fx(&local, FUTEX_WAIT_PRIVATE, 0, &bad_ts, 0, 0));
    SHOW("wait negative sec", fx(&local, FUTEX_WAIT_PRIVATE, 0, &neg_ts, 0, 0));
    SHOW("wait timeout unmapped", fx(&local, FUTEX_WAIT_PRIVATE, 0, unmapped, 0, 0));
    SHOW("wait bitset 0", fx(&local, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 0, 0));
    SHOW("wake bitset 0", fx(&local, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 0, 0));
    SHOW("wait_bitset monotonic past", fx(&local, FUTEX_WAIT_BITSET_PRIVATE, 0, &past, 0, -1));
    SHOW("wait_bitset realtime past", fx(&local, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &past, 0, -1));
    SHOW("wait realtime flag", fx(&local, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &short_ts, 0, 0));
    SHOW("wake realtime flag", fx(&local, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0));
    SHOW("bad op 99", fx(&local, 99, 0, 0, 0, 0));
    SHOW("bad op -1", fx(&local, -1, 0, 0, 0, 0));
    SHOW("requeue negative", fx(&local, FUTEX_REQUEUE_PRIVATE, -1, (void *) 1, &local, 0));
    SHOW("requeue negative count2", fx(&local, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *) -1L, &local, 0));
    SHOW("cmp_requeue differs", fx(&local, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *) 1, &word, 3));
    SHOW("cmp_requeue unmapped first", fx(unmapped, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *) 1, &word, 0));
    SHOW("requeue shared to unmapped", fx(&local, FUTEX_REQUEUE, 1, (void *) 1, unmapped, 0));
    SHOW("wake huge count, nobody", fx(&word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0));

    /* three waiters, woken by one FUTEX_WAKE with the largest count */
    pthread_t t[8];
    for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, waiter, (void *) i);
    settle();
    SHOW("wake huge count, three waiters", fx(&word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0));
    for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
    printf("waiters returned %s %s %s\n", name(woken[0]), name(woken[1]), name(woken[2]));

    /* requeue two waiters to an unmapped address (private: just an address), then wake them there */
    for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, waiter, (void *) i);
    settle();
    SHOW("cmp_requeue to unmapped", fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *) 2, unmapped, 0));
    settle();
    SHOW("wake at the unmapped address", fx(unmapped, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0));
    for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
    printf("requeued waiters returned %s %s %s\n", name(woken[0]), name(woken[1]), name(woken[2]));

    /* requeue with a wake count of 0 wakes nobody; the requeued one wakes at the target */
    int other = 0;
    pthread_create(&t[0], 0, waiter, (void *) 0);
    settle();
    SHOW("requeue wake 0", fx(&word, FUTEX_REQUEUE_PRIVATE, 0, (void *) 1, &other, 0));
    SHOW("wake old address", fx(&word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
    SHOW("wake new address", fx(&other, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
    pthread_join(t[0], 0);

    hole_addr = unmapped;
    for (long mode = 0; mode < 5; mode++) {
        void *r;
        pthread_create(&t[0], 0, bad_robust, (void *) mode);
        pthread_join(t[0], &r);
        printf("hostile robust list %ld: set=%ld, thread joined\n", mode, (long) r);
    }
    long head = 0; size_t len = 0;
    SHOW("set_robust_list bad len", syscall(SYS_set_robust_list, &head, 23) < 0 ? -errno : 0);
    SHOW("get_robust_list self", syscall(SYS_get_robust_list, 0, &head, &len) < 0 ? -errno : 0);
    printf("get_robust_list len %zu head set %d\n", len, head != 0);
    SHOW("get_robust_list no such thread", syscall(SYS_get_robust_list, 99999, &head, &len) < 0 ? -errno : 0);
    SHOW("get_robust_list unmapped out", syscall(SYS_get_robust_list, 0, unmapped, &len) < 0 ? -errno : 0);
    printf("done\n");
    return 0;
}
