/*
 * Attacks on an exec the Sentry serves. Each try forks a child that execs DIR/exec_a (exit 10)
 * while something tries to make it run DIR/exec_b (exit 11, prints OTHER RAN) instead.
 *
 *   exec_attack fdswap DIR TRIES    a second thread puts exec_b on every close-on-exec descriptor
 *                                   (the one the Sentry installs is one) while the first execs
 *   exec_attack nulspray DIR TRIES  a second thread writes "DIR/exec_b" all over the stack below
 *                                   the first thread's, where an empty path could be
 *   exec_attack symflip DIR TRIES   a second thread flips a symlink between exec_a and
 *                                   /proc/<pid>/exe of a process running exec_b
 *   exec_attack signals DIR TRIES   not an attack: a timer signal every 100 us, whose handler
 *                                   writes 4 KiB of stack, while the child execs exec_a
 *   exec_attack busy DIR TRIES      not an attack: eight threads spin while the child execs exec_a
 *   exec_attack twoexecs DIR TRIES  not an attack: a second thread execs exec_a too, at the same time
 *   exec_attack lockwait DIR TRIES  not an attack: a thread waits in flock() for a lock the parent
 *                                   holds while the child execs exec_a
 *   exec_attack path PATH           execs PATH once, prints its errno
 *
 * prints "a N b N failed N [errnos]"
 *
 * Failing execs of a file that is no program (ENOEXEC, after the Sentry has chosen and installed
 * it) while the process's other threads are busy:
 *   exec_attack frozen TRIES        a thread watches the descriptor number an exec's file would
 *                                   get; prints "enoexec N seen N" (seen: times it found it open)
 *   exec_attack blockedread TRIES   a thread blocked in read() on a pipe during each exec gets the
 *                                   byte written after it; prints "enoexec N read N eintr N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char a_path[1024], b_path[1024], link_path[1024], link_a[1024], link_b[1024];
static int b_fd;
static volatile char *stack_mark;

static void *fdswap(void *unused) {
    (void) unused;
    for (;;) {
        for (int k = 3; k < 64; k++) {
            int f = fcntl(k, F_GETFD);
            if (k != b_fd && f >= 0 && (f & FD_CLOEXEC)) {
                dup2(b_fd, k);
            }
        }
    }
    return NULL;
}

static void *nulspray(void *unused) {
    (void) unused;
    size_t len = strlen(b_path) + 1;
    for (;;) {
        for (volatile char *p = stack_mark - 200; p > stack_mark - 16384; p -= 16) {
            char *q = (char *) ((unsigned long) p & ~15UL);
            memcpy(q, b_path, len);
        }
    }
    return NULL;
}

static void *symflip(void *unused) {
    (void) unused;
    for (;;) {
        rename(link_a, link_path);
        symlink(a_path, link_a);
        rename(link_b, link_path);
        symlink(b_path, link_b); /* b_path: /proc/<pid>/exe here */
    }
    return NULL;
}

static volatile unsigned long spins;

static void *spin(void *unused) {
    (void) unused;
    for (;;) {
        spins++;
    }
    return NULL;
}

static void *exec_too(void *unused) {
    (void) unused;
    char *args[] = {a_path, NULL};
    execv(a_path, args);
    _exit(100 + errno);
}

static char lock_path[64];

static void *lockwait(void *unused) {
    (void) unused;
    int f = open(lock_path, O_RDONLY);
    flock(f, LOCK_EX); /* the parent holds it: waits until the exec ends this thread */
    return NULL;
}

static char noexec_path[64];

/* A file with the execute bit that is no program: its exec fails with ENOEXEC after the lookup. */
static void make_noexec(void) {
    snprintf(noexec_path, sizeof noexec_path, "/tmp/exec-attack-noexec-%d", (int) getpid());
    int f = open(noexec_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (f < 0 || write(f, "\1\2\3 not a program\n", 18) != 18 || close(f) != 0) {
        perror("noexec");
        exit(2);
    }
}

/* Execs the file that is no program; 1 when it failed with ENOEXEC, as it must. */
static int exec_noexec(void) {
    char *args[] = {noexec_path, NULL};
    execv(noexec_path, args);
    return errno == ENOEXEC;
}

static volatile int watching = 1, watch_fd;
static volatile long watch_rounds, watch_seen;

/* Counts the times the descriptor number an exec's file would get is open (natively: never). */
static void *watch(void *unused) {
    (void) unused;
    while (watching) {
        if (fcntl(watch_fd, F_GETFD) >= 0) {
            watch_seen++;
        }
        watch_rounds++;
    }
    return NULL;
}

static int frozen(int tries) {
    make_noexec();
    watch_fd = dup(0); /* the lowest free number, where the Sentry's descriptor goes */
    close(watch_fd);
    pthread_t t;
    pthread_create(&t, NULL, watch, NULL);
    while (watch_rounds == 0) {
        usleep(100);
    }
    int failed = 0;
    for (int i = 0; i < tries; i++) {
        failed += exec_noexec();
    }
    watching = 0;
    pthread_join(t, NULL);
    unlink(noexec_path);
    printf("enoexec %d seen %ld\n", failed, watch_seen);
    return 0;
}

static int reader_pipe[2];
static volatile pid_t reader_tid;
static volatile int got, eintr;

static void *reader(void *unused) {
    (void) unused;
    reader_tid = gettid();
    for (;;) {
        char c;
        ssize_t r = read(reader_pipe[0], &c, 1);
        if (r == 1) {
            got++;
        } else if (r < 0 && errno == EINTR) {
            eintr++;
        } else {
            return NULL;
        }
    }
}

/* Whether thread tid sleeps (state S in its stat): blocked in its read. */
static int sleeping(pid_t tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int) tid);
    int f = open(path, O_RDONLY);
    ssize_t n = f < 0 ? -1 : read(f, buf, sizeof buf - 1);
    if (f >= 0) {
        close(f);
    }
    if (n <= 0) {
        return 0;
    }
    buf[n] = 0;
    char *e = strrchr(buf, ')');
    return e != NULL && e[1] == ' ' && e[2] == 'S';
}

static void on_usr1(int sig) {
    (void) sig;
}

static int blockedread(int tries) {
    make_noexec();
    /* a handler without SA_RESTART: a read a signal interrupted would fail with EINTR */
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    if (pipe(reader_pipe) != 0) {
        perror("pipe");
        return 2;
    }
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    int failed = 0;
    for (int i = 0; i < tries; i++) {
        for (int w = 0; reader_tid == 0 || !sleeping(reader_tid); w++) {
            if (w == 20000) {
                fprintf(stderr, "the reader never blocked\n");
                return 2;
            }
            usleep(100);
        }
        failed += exec_noexec();
        if (write(reader_pipe[1], "x", 1) != 1) {
            perror("write");
            return 2;
        }
        while (got + eintr < i + 1) {
            usleep(100);
        }
    }
    close(reader_pipe[1]);
    pthread_join(t, NULL);
    unlink(noexec_path);
    printf("enoexec %d read %d eintr %d\n", failed, got, eintr);
    return 0;
}

static void on_timer(int sig) {
    volatile char stack[4096];
    memset((char *) stack, sig, sizeof stack);
}

/*
 * A POSIX timer (gone at exec, unlike an itimer) sending SIGURG every 100 us: several land in each
 * served exec. Under ptrace each signal is a stop at the tracer, and a faster timer (20 us) starves
 * the program before it reaches its exec (see the engine README's known limits).
 */
static void signal_storm(void) {
    struct sigaction sa = {.sa_handler = on_timer};
    sigaction(SIGURG, &sa, NULL);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGURG};
    timer_t t;
    struct itimerspec every = {.it_interval = {0, 100000}, .it_value = {0, 100000}};
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0 || timer_settime(t, 0, &every, NULL) != 0) {
        perror("timer");
        _exit(2);
    }
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "path") == 0) {
        char *args[] = {argv[2], NULL};
        execv(argv[2], args);
        printf("%s\n", strerrorname_np(errno));
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "frozen") == 0) {
        return frozen(atoi(argv[2]));
    }
    if (argc == 3 && strcmp(argv[1], "blockedread") == 0) {
        return blockedread(atoi(argv[2]));
    }
    if (argc != 4) {
        fprintf(stderr, "usage: exec_attack fdswap|nulspray|symflip DIR TRIES\n");
        return 2;
    }
    const char *mode = argv[1];
    int tries = atoi(argv[3]);
    snprintf(a_path, sizeof a_path, "%s/exec_a", argv[2]);
    snprintf(b_path, sizeof b_path, "%s/exec_b", argv[2]);
    pid_t sleeper = 0;
    void *(*attack)(void *) = fdswap;
    if (strcmp(mode, "nulspray") == 0) {
        attack = nulspray;
    } else if (strcmp(mode, "symflip") == 0) {
        attack = symflip;
        sleeper = fork();
        if (sleeper == 0) {
            char *args[] = {b_path, "--sleep", NULL};
            execv(b_path, args);
            _exit(3);
        }
        usleep(100000);
        snprintf(b_path, sizeof b_path, "/proc/%d/exe", sleeper);
        snprintf(link_path, sizeof link_path, "/tmp/exec-attack-link");
        snprintf(link_a, sizeof link_a, "/tmp/exec-attack-a");
        snprintf(link_b, sizeof link_b, "/tmp/exec-attack-b");
        unlink(link_a);
        unlink(link_b);
        symlink(a_path, link_path);
        symlink(a_path, link_a);
        symlink(b_path, link_b);
    } else if (strcmp(mode, "signals") == 0) {
        attack = NULL;
    } else if (strcmp(mode, "busy") == 0) {
        attack = spin;
    } else if (strcmp(mode, "twoexecs") == 0) {
        attack = exec_too;
    } else if (strcmp(mode, "lockwait") == 0) {
        attack = lockwait;
        snprintf(lock_path, sizeof lock_path, "/tmp/exec-attack-lock-%d", (int) getpid());
        int held = open(lock_path, O_RDONLY | O_CREAT, 0644);
        if (held < 0 || flock(held, LOCK_EX) != 0) {
            perror("lock");
            return 2;
        }
    } else if (strcmp(mode, "fdswap") != 0) {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    int ran_a = 0, ran_b = 0, failed = 0;
    char errnos[256] = "";
    for (int i = 0; i < tries; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            volatile char here = 0;
            stack_mark = &here;
            b_fd = open(b_path, O_RDONLY);
            if (attack != NULL) {
                for (int k = attack == spin ? 8 : 1; k > 0; k--) {
                    pthread_t t;
                    pthread_create(&t, NULL, attack, NULL);
                }
                if (attack != exec_too) {
                    usleep(attack == lockwait ? 20000 : 200);
                }
            } else {
                signal_storm();
            }
            const char *target = attack == symflip ? link_path : a_path;
            char *args[] = {(char *) target, NULL};
            execv(target, args);
            _exit(100 + errno);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
            failed++;
            if (WIFSIGNALED(status) && !strstr(errnos, sigabbrev_np(WTERMSIG(status))) && strlen(errnos) < 200) {
                strcat(errnos, " SIG");
                strcat(errnos, sigabbrev_np(WTERMSIG(status)));
            }
            continue;
        }
        int s = WEXITSTATUS(status);
        if (s == 10) {
            ran_a++;
        } else if (s == 11) {
            ran_b++;
        } else {
            failed++;
            if (s > 100 && !strstr(errnos, strerrorname_np(s - 100)) && strlen(errnos) < 200) {
                strcat(errnos, " ");
                strcat(errnos, strerrorname_np(s - 100));
            }
        }
    }
    if (sleeper > 0) {
        kill(sleeper, SIGKILL);
    }
    if (attack == lockwait) {
        unlink(lock_path);
    }
    printf("a %d b %d failed %d%s\n", ran_a, ran_b, failed, errnos);
    return 0;
}
