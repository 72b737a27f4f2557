/*
 * sendmsg and sendmmsg on AF_UNIX sockets, served by the Sentry on ptrace when a message names a
 * path; prints one "name: outcome" line per case.
 *   unix_sendmsg basic DIR       datagrams with a name (in DIR, and relative to it) carrying
 *                                SCM_RIGHTS and SCM_CREDENTIALS; sendmmsg with partial counts;
 *                                stream and connected sockets without a name; hostile headers
 *   unix_sendmsg wait DIR        a blocking send to a full receiver waits while other calls are
 *                                still served, and a signal interrupts it
 *   unix_sendmsg race N DIR PATH a thread flips the name between DIR/r.sock and PATH while the main
 *                                thread sends N datagrams
 *   unix_sendmsg bench N         N sendmsg of 16 bytes without a name on a stream socket pair: µs each
 * Outcomes are a value or the errno's name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(int e) {
    switch (e) {
    case ENOENT: return "ENOENT"; case EPERM: return "EPERM"; case EAGAIN: return "EAGAIN"; case EINVAL: return "EINVAL";
    case EBADF: return "EBADF"; case EFAULT: return "EFAULT"; case ENOBUFS: return "ENOBUFS"; case EMSGSIZE: return "EMSGSIZE";
    case ECONNREFUSED: return "ECONNREFUSED"; case EISCONN: return "EISCONN"; case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTCONN: return "ENOTCONN"; case EINTR: return "EINTR"; case ENOTSOCK: return "ENOTSOCK";
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
    }
}

static char dir[200];

static socklen_t un(struct sockaddr_un *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof a->sun_path, "%s", name);
    return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

static socklen_t inDir(struct sockaddr_un *a, const char *name) {
    char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return un(a, p);
}

static int receiver(const char *name) {
    struct sockaddr_un a;
    socklen_t l = inDir(&a, name);
    unlink(a.sun_path);
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(r, (struct sockaddr *) &a, l) < 0) { perror("bind"); exit(2); }
    int one = 1;
    setsockopt(r, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    return r;
}

/* sendmsg's outcome: the count or the errno's name */
static const char *outcome(long r) {
    static char b[32];
    if (r < 0) return err(errno);
    snprintf(b, sizeof b, "%ld", r);
    return b;
}

/* what the receiver got: its data, the descriptors' contents and the credentials, or "none" */
static void received(int r, const char *what) {
    char data[64] = {0}, ctl[CMSG_SPACE(sizeof(int) * 4) + CMSG_SPACE(sizeof(struct ucred))];
    struct iovec io = {data, sizeof data - 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(r, &m, MSG_DONTWAIT);
    if (n < 0) { printf("%s: %s\n", what, err(errno)); return; }
    printf("%s: %zd %s", what, n, data);
    const char *pid = NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                char b[32] = {0};
                ssize_t got = pread(fd, b, sizeof b - 1, 0);
                printf(" fd[%zd %s]", got, b);
                close(fd);
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(c), sizeof u);
            printf(" cred[uid=%s gid=%s]", u.uid == getuid() ? "own" : "other", u.gid == getgid() ? "own" : "other");
            pid = u.pid == getpid() ? "own" : u.pid == 0 ? "zero" : "other";
        }
    }
    printf("\n");
    /* the pid alone, on a line of its own: a send of the Sentry shows none of the sandbox's */
    if (pid) printf("%s-pid: %s\n", what, pid);
}

static void drain(int r) {
    char b[8];
    while (recv(r, b, sizeof b, MSG_DONTWAIT | MSG_TRUNC) >= 0) { }
}

static int fileFd(const char *name, const char *content) {
    char p[300];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (write(fd, content, strlen(content)) < 0) exit(2);
    return fd;
}

/* control data: n descriptors, then the credentials when creds is not null */
static size_t control(char *buf, const int *fds, int n, const struct ucred *creds) {
    struct msghdr m = {.msg_control = buf, .msg_controllen = 512};
    memset(buf, 0, 512);
    size_t len = 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (n > 0) {
        c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        len += CMSG_SPACE(n * sizeof(int));
        m.msg_controllen = len + 64;
        c = CMSG_NXTHDR(&m, c);
    }
    if (creds) {
        c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_CREDENTIALS; c->cmsg_len = CMSG_LEN(sizeof *creds);
        memcpy(CMSG_DATA(c), creds, sizeof *creds);
        len += CMSG_SPACE(sizeof *creds);
    }
    return len;
}

static long sendTo(int s, const char *name, const char *data, void *ctl, size_t ctllen, int flags) {
    struct sockaddr_un a;
    socklen_t l = name ? (name[0] == '/' || name[0] == '.' ? un(&a, name) : inDir(&a, name)) : 0;
    struct iovec io[2] = {{(void *) data, 3}, {(void *) (data + 3), strlen(data) - 3}};
    struct msghdr m = {.msg_name = name ? &a : NULL, .msg_namelen = l, .msg_iov = io, .msg_iovlen = 2,
                       .msg_control = ctl, .msg_controllen = ctllen};
    return sendmsg(s, &m, flags);
}

static void basic(void) {
    int r = receiver("r.sock");
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    char ctl[512];
    int f1 = fileFd("f1", "first"), f2 = fileFd("f2", "second");
    struct ucred me = {getpid(), getuid(), getgid()};

    drain(r);
    printf("named: %s\n", outcome(sendTo(s, "r.sock", "hello", NULL, 0, 0)));
    received(r, "named-recv");
    int fds[2] = {f1, f2};
    drain(r);
    printf("rights-creds: %s\n", outcome(sendTo(s, "r.sock", "passed", ctl, control(ctl, fds, 2, &me), 0)));
    received(r, "rights-creds-recv");
    drain(r);
    printf("creds-only: %s\n", outcome(sendTo(s, "r.sock", "creds", ctl, control(ctl, NULL, 0, &me), 0)));
    received(r, "creds-only-recv");
    /* a relative name, from the working directory */
    char cwd[300];
    if (!getcwd(cwd, sizeof cwd) || chdir(dir) < 0) exit(2);
    drain(r);
    printf("relative: %s\n", outcome(sendTo(s, "./r.sock", "relative", NULL, 0, 0)));
    if (chdir(cwd) < 0) exit(2);
    received(r, "relative-recv");

    /* credentials the program may not claim, descriptors it does not have, types the kernel refuses */
    struct ucred other = {getpid() + 1000, getuid(), getgid()}, badUid = {getpid() + 1000, (uid_t) -1, getgid()};
    printf("creds-pid-other: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, control(ctl, NULL, 0, &other), 0)));
    printf("creds-uid-invalid: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, control(ctl, NULL, 0, &badUid), 0)));
    struct ucred otherUid = {getpid(), getuid() + 7, getgid()};
    printf("creds-uid-other: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, control(ctl, NULL, 0, &otherUid), 0)));
    int bad[2] = {f1, 9999};
    printf("rights-bad-fd: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, control(ctl, bad, 2, NULL), 0)));
    int many[254];
    for (int i = 0; i < 254; i++) many[i] = f1;
    {
        char big[CMSG_SPACE(sizeof many)];
        struct cmsghdr *c = (struct cmsghdr *) big;
        c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof many);
        memcpy(CMSG_DATA(c), many, sizeof many);
        printf("rights-254: %s\n", outcome(sendTo(s, "r.sock", "xxxx", big, sizeof big, 0)));
    }
    control(ctl, NULL, 0, &me);
    ((struct cmsghdr *) ctl)->cmsg_type = 99;
    printf("cmsg-unknown-type: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, CMSG_SPACE(sizeof me), 0)));
    ((struct cmsghdr *) ctl)->cmsg_level = 12345;
    drain(r);
    printf("cmsg-other-level: %s\n", outcome(sendTo(s, "r.sock", "level", ctl, CMSG_SPACE(sizeof me), 0)));
    received(r, "cmsg-other-level-recv");
    control(ctl, NULL, 0, &me);
    ((struct cmsghdr *) ctl)->cmsg_len = 5;
    printf("cmsg-len-5: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, CMSG_SPACE(sizeof me), 0)));
    ((struct cmsghdr *) ctl)->cmsg_len = 4096;
    printf("cmsg-len-past-control: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, CMSG_SPACE(sizeof me), 0)));
    drain(r);
    printf("controllen-7: %s\n", outcome(sendTo(s, "r.sock", "seven", ctl, 7, 0)));
    received(r, "controllen-7-recv");
    printf("controllen-huge: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, 1UL << 40, 0)));
    printf("controllen-1M: %s\n", outcome(sendTo(s, "r.sock", "xxxx", ctl, 1 << 20, 0)));
    printf("control-unmapped: %s\n", outcome(sendTo(s, "r.sock", "xxxx", (void *) 16, 32, 0)));

    /* hostile headers */
    struct sockaddr_un a;
    socklen_t al = inDir(&a, "r.sock");
    char data[8] = "abcdefg";
    struct iovec io = {data, 7};
    struct msghdr m = {.msg_name = &a, .msg_namelen = 100000, .msg_iov = &io, .msg_iovlen = 1};
    drain(r);
    printf("namelen-huge: %s\n", outcome(sendmsg(s, &m, 0)));
    received(r, "namelen-huge-recv");
    m.msg_namelen = -1;
    printf("namelen-negative: %s\n", outcome(sendmsg(s, &m, 0)));
    m.msg_namelen = al;
    m.msg_name = (void *) 16;
    printf("name-unmapped: %s\n", outcome(sendmsg(s, &m, 0)));
    m.msg_name = &a;
    m.msg_iovlen = 100000;
    printf("iovlen-100000: %s\n", outcome(sendmsg(s, &m, 0)));
    m.msg_iovlen = 1025;
    printf("iovlen-1025: %s\n", outcome(sendmsg(s, &m, 0)));
    static struct iovec vs[1024];
    for (int i = 0; i < 1024; i++) vs[i] = (struct iovec) {data + (i & 1), i == 0};
    m.msg_iov = vs;
    m.msg_iovlen = 1024;
    drain(r);
    printf("iovlen-1024: %s\n", outcome(sendmsg(s, &m, 0)));
    received(r, "iovlen-1024-recv");
    m.msg_iov = (void *) 16;
    m.msg_iovlen = 1;
    printf("iov-unmapped: %s\n", outcome(sendmsg(s, &m, 0)));
    struct iovec badBase = {(void *) 16, 4}, negative = {data, (size_t) -1}, pastUser = {(void *) 0x7ffffffff000UL, 4096};
    m.msg_iov = &badBase;
    printf("iov-base-unmapped: %s\n", outcome(sendmsg(s, &m, 0)));
    m.msg_iov = &negative;
    printf("iov-len-negative: %s\n", outcome(sendmsg(s, &m, 0)));
    m.msg_iov = &pastUser;
    printf("iov-past-user-space: %s\n", outcome(sendmsg(s, &m, 0)));
    printf("msghdr-unmapped: %s\n", outcome(sendmsg(s, (struct msghdr *) 16, 0)));
    printf("flags-cmsg-compat: %s\n", outcome(sendTo(s, "r.sock", "xxxx", NULL, 0, (int) 0x80000000u)));
    printf("flags-oob: %s\n", outcome(sendTo(s, "r.sock", "xxxx", NULL, 0, MSG_OOB)));
    printf("missing: %s\n", outcome(sendTo(s, "missing.sock", "xxxx", NULL, 0, 0)));
    printf("not-a-socket-fd: %s\n", outcome(sendTo(f1, "r.sock", "xxxx", NULL, 0, 0)));
    printf("closed-fd: %s\n", outcome(sendTo(9998, "r.sock", "xxxx", NULL, 0, 0)));
    size_t hugeLen = 300000;
    char *huge = calloc(1, hugeLen);
    struct iovec hio = {huge, hugeLen};
    m.msg_iov = &hio;
    printf("too-big: %s\n", outcome(sendmsg(s, &m, 0)));
    int sndbuf = 200000;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    hio.iov_len = 100000;
    drain(r);
    printf("big-after-sndbuf: %s\n", outcome(sendmsg(s, &m, MSG_DONTWAIT)));
    {
        char b[8];
        ssize_t n = recv(r, b, sizeof b, MSG_DONTWAIT | MSG_TRUNC);
        printf("big-after-sndbuf-recv: %zd\n", n);
    }

    /* sendmmsg: all three, a missing path in the middle, the first missing, none, a bad vector */
    struct sockaddr_un good, missing;
    socklen_t gl = inDir(&good, "r.sock"), ml = inDir(&missing, "missing.sock");
    char *words[3] = {"one", "two!", "three"};
    struct iovec mio[3];
    struct mmsghdr mm[3];
    for (int round = 0; round < 3; round++) {
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < 3; i++) {
            mio[i] = (struct iovec) {words[i], strlen(words[i])};
            int bad = (round == 1 && i == 1) || (round == 2 && i == 0);
            mm[i].msg_hdr = (struct msghdr) {.msg_name = bad ? &missing : &good, .msg_namelen = bad ? ml : gl, .msg_iov = &mio[i], .msg_iovlen = 1};
            mm[i].msg_len = 77;
        }
        drain(r);
        int n = sendmmsg(s, mm, 3, 0);
        printf("sendmmsg-%d: %s lens=%u,%u,%u\n", round, outcome(n), mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
        for (int i = 0; i < 3; i++) {
            char what[32];
            snprintf(what, sizeof what, "sendmmsg-%d-recv-%d", round, i);
            received(r, what);
        }
    }
    printf("sendmmsg-vlen-0: %s\n", outcome(sendmmsg(s, mm, 0, 0)));
    printf("sendmmsg-unmapped: %s\n", outcome(sendmmsg(s, (struct mmsghdr *) 16, 2, 0)));
    /* the second entry's msg_len is on a read-only page: the first is counted, the second sent but not */
    struct mmsghdr *ro = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct mmsghdr *pair = (struct mmsghdr *) ((char *) ro + 4096 - 2 * sizeof(struct mmsghdr) + 8);
    for (int i = 0; i < 2; i++)
        pair[i].msg_hdr = (struct msghdr) {.msg_name = &good, .msg_namelen = gl, .msg_iov = &mio[i], .msg_iovlen = 1};
    mprotect((char *) ro + 4096, 4096, PROT_READ);
    drain(r);
    printf("sendmmsg-len-read-only: %s\n", outcome(sendmmsg(s, pair, 2, 0)));
    received(r, "sendmmsg-len-read-only-recv-0");
    received(r, "sendmmsg-len-read-only-recv-1");

    /* no name: a connected datagram pair, a stream pair, and a name on a connected stream socket */
    int dp[2], sp[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
    printf("dgram-pair: %s\n", outcome(sendTo(dp[0], NULL, "paired", NULL, 0, 0)));
    received(dp[1], "dgram-pair-recv");
    printf("dgram-unconnected-no-name: %s\n", outcome(sendTo(s, NULL, "nope", NULL, 0, 0)));
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    printf("stream-pair: %s\n", outcome(sendTo(sp[0], NULL, "streamed", ctl, control(ctl, fds, 1, NULL), 0)));
    received(sp[1], "stream-pair-recv");
    printf("stream-named: %s\n", outcome(sendTo(sp[0], "r.sock", "xxxx", NULL, 0, 0)));
    mm[0].msg_hdr = (struct msghdr) {.msg_iov = &mio[0], .msg_iovlen = 1};
    mm[1].msg_hdr = (struct msghdr) {.msg_iov = &mio[1], .msg_iovlen = 1};
    printf("stream-sendmmsg: %s\n", outcome(sendmmsg(sp[0], mm, 2, 0)));
    char sb[16] = {0};
    printf("stream-sendmmsg-recv: %zd %s\n", recv(sp[1], sb, sizeof sb - 1, MSG_DONTWAIT), sb);
    mm[0].msg_hdr = (struct msghdr) {.msg_iov = &mio[0], .msg_iovlen = 1};
    mm[1].msg_hdr = (struct msghdr) {.msg_name = &good, .msg_namelen = gl, .msg_iov = &mio[1], .msg_iovlen = 1};
    drain(r);
    printf("dgram-pair-sendmmsg: %s\n", outcome(sendmmsg(dp[0], mm, 2, 0)));
    received(dp[1], "dgram-pair-sendmmsg-recv-0");
    received(r, "dgram-pair-sendmmsg-recv-1");
}

static volatile int done, served;

static void *stats(void *arg) {
    (void) arg;
    struct stat st;
    while (!done) {
        if (stat("/", &st) == 0) served = 1;
        usleep(1000);
    }
    return NULL;
}

static void onAlarm(int sig) { (void) sig; }

static void wait_(void) {
    int r = receiver("full.sock");
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    char d[100] = {0};
    int sent = 0;
    while (sendTo(s, "full.sock", "filling", NULL, 0, MSG_DONTWAIT) >= 0 && sent < 100000) sent++;
    printf("full: %s\n", sent > 0 && errno == EAGAIN ? "EAGAIN" : err(errno));
    /* a blocking send waits; meanwhile another thread's stat is still served; a receive ends the wait */
    pthread_t t;
    pthread_create(&t, NULL, stats, NULL);
    pid_t child = fork();
    if (child == 0) {
        usleep(300000);
        recv(r, d, sizeof d, 0);
        _exit(0);
    }
    served = 0;
    long n = sendTo(s, "full.sock", "waited", NULL, 0, 0);
    printf("after-receive: %s stats-served=%d\n", outcome(n), served);
    done = 1;
    pthread_join(t, NULL);
    waitpid(child, NULL, 0);
    /* full again: a signal without SA_RESTART interrupts the wait */
    while (sendTo(s, "full.sock", "filling", NULL, 0, MSG_DONTWAIT) >= 0) { }
    struct sigaction sa = {.sa_handler = onAlarm};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    printf("signal: %s\n", outcome(sendTo(s, "full.sock", "waits", NULL, 0, 0)));
    /* with SA_RESTART the send goes on after the handler until a receive makes room */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    child = fork();
    if (child == 0) {
        usleep(2000000);
        recv(r, d, sizeof d, 0);
        _exit(0);
    }
    alarm(1);
    printf("signal-restart: %s\n", outcome(sendTo(s, "full.sock", "waits", NULL, 0, 0)));
    waitpid(child, NULL, 0);
    /* full again: a send timeout ends the wait, and a signal then is EINTR even under SA_RESTART */
    while (sendTo(s, "full.sock", "filling", NULL, 0, MSG_DONTWAIT) >= 0) { }
    struct timeval tv = {0, 300000};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    printf("sndtimeo: %s\n", outcome(sendTo(s, "full.sock", "waits", NULL, 0, 0)));
    tv.tv_sec = 3;
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    alarm(1);
    printf("sndtimeo-signal: %s\n", outcome(sendTo(s, "full.sock", "waits", NULL, 0, 0)));
}

static volatile int stop, flips;
static struct sockaddr_un racy;

static void *flipper(void *arg) {
    struct sockaddr_un *alt = arg, own;
    inDir(&own, "r.sock");
    while (!stop) {
        /* each path stays a while; the barriers keep the compiler from dropping either store */
        memcpy(racy.sun_path, alt->sun_path, sizeof racy.sun_path);
        __asm__ volatile("" ::: "memory");
        for (volatile int i = 0; i < 2000; i++) { }
        memcpy(racy.sun_path, own.sun_path, sizeof racy.sun_path);
        __asm__ volatile("" ::: "memory");
        for (volatile int i = 0; i < 2000; i++) { }
        flips++;
    }
    return NULL;
}

static void race(int n, const char *hostPath) {
    int r = receiver("r.sock");
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un alt;
    un(&alt, hostPath);
    inDir(&racy, "r.sock");
    pthread_t t;
    pthread_create(&t, NULL, flipper, &alt);
    while (flips == 0) { }
    int ok = 0, enoent = 0, other = 0;
    for (int i = 0; i < n; i++) {
        char d[4] = "abc";
        struct iovec io = {d, 3};
        struct mmsghdr m = {.msg_hdr = {.msg_name = &racy, .msg_namelen = sizeof racy, .msg_iov = &io, .msg_iovlen = 1}};
        /* natively the host's socket fills up: not waiting for it */
        long x = i % 2 ? sendmsg(s, &m.msg_hdr, MSG_DONTWAIT) : sendmmsg(s, &m, 1, MSG_DONTWAIT);
        if (x >= 0) ok++;
        else if (errno == ENOENT || errno == ENOTDIR) enoent++;
        else other++;
        char b[4];
        while (recv(r, b, sizeof b, MSG_DONTWAIT) >= 0) { }
        if (i % 4 == 0) usleep(200); /* the flipper gets a core even on a busy machine */
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("race: sent=%s missing=%s other=%d\n", ok ? "some" : "0", enoent ? "some" : "0", other);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void bench(int n) {
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    char d[16] = "0123456789abcdef", b[4096];
    struct iovec io = {d, sizeof d};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1};
    double t0 = now();
    for (int i = 0; i < n; i++) {
        if (sendmsg(sp[0], &m, 0) != sizeof d) { perror("sendmsg"); exit(2); }
        if ((i & 127) == 127) while (recv(sp[1], b, sizeof b, MSG_DONTWAIT) > 0) { }
    }
    printf("sendmsg-us: %.2f\n", (now() - t0) / n);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3) return 2;
    if (!strcmp(argv[1], "bench")) { bench(atoi(argv[2])); return 0; }
    if (!strcmp(argv[1], "race")) {
        snprintf(dir, sizeof dir, "%s", argv[3]);
        race(atoi(argv[2]), argv[4]);
        return 0;
    }
    snprintf(dir, sizeof dir, "%s", argv[2]);
    if (!strcmp(argv[1], "basic")) basic();
    else if (!strcmp(argv[1], "wait")) wait_();
    else return 2;
    return 0;
}
