/* Process groups, sessions, group kills, the wait family and rt_sigtimedwait: what a shell's job
 * control, timeout(1) and subprocess need. Prints relations (never raw pids), so a native run and
 * a sandboxed one print the same. Modes:
 *   (none)   everything, inside a fresh session (so it runs the same natively and in a sandbox)
 *   init     the sandbox's first process: is it its session's leader (KVM only: pid 1)
 *   killall  kill(-1) reaches every process but the caller (never run it natively)
 *   hold     an exec'd child: says so on fd 3, then waits to be killed */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *self;

/* A call's result as text; call it in a statement of its own, right after the call (errno). */
static const char *err(long r) {
    char *b = malloc(32);
    if (r >= 0) {
        snprintf(b, 32, "%ld", r);
        return b;
    }
    return errno == EPERM ? "EPERM" : errno == ESRCH ? "ESRCH" : errno == EINVAL ? "EINVAL" : errno == EACCES ? "EACCES"
         : errno == ECHILD ? "ECHILD" : errno == EFAULT ? "EFAULT" : errno == EAGAIN ? "EAGAIN" : errno == EINTR ? "EINTR"
         : errno == EBADF ? "EBADF" : "other";
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void say(const char *fmt, ...) {
    va_list a;
    va_start(a, fmt);
    vprintf(fmt, a);
    va_end(a);
    fflush(stdout);
}

static const char *how(int st) {
    static char b[32];
    if (WIFEXITED(st)) snprintf(b, sizeof b, "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(b, sizeof b, "signal %d", WTERMSIG(st));
    else snprintf(b, sizeof b, "other 0x%x", st);
    return b;
}

static void ms(int n) {
    struct timespec t = {n / 1000, (n % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* A child that sits in pause() until a signal ends it; it first joins group pg (0: none) and says so. */
static pid_t sitter(pid_t pg) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        if (pg >= 0) setpgid(0, pg);
        write(p[1], "x", 1);
        for (;;) pause();
    }
    if (pg >= 0) setpgid(c, pg);   /* both sides, as a shell does, so neither order races */
    char x;
    read(p[0], &x, 1);
    close(p[0]);
    close(p[1]);
    return c;
}

static void ids(void) {
    say("leader: sid==pid %d pgrp==pid %d\n", getsid(0) == getpid(), getpgrp() == getpid());
    say("setsid again: %s\n", err(setsid()));
    say("setpgid(0,0) as session leader: %s\n", err(setpgid(0, 0)));
    say("setpgid(0,-1): %s\n", err(setpgid(0, -1)));
    say("setpgid(parent): %s\n", err(setpgid(getppid(), 0)));
    say("getpgid(0)==getpgrp %d getsid(getpid())==getsid(0) %d\n", getpgid(0) == getpgrp(), getsid(getpid()) == getsid(0));
    const char *g = err(getpgid(-5));
    say("getpgid(-5): %s getsid(-5): %s\n", g, err(getsid(-5)));
    FILE *f = fopen("/proc/self/stat", "r");
    char line[1024] = "";
    if (f) {
        fgets(line, sizeof line, f);
        fclose(f);
    }
    char *rp = strrchr(line, ')');
    int ppid = 0, pgrp = 0, sess = 0;
    char st;
    if (rp) sscanf(rp + 2, "%c %d %d %d", &st, &ppid, &pgrp, &sess);
    say("/proc/self/stat: pgrp ok %d session ok %d\n", pgrp == getpgrp(), sess == getsid(0));
}

static void inheritance(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        say("child: same group %d same session %d\n", getpgrp() == getpgid(getppid()), getsid(0) == getsid(getppid()));
        const char *r = err(setpgid(0, 0));
        say("child: setpgid(0,0) %s own group %d\n", r, getpgrp() == getpid());
        say("child: back into the parent's group %s\n", err(setpgid(0, getpgid(getppid()))));
        say("child: into a group that does not exist %s\n", err(setpgid(0, 999999)));
        r = err(setsid() > 0 ? 0 : -1);
        say("child: setsid %s leads a session %d, group %d\n", r, getsid(0) == getpid(), getpgrp() == getpid());
        say("child: setpgid(0,0) now %s\n", err(setpgid(0, 0)));
        write(p[1], "x", 1);
        pause();
        _exit(0);
    }
    char x;
    read(p[0], &x, 1);
    say("parent: child's group is its own %d, its session %d\n", getpgid(c) == c, getsid(c) == c);
    say("parent: setpgid of a child in another session %s\n", err(setpgid(c, getpgrp())));
    pid_t d = sitter(-1);
    say("parent: move a child into the other session's group %s\n", err(setpgid(d, c)));
    const char *own = err(setpgid(d, d));
    say("parent: move a child into its own group %s, then back %s\n", own, err(setpgid(d, getpgrp())));
    kill(c, SIGKILL);
    kill(d, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    waitpid(d, &st, 0);
    say("setpgid(999999, 0): %s\n", err(setpgid(999999, 0)));
    close(p[0]);
    close(p[1]);
}

static void after_exec(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        dup2(p[1], 3);
        execl(self, "pgroups", "hold", (char *) 0);
        _exit(127);
    }
    close(p[1]);
    char x = 0;
    read(p[0], &x, 1);
    say("exec'd child says %c; setpgid on it: %s\n", x, err(setpgid(c, c)));
    kill(c, SIGTERM);
    int st;
    waitpid(c, &st, 0);
    say("exec'd child: %s\n", how(st));
    close(p[0]);
}

static volatile int usr1;

static void on_usr1(int s) {
    usr1++;
}

static void group_kills(void) {
    pid_t a = sitter(0);
    pid_t b = sitter(a);
    pid_t other = sitter(-1);   /* stays in our group */
    say("group: leader %d member %d other outside %d\n", getpgid(a) == a, getpgid(b) == a, getpgid(other) == getpgrp());
    say("kill(-pgid, 0): %s\n", err(kill(-a, 0)));
    say("kill(-pgid, SIGTERM): %s\n", err(kill(-a, SIGTERM)));
    int st;
    pid_t w = waitpid(a, &st, 0);
    say("leader: %s\n", w == a ? how(st) : err(w));
    w = waitpid(b, &st, 0);
    say("member: %s\n", w == b ? how(st) : err(w));
    say("kill(-pgid) of an emptied group: %s\n", err(kill(-a, SIGTERM)));
    const char *k = err(kill(-999999, SIGTERM));
    say("kill(-999999): %s kill(INT_MIN): %s\n", k, err(kill(INT_MIN, SIGTERM)));
    say("other still there: %d\n", kill(other, 0) == 0);
    /* kill(0): our whole group, ourselves included */
    signal(SIGUSR1, on_usr1);
    usr1 = 0;
    say("kill(0, SIGUSR1): %s\n", err(kill(0, SIGUSR1)));
    w = waitpid(other, &st, 0);
    say("other: %s, ours handled %d\n", w == other ? how(st) : err(w), usr1);
    signal(SIGUSR1, SIG_DFL);
    /* a zombie (ended, not yet waited for) still takes a signal and still makes its group */
    pid_t z = fork();
    if (z == 0) {
        setpgid(0, 0);
        _exit(0);
    }
    setpgid(z, z);
    ms(100);
    const char *kz = err(kill(z, SIGTERM));
    say("kill of a zombie: %s, of its group: %s\n", kz, err(kill(-z, SIGTERM)));
    waitpid(z, &st, 0);
    kz = err(kill(z, 0));
    say("once waited for: %s, its group: %s\n", kz, err(kill(-z, 0)));
}

static void waits(void) {
    int st;
    pid_t e = fork();
    if (e == 0) {
        ms(50);
        _exit(5);
    }
    pid_t f = fork();
    if (f == 0) {
        setpgid(0, 0);
        _exit(7);
    }
    setpgid(f, f);
    pid_t w = waitpid(-f, &st, 0);
    say("waitpid(-pgid): the member %d, %s\n", w == f, how(st));
    say("waitpid(-pgid) again: %s\n", err(waitpid(-f, &st, 0)));
    w = waitpid(0, &st, 0);
    say("waitpid(0): our group's child %d, %s\n", w == e, how(st));
    const char *none = err(waitpid(0, &st, 0));
    say("waitpid(0) with none: %s; waitpid(INT_MIN): %s\n", none, err(waitpid(INT_MIN, &st, 0)));

    siginfo_t si;
    pid_t c = fork();
    if (c == 0) _exit(3);
    memset(&si, 0x55, sizeof si);
    long r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
    say("waitid WNOWAIT: %s signo %d code %d pid %d uid %d status %d\n", err(r), si.si_signo, si.si_code, si.si_pid == c,
        si.si_uid == getuid(), si.si_status);
    memset(&si, 0x55, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    say("waitid P_ALL: %s code %d pid %d status %d\n", err(r), si.si_code, si.si_pid == c, si.si_status);
    say("waitid again: %s\n", err(waitid(P_PID, c, &si, WEXITED)));

    c = sitter(-1);
    memset(&si, 0x55, sizeof si);
    r = waitid(P_PGID, 0, &si, WEXITED | WNOHANG);
    say("waitid WNOHANG, none ended: %s signo %d pid %d\n", err(r), si.si_signo, si.si_pid);
    kill(c, SIGTERM);
    r = waitid(P_PGID, getpgrp(), &si, WEXITED);
    say("waitid P_PGID: %s code %d (CLD_KILLED %d) status %d\n", err(r), si.si_code, CLD_KILLED, si.si_status);

    say("waitid bad idtype: %s\n", err(syscall(SYS_waitid, 7, 0, &si, WEXITED, 0)));
    say("waitid no WEXITED: %s\n", err(syscall(SYS_waitid, P_ALL, 0, &si, 0, 0)));
    say("waitid bad option: %s\n", err(syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | 0x100, 0)));
    const char *p0 = err(syscall(SYS_waitid, P_PID, 0, &si, WEXITED, 0));
    say("waitid P_PID 0: %s P_PGID -1: %s\n", p0, err(syscall(SYS_waitid, P_PGID, -1, &si, WEXITED, 0)));
    say("waitid P_PIDFD of stdin: %s\n", err(syscall(SYS_waitid, 3 /* P_PIDFD */, 0, &si, WEXITED, 0)));
    say("waitid with no child: %s\n", err(syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, 0)));
    c = fork();
    if (c == 0) _exit(1);
    say("waitid infop=1: %s\n", err(syscall(SYS_waitid, P_PID, c, (void *) 1, WEXITED, 0)));
    c = fork();
    if (c == 0) _exit(1);
    say("waitid kernel infop: %s\n", err(syscall(SYS_waitid, P_PID, c, (void *) 0xffff880000000000UL, WEXITED, 0)));
    say("both reaped: %s\n", err(waitpid(-1, &st, WNOHANG)));
}

static volatile int chld_code, chld_status, chld_pid, chld_count;

static void on_chld(int s, siginfo_t *si, void *u) {
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid = si->si_pid;
    chld_count++;
}

static void sigchld(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, 0);
    int st;
    pid_t c = fork();
    if (c == 0) _exit(9);
    waitpid(c, &st, 0);
    say("SIGCHLD: count %d code %d pid %d status %d\n", chld_count, chld_code, chld_pid == c, chld_status);
    c = sitter(-1);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    say("SIGCHLD: count %d code %d pid %d status %d\n", chld_count, chld_code, chld_pid == c, chld_status);

    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, 0);
    c = fork();
    if (c == 0) {
        ms(30);
        _exit(2);
    }
    say("SA_NOCLDWAIT: wait %s\n", err(waitpid(-1, &st, 0)));
    signal(SIGCHLD, SIG_IGN);
    c = fork();
    if (c == 0) _exit(2);
    ms(50);
    const char *wr = err(waitpid(c, &st, 0));
    say("SIGCHLD ignored: wait %s, kill(0) of it %s\n", wr, err(kill(c, 0)));
    signal(SIGCHLD, SIG_DFL);
}

static volatile int usr2;

static void on_usr2(int s) {
    usr2++;
}

static void timedwait(void) {
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    siginfo_t si;
    struct timespec t = {0, 50 * 1000000L};
    say("sigtimedwait, none: %s\n", err(sigtimedwait(&set, &si, &t)));
    struct timespec zero = {0, 0};
    say("sigtimedwait, zero timeout: %s\n", err(sigtimedwait(&set, &si, &zero)));
    sigset_t pend;
    struct timespec bad = {0, 1000000000L};
    say("sigtimedwait, bad timeout: %s\n", err(sigtimedwait(&set, &si, &bad)));
    say("rt_sigtimedwait, sigsetsize 4: %s\n", err(syscall(SYS_rt_sigtimedwait, &set, &si, &t, 4)));
    say("rt_sigtimedwait, set at 1: %s\n", err(syscall(SYS_rt_sigtimedwait, (void *) 1, &si, &t, 8)));
    say("rt_sigtimedwait, timeout at 1: %s\n", err(syscall(SYS_rt_sigtimedwait, &set, &si, (void *) 1, 8)));
    raise(SIGUSR1);
    say("rt_sigtimedwait, info at 1: %s\n", err(syscall(SYS_rt_sigtimedwait, &set, (void *) 1, &t, 8)));
    sigpending(&pend);
    say("taken all the same: %d\n", !sigismember(&pend, SIGUSR1));
    raise(SIGUSR1);
    sigpending(&pend);
    say("pending %d\n", sigismember(&pend, SIGUSR1));
    memset(&si, 0, sizeof si);
    int r = sigtimedwait(&set, &si, &t);
    say("sigtimedwait, raised: %s code %d pid %d\n", err(r), si.si_code, si.si_pid == getpid());
    sigpending(&pend);
    say("pending after %d\n", sigismember(&pend, SIGUSR1));
    pid_t c = fork();
    if (c == 0) {
        ms(50);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    memset(&si, 0, sizeof si);
    r = sigwaitinfo(&set, &si);
    say("sigwaitinfo, from a child: %s code %d pid %d uid %d\n", err(r), si.si_code, si.si_pid == c, si.si_uid == getuid());
    int st;
    waitpid(c, &st, 0);
    signal(SIGUSR2, on_usr2);
    c = fork();
    if (c == 0) {
        ms(50);
        kill(getppid(), SIGUSR2);
        _exit(0);
    }
    struct timespec longer = {5, 0};
    r = sigtimedwait(&set, &si, &longer);
    say("sigtimedwait, another signal: %s handled %d\n", err(r), usr2);
    waitpid(c, &st, 0);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, 0);
    c = fork();
    if (c == 0) _exit(4);
    memset(&si, 0, sizeof si);
    r = sigwaitinfo(&chld, &si);
    say("sigwaitinfo SIGCHLD, blocked with its default: %s code %d pid %d status %d\n", err(r), si.si_code, si.si_pid == c,
        si.si_status);
    waitpid(c, &st, 0);
    sigset_t urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    sigprocmask(SIG_BLOCK, &urg, 0);
    raise(SIGURG);
    say("sigtimedwait SIGURG, raised while blocked with its default: %s\n", err(sigtimedwait(&urg, &si, &t)));
    signal(SIGURG, SIG_IGN);
    raise(SIGURG);
    say("sigtimedwait SIGURG, raised while blocked and ignored: %s\n", err(sigtimedwait(&urg, &si, &t)));
    signal(SIGURG, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, 0);
}

static void killall(void) {
    pid_t a = sitter(-1), b = sitter(-1), c = sitter(0);
    signal(SIGTERM, on_usr1);
    usr1 = 0;
    say("kill(-1, SIGTERM): %s\n", err(kill(-1, SIGTERM)));
    int st;
    pid_t w;
    int n = 0;
    while ((w = waitpid(-1, &st, 0)) > 0) {
        n++;
        if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM) say("a child: %s\n", how(st));
    }
    say("children ended by SIGTERM: %d, then wait %s; the caller's handler ran %d times\n", n, err(w), usr1);
    say("kill(-1, 0) with nobody left: %s\n", err(kill(-1, 0)));
    (void) a, (void) b, (void) c;
}

int main(int argc, char **argv) {
    self = argv[0];
    if (argc > 1 && !strcmp(argv[1], "hold")) {
        write(3, "y", 1);
        for (;;) pause();
    }
    if (argc > 1 && !strcmp(argv[1], "init")) {
        const char *sp = err(setpgid(0, 0));
        const char *ss = err(setsid());
        say("pid %d sid %d pgrp %d setpgid %s setsid %s\n", getpid(), getsid(0), getpgrp(), sp, ss);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "killall")) {
        killall();
        return 0;
    }
    pid_t s = fork();
    if (s == 0) {
        if (setsid() < 0) {
            perror("setsid");
            _exit(1);
        }
        ids();
        inheritance();
        after_exec();
        group_kills();
        waits();
        sigchld();
        timedwait();
        say("done\n");
        _exit(0);
    }
    int st;
    waitpid(s, &st, 0);
    say("session: %s\n", how(st));
    return 0;
}
