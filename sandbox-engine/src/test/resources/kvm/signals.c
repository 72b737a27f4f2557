/* Signal delivery on KVM, compared with a native run: handlers with siginfo, masks and pending
 * sets, FPU state kept across a handler, SA_RESETHAND, and fault handlers (SIGSEGV, SIGFPE). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int got, code, count;
static void *volatile addr;
static sigjmp_buf jump;
static char *page;

static void on_usr(int sig, siginfo_t *si, void *uc) {
    volatile double x = 1.0;
    for (int i = 0; i < 10; i++) x = x * 3.5 + 1.0;   /* clobber the FPU/SSE registers */
    got = sig;
    code = si->si_code;
    count++;
    (void) uc;
}

static void on_segv(int sig, siginfo_t *si, void *uc) {
    addr = si->si_addr;
    code = si->si_code;
    got = sig;
    mprotect(page, 4096, PROT_READ | PROT_WRITE);   /* the faulting write succeeds when retried */
    (void) uc;
}

static void on_fpe(int sig) {
    got = sig;
    siglongjmp(jump, 1);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    volatile double keep = 2.25;
    raise(SIGUSR1);
    printf("raise: sig=%d code=%d count=%d keep=%.2f\n", got, code, count, keep * 2);

    kill(getpid(), SIGUSR1);
    printf("kill: sig=%d code=%d count=%d\n", got, code, count);

    sigset_t block, pend;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    sigpending(&pend);
    printf("blocked: pending=%d count=%d\n", sigismember(&pend, SIGUSR1), count);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("unblocked: count=%d\n", count);

    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    printf("resethand: sig=%d default=%d\n", got, now.sa_handler == SIG_DFL);

    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("ignored SIGTERM\n");

    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sv = {0};
    sv.sa_sigaction = on_segv;
    sv.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sv, NULL);
    *(volatile char *) &page[100] = 42;
    int segv_code = code;
    printf("segv: sig=%d at_page=%d code=%d value=%d\n", got, addr == page + 100, segv_code, page[100]);

    signal(SIGFPE, on_fpe);
    volatile int zero = 0;
    if (sigsetjmp(jump, 1) == 0) {
        printf("%d\n", 100 / zero);
    } else {
        printf("fpe: sig=%d\n", got);
    }
    /* the handler left through siglongjmp: SIGFPE is unblocked again */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("fpe unblocked: %d\n", !sigismember(&cur, SIGFPE));

    signal(SIGUSR1, SIG_DFL);
    raise(SIGUSR1);
    printf("not reached\n");
    return 0;
}
