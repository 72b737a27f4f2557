/* Threads under the sandbox: each case prints what a native run prints. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *twice(void *a) { return (void *) ((long) a * 2); }

static void create_join(void) {
    pthread_t t[8];
    long sum = 0;
    for (long i = 0; i < 8; i++) pthread_create(&t[i], 0, twice, (void *) i);
    for (int i = 0; i < 8; i++) { void *r; pthread_join(t[i], &r); sum += (long) r; }
    printf("create_join %ld\n", sum);
}

#define N 4
#define ROUNDS 20000
static atomic_long acount;
static long mcount;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void *incr(void *a) {
    for (int i = 0; i < ROUNDS; i++) {
        atomic_fetch_add(&acount, 1);
        pthread_mutex_lock(&m);
        mcount++;
        pthread_mutex_unlock(&m);
    }
    return 0;
}
static void counters(void) {
    pthread_t t[N];
    for (int i = 0; i < N; i++) pthread_create(&t[i], 0, incr, 0);
    for (int i = 0; i < N; i++) pthread_join(t[i], 0);
    printf("counters atomic=%ld mutex=%ld\n", (long) acount, mcount);
}

#define QN 8
static int q[QN], qh, qt, qn;
static pthread_cond_t notempty = PTHREAD_COND_INITIALIZER, notfull = PTHREAD_COND_INITIALIZER;
static void *producer(void *a) {
    for (int i = 1; i <= 2000; i++) {
        pthread_mutex_lock(&m);
        while (qn == QN) pthread_cond_wait(&notfull, &m);
        q[qt] = i; qt = (qt + 1) % QN; qn++;
        pthread_cond_signal(&notempty);
        pthread_mutex_unlock(&m);
    }
    return 0;
}
static void *consumer(void *a) {
    long sum = 0;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&m);
        while (qn == 0) pthread_cond_wait(&notempty, &m);
        sum += q[qh]; qh = (qh + 1) % QN; qn--;
        pthread_cond_signal(&notfull);
        pthread_mutex_unlock(&m);
    }
    return (void *) sum;
}
static void prodcons(void) {
    pthread_t p, c1, c2;
    void *r1, *r2;
    pthread_create(&p, 0, producer, 0);
    pthread_create(&c1, 0, consumer, 0);
    pthread_create(&c2, 0, consumer, 0);
    pthread_join(p, 0); pthread_join(c1, &r1); pthread_join(c2, &r2);
    printf("prodcons %ld\n", (long) r1 + (long) r2);
}

static void timedwait(void) {
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec t0, t1, dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dl.tv_nsec += 200 * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&m);
    int r = pthread_cond_timedwait(&c, &m, &dl);
    pthread_mutex_unlock(&m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("timedwait %s waited>=190ms:%d <2s:%d\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r), ms >= 190, ms < 2000);
}

static __thread int tls = 7;
static void *tlsf(void *a) {
    tls = (int) (long) a;
    usleep(20000);
    return (void *) (long) tls;
}
static void tls_case(void) {
    pthread_t t[3];
    long got = 0;
    for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, tlsf, (void *) (100 + i));
    for (int i = 0; i < 3; i++) { void *r; pthread_join(t[i], &r); got = got * 1000 + (long) r; }
    printf("tls main=%d threads=%ld\n", tls, got);
}

static void *tidf(void *a) {
    long tid = syscall(SYS_gettid);
    return (void *) (long) (tid != getpid());
}
static void tids(void) {
    pthread_t t;
    void *r;
    pthread_create(&t, 0, tidf, 0);
    pthread_join(t, &r);
    printf("tids main=pid:%d thread!=pid:%ld\n", (int) syscall(SYS_gettid) == getpid(), (long) r);
}

static volatile sig_atomic_t got_usr1;
static pthread_t handler_thread;
static void on_usr1(int s) { got_usr1 = pthread_equal(pthread_self(), handler_thread) ? 1 : 2; }
static void *sleeper(void *a) {
    while (!got_usr1) { struct timespec ts = {0, 5000000}; nanosleep(&ts, 0); }
    return 0;
}
static void *masked(void *a) {
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, 0);
    sigset_t cur; pthread_sigmask(SIG_BLOCK, 0, &cur);
    return (void *) (long) sigismember(&cur, SIGUSR2);
}
static void signals(void) {
    signal(SIGUSR1, on_usr1);
    pthread_create(&handler_thread, 0, sleeper, 0);
    usleep(20000);
    pthread_kill(handler_thread, SIGUSR1);
    pthread_join(handler_thread, 0);
    pthread_t t; void *r;
    pthread_create(&t, 0, masked, 0);
    pthread_join(t, &r);
    sigset_t cur; pthread_sigmask(SIG_BLOCK, 0, &cur);
    printf("signals handler_on_target=%d thread_masked=%ld main_masked=%d\n", got_usr1, (long) r, sigismember(&cur, SIGUSR2));
}

/* mmap, write, mprotect and munmap from several threads at once: the page tables must stay whole */
static void *mapper(void *a) {
    long ok = 0;
    for (int i = 0; i < 300; i++) {
        size_t len = (size_t) (1 + (i + (long) a) % 16) * 4096;
        unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return (void *) -1L;
        memset(p, (int) (long) a + i, len);
        mprotect(p, len, PROT_READ);
        int good = 1;
        for (size_t k = 0; k < len; k += 512) good &= p[k] == (unsigned char) ((long) a + i);
        ok += good;
        munmap(p, len);
    }
    return (void *) ok;
}
static void mapping(void) {
    pthread_t t[4];
    long sum = 0;
    for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, mapper, (void *) i);
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); sum += (long) r; }
    printf("mapping %ld\n", sum);
}

/* a signal to a thread that runs without making calls: taken where it runs */
static volatile int spin_stop;
static pthread_t spinner;
static void on_usr2(int s) { spin_stop = pthread_equal(pthread_self(), spinner) ? 1 : 2; }
static void *spin_until(void *a) { while (!spin_stop) { } return 0; }
static void spinsignal(void) {
    signal(SIGUSR2, on_usr2);
    pthread_create(&spinner, 0, spin_until, 0);
    usleep(50000);
    pthread_kill(spinner, SIGUSR2);
    pthread_join(spinner, 0);
    printf("spinsignal handler_on_target=%d\n", spin_stop);
}

/* a robust mutex whose owner exits holding it: the next locker gets EOWNERDEAD */
static pthread_mutex_t robust;
static void *hold_and_exit(void *a) { pthread_mutex_lock(&robust); return 0; }
static void *hold_sleep_exit(void *a) { pthread_mutex_lock(&robust); usleep(100000); return 0; }
static void *wait_robust(void *a) { return (void *) (long) pthread_mutex_lock(&robust); }
static void robust_case(void) {
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &at);
    pthread_t t, w;
    pthread_create(&t, 0, hold_and_exit, 0);
    pthread_join(t, 0);
    int r = pthread_mutex_lock(&robust);
    printf("robust after owner exit: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
    pthread_mutex_consistent(&robust);
    pthread_mutex_unlock(&robust);
    /* a waiter blocked on the mutex when its owner dies is woken with EOWNERDEAD too */
    pthread_create(&t, 0, hold_sleep_exit, 0);
    usleep(20000);
    pthread_create(&w, 0, wait_robust, 0);
    void *wr;
    pthread_join(w, &wr);
    printf("robust waiter: %s\n", (long) wr == EOWNERDEAD ? "EOWNERDEAD" : strerror((int) (long) wr));
    pthread_join(t, 0);
}

static void *spin_forever_detached(void *a) { pthread_detach(pthread_self()); for (;;) { struct timespec ts = {0, 1000000}; nanosleep(&ts, 0); } }

/* fork from a threaded process, from the first thread and from another: the child has one thread */
static void *fork_in_thread(void *a) {
    pid_t p = fork();
    if (p == 0) { printf("child of a thread: counter %ld\n", mcount); fflush(stdout); _exit(4); }
    int st; waitpid(p, &st, 0);
    return (void *) (long) WEXITSTATUS(st);
}
static void forkthreads(void) {
    pthread_t a, b;
    pthread_create(&a, 0, spin_forever_detached, 0);
    pid_t p = fork();
    if (p == 0) {
        pthread_t c; void *r;
        pthread_create(&c, 0, twice, (void *) 21);   /* the child makes threads of its own */
        pthread_join(c, &r);
        printf("child of main: %ld\n", (long) r);
        fflush(stdout);
        _exit(3);
    }
    int st; waitpid(p, &st, 0);
    void *r;
    pthread_create(&b, 0, fork_in_thread, 0);
    pthread_join(b, &r);
    printf("forkthreads %d %ld\n", WEXITSTATUS(st), (long) r);
}

/* four threads write lines through one descriptor (no O_APPEND): the shared offset loses no write */
static int shared_fd;
static void *line_writer(void *a) {
    char line[32];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(line, sizeof line, "t%ld line %03d\n", (long) a, i);
        write(shared_fd, line, n);
    }
    return 0;
}
static void sharedfile(void) {
    shared_fd = open("/tmp/shared.txt", O_CREAT | O_TRUNC | O_RDWR, 0600);
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, line_writer, (void *) i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
    printf("sharedfile size %ld\n", (long) lseek(shared_fd, 0, SEEK_END));
    close(shared_fd);
    unlink("/tmp/shared.txt");
}

/* fork while another thread maps and unmaps: the child's copy is of a whole page map */
static volatile int mapping_stop;
static void *churn(void *a) {
    while (!mapping_stop) {
        char *p = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        munmap(p, 8 * 4096);
    }
    return 0;
}
static void forkwhilemapping(void) {
    pthread_t t;
    static char marker[4096] = "marker";
    pthread_create(&t, 0, churn, 0);
    int good = 0;
    for (int i = 0; i < 20; i++) {
        pid_t p = fork();
        if (p == 0) _exit(strcmp(marker, "marker") == 0 ? 0 : 1);
        int st;
        waitpid(p, &st, 0);
        good += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    mapping_stop = 1;
    pthread_join(t, 0);
    printf("forkwhilemapping %d\n", good);
}

/* /proc with threads: status counts them, the listing shows processes only */
static volatile long thread_tid;
static volatile int proc_stop;
static void *idle_thread(void *a) { thread_tid = syscall(SYS_gettid); while (!proc_stop) usleep(1000); return 0; }
static void procthreads(void) {
    pthread_t a, b;
    pthread_create(&a, 0, idle_thread, 0);
    pthread_create(&b, 0, idle_thread, 0);
    while (!thread_tid) usleep(1000);
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, "Threads:", 8)) printf("procthreads %s", line);
    if (f) fclose(f);
    int listed = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) listed |= atol(e->d_name) == thread_tid;
    if (d) closedir(d);
    printf("procthreads tid listed in /proc: %d\n", listed);
    proc_stop = 1;
    pthread_join(a, 0);
    pthread_join(b, 0);
}

static void *read_stdin(void *a) { char b[16]; return (void *) read(0, b, sizeof b); }

/* kill() to the process while the caller blocks the signal: the thread that does not block it takes it */
static volatile int proc_taken;
static pthread_t proc_taker;
static void on_usr1_proc(int s) { proc_taken = pthread_equal(pthread_self(), proc_taker) ? 1 : 2; }
static void *take_proc_signal(void *a) { while (!proc_taken) { } return 0; }
static void procsignal(void) {
    signal(SIGUSR1, on_usr1_proc);
    pthread_create(&proc_taker, 0, take_proc_signal, 0);   /* made before the block: its mask lets SIGUSR1 in */
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, 0);
    usleep(20000);
    kill(getpid(), SIGUSR1);
    pthread_join(proc_taker, 0);
    pthread_sigmask(SIG_UNBLOCK, &s, 0);
    printf("procsignal taken by the thread that does not block it: %d\n", proc_taken);
}

static void *spin(void *a) { for (volatile long i = 0;; i++) { } return 0; }

static void *spin_forever(void *a) { for (;;) { struct timespec ts = {0, 1000000}; nanosleep(&ts, 0); } }
static void *exit_group_later(void *a) { usleep(30000); printf("exit_group from a thread\n"); fflush(stdout); exit(5); }
static void *thread_exit(void *a) { pthread_exit((void *) 9); }

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    const char *c = argc > 1 ? argv[1] : "all";
    int all = !strcmp(c, "all");
    if (all || !strcmp(c, "create")) create_join();
    if (all || !strcmp(c, "counters")) counters();
    if (all || !strcmp(c, "prodcons")) prodcons();
    if (all || !strcmp(c, "timedwait")) timedwait();
    if (all || !strcmp(c, "tls")) tls_case();
    if (all || !strcmp(c, "tids")) tids();
    if (all || !strcmp(c, "signals")) signals();
    if (all || !strcmp(c, "mapping")) mapping();
    if (all || !strcmp(c, "spinsignal")) spinsignal();
    if (all || !strcmp(c, "procsignal")) procsignal();   /* before forkthreads leaves a thread running */
    if (!strcmp(c, "robust")) robust_case();
    if (!strcmp(c, "execthreads")) {
        /* execve ends the other threads (one sleeping, one spinning) and runs the new program */
        pthread_t a, b;
        pthread_create(&a, 0, spin_forever, 0);
        pthread_create(&b, 0, spin, 0);
        usleep(20000);
        execl("/bin/echo", "echo", "execed", (char *) 0);
        printf("execl failed: %s\n", strerror(errno));
        return 1;
    }
    if (all || !strcmp(c, "forkthreads")) forkthreads();
    if (all || !strcmp(c, "sharedfile")) sharedfile();
    if (all || !strcmp(c, "procthreads")) procthreads();
    if (all || !strcmp(c, "forkwhilemapping")) forkwhilemapping();
    if (!strcmp(c, "stdinblock")) {
        /* a thread blocked reading stdin (the caller keeps it open) does not hold up exit_group */
        pthread_t t;
        pthread_create(&t, 0, read_stdin, 0);
        usleep(50000);
        printf("exiting\n");
        exit(3);
    }
    if (!strcmp(c, "spin")) {
        /* the first thread waits in a futex (no CPU): only the threads' CPU time can reach the limit */
        pthread_t a, b;
        pthread_create(&a, 0, spin, 0);
        pthread_create(&b, 0, spin, 0);
        pthread_join(a, 0);
    }
    if (all || !strcmp(c, "threadexit")) {
        pthread_t t; void *r;
        pthread_create(&t, 0, thread_exit, 0);
        pthread_join(t, &r);
        printf("pthread_exit %ld\n", (long) r);
    }
    if (!strcmp(c, "exitgroup")) {
        pthread_t a, b;
        pthread_create(&a, 0, spin_forever, 0);
        pthread_create(&b, 0, exit_group_later, 0);
        for (;;) pause();
    }
    if (!strcmp(c, "mainexit")) {
        /* the first thread leaves with pthread_exit; the process lives on until the last thread exits */
        pthread_t t;
        pthread_create(&t, 0, exit_group_later, 0);
        pthread_exit(0);
    }
    return 0;
}
