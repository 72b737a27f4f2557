/*
 * AF_UNIX socket paths, served by the Sentry on ptrace; prints one "name: outcome" line per case.
 *   unix_sockets basic          stream and datagram sockets bound in /tmp, /workspace and by relative paths, the
 *                               addresses the kernel records, modes under two umasks, abstract names, errors
 *   unix_sockets addrlen        bind and connect with hostile address lengths and pointers
 *   unix_sockets backlog        a blocking connect to a full backlog waits while other calls are still served
 *   unix_sockets bindrace N     a thread flips the path between an allowed one and others while the main thread binds
 *   unix_sockets swap N PATH    a thread swaps a symlink between a socket of the sandbox and PATH while connecting
 *   unix_sockets flip N PATH    connect on a TCP socket while a thread flips the address to PATH and the descriptor
 *                               to a Unix socket
 *   unix_sockets connect PATH   one connect to PATH
 *   unix_sockets bench N        N connects to a loopback TCP listener, N to a Unix one, N UDP sendto with an
 *                               address: microseconds each
 * Outcomes are "ok", a value, or the errno's name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *err(int e) {
    switch (e) {
    case ENOENT: return "ENOENT"; case EACCES: return "EACCES"; case EPERM: return "EPERM"; case EROFS: return "EROFS";
    case EAGAIN: return "EAGAIN"; case EINVAL: return "EINVAL"; case ENOTDIR: return "ENOTDIR"; case EBADF: return "EBADF";
    case EFAULT: return "EFAULT"; case EADDRINUSE: return "EADDRINUSE"; case ECONNREFUSED: return "ECONNREFUSED";
    case ENOTSOCK: return "ENOTSOCK"; case EAFNOSUPPORT: return "EAFNOSUPPORT"; case EISCONN: return "EISCONN";
    case EOPNOTSUPP: return "EOPNOTSUPP"; case EPROTOTYPE: return "EPROTOTYPE"; case ENAMETOOLONG: return "ENAMETOOLONG";
    case EMSGSIZE: return "EMSGSIZE"; case ENOTCONN: return "ENOTCONN"; case EDESTADDRREQ: return "EDESTADDRREQ"; case EINPROGRESS: return "EINPROGRESS"; case ELOOP: return "ELOOP";
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
    }
}

static const char *res(int r) { return r < 0 ? err(errno) : "ok"; }

static socklen_t un(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strncpy(a->sun_path, path, sizeof a->sun_path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static int sock(int type) {
    int s = socket(AF_UNIX, type, 0);
    if (s < 0) { perror("socket"); exit(2); }
    return s;
}

static int bound(int type, const char *path, int *r) {
    struct sockaddr_un a;
    int s = sock(type);
    *r = bind(s, (struct sockaddr *) &a, un(&a, path));
    return s;
}

static int connected(int type, const char *path, int *r) {
    struct sockaddr_un a;
    int s = sock(type);
    *r = connect(s, (struct sockaddr *) &a, un(&a, path));
    return s;
}

/* "len:path" of an address the kernel gave back; an abstract name's NUL shown as @ */
static const char *addr(struct sockaddr_un *a, socklen_t len) {
    static char b[160];
    int n = (int) len - (int) offsetof(struct sockaddr_un, sun_path);
    char p[110] = {0};
    for (int i = 0; i < n && i < 108; i++) p[i] = a->sun_path[i] == 0 ? (i == 0 ? '@' : 0) : a->sun_path[i];
    snprintf(b, sizeof b, "%u:%s", len, n > 0 ? p : "");
    return b;
}

static const char *name(int s, int peer) {
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    int r = peer ? getpeername(s, (struct sockaddr *) &a, &len) : getsockname(s, (struct sockaddr *) &a, &len);
    return r < 0 ? err(errno) : addr(&a, len);
}

/* a stream server at path, a client, one message each way: the names the kernel recorded */
static void stream(const char *tag, const char *path, const char *connectAs) {
    int r, c;
    int l = bound(SOCK_STREAM, path, &r);
    printf("%s-bind: %s\n", tag, res(r));
    if (r < 0) return;
    listen(l, 4);
    int cl = connected(SOCK_STREAM, connectAs, &c);
    printf("%s-connect: %s\n", tag, res(c));
    if (c < 0) return;
    struct sockaddr_un a;
    socklen_t alen = sizeof a;
    int s = accept(l, (struct sockaddr *) &a, &alen);
    printf("%s-accept: %s\n", tag, s < 0 ? err(errno) : addr(&a, alen));
    printf("%s-names: %s", tag, name(l, 0));
    printf(" %s", name(cl, 1));
    printf(" %s\n", name(s, 0));
    char buf[9] = {0};
    write(cl, "ping", 4);
    read(s, buf, 4);
    write(s, "pong", 4);
    read(cl, buf + 4, 4);
    printf("%s-data: %s\n", tag, buf);
    struct stat st;
    printf("%s-mode: %o\n", tag, stat(path, &st) < 0 ? 0 : st.st_mode);
    close(s), close(cl), close(l);
}

static void basic(void) {
    int r;
    stream("tmp", "/tmp/s.sock", "/tmp/s.sock");
    stream("workspace", "/workspace/w.sock", "/workspace/./w.sock");
    mkdir("/tmp/d", 0755);
    chdir("/tmp/d");
    stream("relative", "rel.sock", "../d/rel.sock");
    umask(077);
    stream("umask077", "/tmp/u.sock", "../u.sock");
    umask(022);
    /* a datagram receiver and two senders, one unnamed, one bound */
    int rx = bound(SOCK_DGRAM, "/tmp/dg.sock", &r);
    printf("dgram-bind: %s\n", res(r));
    struct sockaddr_un to, from;
    socklen_t tolen = un(&to, "/tmp/dg.sock"), fromlen;
    int tx = sock(SOCK_DGRAM);
    printf("dgram-sendto: %ld\n", (long) sendto(tx, "hello", 5, 0, (struct sockaddr *) &to, tolen));
    char buf[16] = {0};
    fromlen = sizeof from;
    ssize_t n = recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *) &from, &fromlen);
    printf("dgram-recv: %zd %s from %s\n", n, buf, addr(&from, fromlen));
    int tx2 = bound(SOCK_DGRAM, "snd.sock", &r);
    struct sockaddr_un rel;
    socklen_t rellen = un(&rel, "../dg.sock");
    printf("dgram-sendto-relative: %ld\n", (long) sendto(tx2, "again", 5, MSG_DONTWAIT, (struct sockaddr *) &rel, rellen));
    fromlen = sizeof from;
    n = recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *) &from, &fromlen);
    printf("dgram-recv-relative: %zd from %s\n", n, addr(&from, fromlen));
    printf("dgram-send-unconnected: %s\n", res((int) send(tx, "x", 1, 0)));
    printf("dgram-sendto-missing: %s\n", res((int) sendto(tx, "x", 1, 0, (struct sockaddr *) &rel, un(&rel, "/tmp/none.sock"))));
    printf("dgram-sendto-too-big: %s\n", res((int) sendto(tx, (void *) 0x10000, 1L << 30, 0, (struct sockaddr *) &to, tolen)));
    printf("dgram-sendto-past-user-space: %s\n", res((int) sendto(tx, (void *) 0x7fffffff0000L, 1L << 20, 0, (struct sockaddr *) &to, tolen)));
    printf("dgram-sendto-wrapping: %s\n", res((int) sendto(tx, (void *) -4096L, 1L << 20, 0, (struct sockaddr *) &to, tolen)));
    printf("dgram-sendto-huge: %s\n", res((int) sendto(tx, (void *) 0x10000, (size_t) -1, 0, (struct sockaddr *) &to, tolen)));
    printf("dgram-sendto-bad-buffer: %s\n", res((int) sendto(tx, (void *) 8, 5, 0, (struct sockaddr *) &to, tolen)));
    int st = sock(SOCK_STREAM);
    printf("stream-sendto-address: %s\n", res((int) sendto(st, "x", 1, 0, (struct sockaddr *) &to, tolen)));
    /* abstract names and autobind: no path */
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    memcpy(ab.sun_path, "\0palisade-test", 14);
    socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 14;
    int al = sock(SOCK_STREAM);
    printf("abstract-bind: %s", res(bind(al, (struct sockaddr *) &ab, ablen)));
    printf(" %s\n", name(al, 0));
    listen(al, 1);
    int ac = sock(SOCK_STREAM);
    printf("abstract-connect: %s", res(connect(ac, (struct sockaddr *) &ab, ablen)));
    printf(" %s\n", name(ac, 1));
    int auto_ = sock(SOCK_DGRAM);
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    r = bind(auto_, (struct sockaddr *) &fam, offsetof(struct sockaddr_un, sun_path));
    struct sockaddr_un got;
    socklen_t gotlen = sizeof got;
    getsockname(auto_, (struct sockaddr *) &got, &gotlen);
    printf("autobind: %s len=%u abstract=%d\n", res(r), gotlen, got.sun_path[0] == 0);
    /* errors, as the kernel gives them */
    bound(SOCK_STREAM, "/tmp/s.sock", &r);
    printf("bind-existing: %s\n", res(r));
    bound(SOCK_STREAM, "/tmp/nodir/x.sock", &r);
    printf("bind-no-dir: %s\n", res(r));
    bound(SOCK_STREAM, "/usr/x.sock", &r);
    printf("bind-read-only: %s\n", res(r));
    bound(SOCK_STREAM, "/etc/hostname/x.sock", &r);
    printf("bind-not-dir: %s\n", res(r));
    connected(SOCK_STREAM, "/tmp/none.sock", &r);
    printf("connect-missing: %s\n", res(r));
    connected(SOCK_STREAM, "/etc/hostname", &r);
    printf("connect-file: %s\n", res(r));
    connected(SOCK_STREAM, "/tmp/dg.sock", &r);
    printf("connect-wrong-type: %s\n", res(r));
    close(open("/tmp/closed.sock.dir", O_CREAT | O_WRONLY, 0644));
    mkdir("/tmp/closed", 0);
    bound(SOCK_STREAM, "/tmp/closed/x.sock", &r);
    printf("bind-no-permission: %s\n", res(r));
    char longp[120];
    memset(longp, 'a', sizeof longp);
    memcpy(longp, "/tmp/", 5);
    struct sockaddr_un full = {.sun_family = AF_UNIX};
    memcpy(full.sun_path, longp, sizeof full.sun_path); /* 108 bytes, no NUL */
    int fs = sock(SOCK_STREAM);
    r = bind(fs, (struct sockaddr *) &full, sizeof full);
    printf("bind-108-no-nul: %s %s\n", res(r), r < 0 ? "" : name(fs, 0));
    struct stat sst;
    longp[108] = 0;
    printf("bind-108-file: %s\n", stat(longp, &sst) == 0 && S_ISSOCK(sst.st_mode) ? "socket" : err(errno));
    int notsock = open("/etc/hostname", O_RDONLY);
    printf("connect-not-socket: %s\n", res(connect(notsock, (struct sockaddr *) &to, tolen)));
    printf("connect-bad-fd: %s\n", res(connect(999, (struct sockaddr *) &to, tolen)));
    printf("bind-bad-fd: %s\n", res(bind(-1, (struct sockaddr *) &to, tolen)));
    printf("sendto-bad-fd: %s\n", res((int) sendto(999, "x", 1, 0, (struct sockaddr *) &to, tolen)));
    /* a TCP socket: the kernel's, whatever address it is given */
    int tl = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t inlen = sizeof in;
    r = bind(tl, (struct sockaddr *) &in, sizeof in);
    getsockname(tl, (struct sockaddr *) &in, &inlen);
    listen(tl, 4);
    int tc = socket(AF_INET, SOCK_STREAM, 0);
    printf("tcp: %s %s", res(r), res(connect(tc, (struct sockaddr *) &in, sizeof in)));
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    getpeername(tc, (struct sockaddr *) &peer, &plen);
    printf(" same-port=%d\n", peer.sin_port == in.sin_port);
    int tu = socket(AF_INET, SOCK_STREAM, 0);
    printf("tcp-with-unix-address: %s\n", res(connect(tu, (struct sockaddr *) &to, tolen)));
    int ub = socket(AF_INET, SOCK_DGRAM, 0);
    printf("udp-bind-unix-address: %s\n", res(bind(ub, (struct sockaddr *) &to, tolen)));
    printf("unix-connect-inet-address: %s\n", res(connect(sock(SOCK_STREAM), (struct sockaddr *) &in, sizeof in)));
    /* credentials a server sees of a client */
    int cr;
    int crl = bound(SOCK_STREAM, "/tmp/cred.sock", &cr);
    listen(crl, 1);
    int crc = connected(SOCK_STREAM, "/tmp/cred.sock", &cr);
    int crs = accept(crl, NULL, NULL);
    struct ucred uc;
    socklen_t uclen = sizeof uc;
    getsockopt(crs, SOL_SOCKET, SO_PEERCRED, &uc, &uclen);
    printf("peercred: uid=%d gid=%d\n", uc.uid, uc.gid);
    printf("peercred-pid: %s\n", uc.pid == getpid() ? "own" : uc.pid == 0 ? "zero" : "other");
    (void) crc;
}

static void addrlen(void) {
    static const struct { const char *tag; long len; } lens[] = {
        {"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {"110", 110}, {"111", 111}, {"128", 128}, {"129", 129}, {"200", 200},
        {"-1", -1}, {"huge", 0x7fffffffL}, {"upper-half", 0x100000010L}};
    char raw[256];
    memset(raw, 0, sizeof raw);
    struct sockaddr_un *a = (struct sockaddr_un *) raw;
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, "/tmp/len.sock");
    for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        int b = sock(SOCK_STREAM);
        int rb = (int) syscall(49, b, raw, lens[i].len);
        const char *eb = rb < 0 ? err(errno) : "ok";
        char bn[160];
        snprintf(bn, sizeof bn, "%s", rb < 0 ? "-" : name(b, 0));
        unlink("/tmp/len.sock");
        int c = sock(SOCK_STREAM);
        int rc = (int) syscall(42, c, raw, lens[i].len);
        printf("addrlen-%s: bind=%s %s connect=%s\n", lens[i].tag, eb, bn, rc < 0 ? err(errno) : "ok");
        int d = sock(SOCK_DGRAM);
        long rs = syscall(44, d, "x", 1, 0, raw, lens[i].len);
        printf("addrlen-%s-sendto: %s\n", lens[i].tag, rs < 0 ? err(errno) : "ok");
        close(b), close(c), close(d);
    }
    int b = sock(SOCK_STREAM);
    printf("address-unmapped: bind=%s", res((int) syscall(49, b, 8L, 20L)));
    printf(" connect=%s", res((int) syscall(42, b, 8L, 20L)));
    printf(" sendto=%s\n", res((int) syscall(44, sock(SOCK_DGRAM), "x", 1L, 0L, 8L, 20L)));
    /* the address ends where the page ends: only the named length is read */
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 4096, 4096, PROT_NONE);
    struct sockaddr_un *edge = (struct sockaddr_un *) (page + 4096 - 16);
    edge->sun_family = AF_UNIX;
    memcpy(edge->sun_path, "/tmp/edge.sock", 14);
    printf("address-at-page-end: %s\n", res((int) syscall(49, sock(SOCK_STREAM), edge, 16L)));
    printf("address-past-page-end: %s\n", res((int) syscall(49, sock(SOCK_STREAM), page + 4096 - 8, 16L)));
}

static volatile int stop;
static volatile long served;

static void *statter(void *arg) {
    struct stat st;
    (void) arg;
    while (!stop) {
        if (stat("/etc/hostname", &st) == 0) served++;
    }
    return NULL;
}

static void *blockedConnect(void *arg) {
    int r;
    connected(SOCK_STREAM, "/tmp/full.sock", &r);
    *(int *) arg = r < 0 ? errno : 0;
    return NULL;
}

static int sendTx;

static void *blockedSend(void *arg) {
    struct sockaddr_un to;
    socklen_t tolen = un(&to, "/tmp/fulldg.sock");
    long r = sendto(sendTx, "d", 1, 0, (struct sockaddr *) &to, tolen);
    *(int *) arg = r < 0 ? errno : 0;
    return NULL;
}

/* a listener with backlog 0 fills; a blocking connect then waits, and stats from another thread go on */
static void backlog(void) {
    int r;
    int l = bound(SOCK_STREAM, "/tmp/full.sock", &r);
    listen(l, 0);
    int filled = 0;
    for (int i = 0; i < 8; i++) {
        int c = sock(SOCK_STREAM);
        fcntl(c, F_SETFL, O_NONBLOCK);
        struct sockaddr_un a;
        if (connect(c, (struct sockaddr *) &a, un(&a, "/tmp/full.sock")) < 0) {
            printf("nonblocking-full: %s after %d\n", err(errno), filled);
            break;
        }
        filled++;
    }
    int result = -1;
    pthread_t waiter, st;
    pthread_create(&waiter, NULL, blockedConnect, &result);
    usleep(300000);
    long before = served;
    pthread_create(&st, NULL, statter, NULL);
    usleep(300000);
    stop = 1;
    pthread_join(st, NULL);
    printf("while-waiting: stats-served=%d connect-done=%d\n", served - before > 10, result != -1);
    for (int i = 0; i <= filled; i++) close(accept(l, NULL, NULL));
    pthread_join(waiter, NULL);
    printf("after-accept: %s\n", result == 0 ? "ok" : err(result));
    /* a datagram receiver's queue fills; a blocking send to its path then waits the same way */
    int rx = bound(SOCK_DGRAM, "/tmp/fulldg.sock", &r);
    int queued = 0;
    struct sockaddr_un to;
    socklen_t tolen = un(&to, "/tmp/fulldg.sock");
    sendTx = sock(SOCK_DGRAM);
    while (sendto(sendTx, "d", 1, MSG_DONTWAIT, (struct sockaddr *) &to, tolen) == 1 && queued < 10000) queued++;
    printf("dgram-nonblocking-full: %s\n", err(errno));
    result = -1;
    stop = 0;
    pthread_create(&waiter, NULL, blockedSend, &result);
    usleep(300000);
    before = served;
    pthread_create(&st, NULL, statter, NULL);
    usleep(300000);
    stop = 1;
    pthread_join(st, NULL);
    printf("dgram-while-waiting: stats-served=%d send-done=%d\n", served - before > 10, result != -1);
    char b[4];
    recv(rx, b, sizeof b, 0);
    pthread_join(waiter, NULL);
    printf("dgram-after-recv: %s\n", result == 0 ? "ok" : err(result));
}

static char racy[sizeof(struct sockaddr_un)];

static void *flipper(void *arg) {
    const char **paths = arg;
    struct sockaddr_un *a = (struct sockaddr_un *) racy;
    for (int i = 0; !stop; i++) strcpy(a->sun_path, paths[i & 1]);
    return NULL;
}

/* the socket is bound under exactly the name the kernel recorded, or not at all */
static void bindrace(int n) {
    static const char *paths[] = {"/tmp/r/a.sock", "/nonexistent/dir/b"};
    mkdir("/tmp/r", 0755);
    struct sockaddr_un *a = (struct sockaddr_un *) racy;
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, paths[0]);
    pthread_t t;
    stop = 0;
    pthread_create(&t, NULL, flipper, paths);
    int ok = 0, failed = 0, mismatched = 0;
    for (int i = 0; i < n; i++) {
        int s = sock(SOCK_STREAM);
        if (bind(s, (struct sockaddr *) racy, sizeof(struct sockaddr_un)) == 0) {
            struct sockaddr_un got;
            socklen_t len = sizeof got;
            struct stat st;
            getsockname(s, (struct sockaddr *) &got, &len);
            if (strcmp(got.sun_path, paths[0]) == 0 && stat(paths[0], &st) == 0 && S_ISSOCK(st.st_mode)) ok++;
            else mismatched++;
            unlink(paths[0]);
        } else {
            failed++;
        }
        close(s);
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("bindrace: bound=%s failed=%s mismatched=%d\n", ok ? "some" : "0", failed ? "some" : "0", mismatched);
}

static const char *swapTarget;

static void *swapper(void *arg) {
    (void) arg;
    for (int i = 0; !stop; i++) {
        symlink(i & 1 ? swapTarget : "/tmp/sw/real.sock", "/tmp/sw/link.new");
        rename("/tmp/sw/link.new", "/tmp/sw/link");
    }
    return NULL;
}

/* connects through a symlink another thread swaps: only the sandbox's own socket is ever reached */
static void swap(int n, const char *target) {
    int r;
    mkdir("/tmp/sw", 0755);
    swapTarget = target;
    int l = bound(SOCK_STREAM, "/tmp/sw/real.sock", &r);
    listen(l, 64);
    fcntl(l, F_SETFL, O_NONBLOCK);
    pthread_t t;
    stop = 0;
    pthread_create(&t, NULL, swapper, NULL);
    int connectedOk = 0, enoent = 0, other = 0;
    for (int i = 0; i < n; i++) {
        int c = connected(SOCK_STREAM, "/tmp/sw/link", &r);
        if (r == 0) connectedOk++;
        else if (errno == ENOENT) enoent++;
        else other++;
        close(c);
        int s;
        while ((s = accept(l, NULL, NULL)) >= 0) close(s);
    }
    stop = 1;
    pthread_join(t, NULL);
    printf("swap: connected=%s enoent=%s other=%d\n", connectedOk ? "some" : "0", enoent ? "some" : "0", other);
}

static int flipFd;
static int unixFd;

static void *flipperFd(void *arg) {
    struct sockaddr_un *u = arg;
    struct sockaddr_in *in = (struct sockaddr_in *) racy;
    struct sockaddr_in saved = *in;
    for (int i = 0; !stop; i++) {
        if (i & 1) memcpy(racy, u, sizeof *u);
        else memcpy(racy, &saved, sizeof saved);
        if ((i & 3) == 3) dup2(unixFd, flipFd);
    }
    return NULL;
}

/* TCP connects the kernel runs while a thread turns the address into a host path and the descriptor into a Unix socket */
static void flip(int n, const char *target) {
    int tl = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t inlen = sizeof in;
    bind(tl, (struct sockaddr *) &in, sizeof in);
    getsockname(tl, (struct sockaddr *) &in, &inlen);
    listen(tl, 128);
    fcntl(tl, F_SETFL, O_NONBLOCK);
    struct sockaddr_un u;
    un(&u, target);
    memcpy(racy, &in, sizeof in);
    unixFd = sock(SOCK_STREAM);
    int tcp = 0, enoent = 0, other = 0;
    for (int i = 0; i < n; i++) {
        flipFd = socket(AF_INET, SOCK_STREAM, 0);
        memcpy(racy, &in, sizeof in);
        pthread_t t;
        stop = 0;
        pthread_create(&t, NULL, flipperFd, &u);
        int r = connect(flipFd, (struct sockaddr *) racy, sizeof(struct sockaddr_un));
        int e = errno;
        stop = 1;
        pthread_join(t, NULL);
        if (r == 0) tcp++;
        else if (e == ENOENT) enoent++;
        else other++;
        close(flipFd);
        int s;
        while ((s = accept(tl, NULL, NULL)) >= 0) close(s);
    }
    printf("flip: done=%d\n", tcp + enoent + other);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void bench(int n) {
    int tl = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t inlen = sizeof in;
    bind(tl, (struct sockaddr *) &in, sizeof in);
    getsockname(tl, (struct sockaddr *) &in, &inlen);
    listen(tl, 128);
    double t0 = now();
    for (int i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *) &in, sizeof in) < 0) { perror("connect"); exit(2); }
        close(accept(tl, NULL, NULL));
        close(c);
    }
    double t1 = now();
    int r;
    char path[64];
    snprintf(path, sizeof path, "/tmp/bench-%d.sock", getpid());
    int ul = bound(SOCK_STREAM, path, &r);
    listen(ul, 128);
    double t2 = now();
    for (int i = 0; i < n; i++) {
        int c = connected(SOCK_STREAM, path, &r);
        if (r < 0) { perror("unix connect"); exit(2); }
        close(accept(ul, NULL, NULL));
        close(c);
    }
    double t3 = now();
    unlink(path);
    /* UDP datagrams with an address (a DNS query's way): sendto goes to the Sentry, which lets the kernel send it */
    int ur = socket(AF_INET, SOCK_DGRAM, 0), us = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t ualen = sizeof ua;
    bind(ur, (struct sockaddr *) &ua, sizeof ua);
    getsockname(ur, (struct sockaddr *) &ua, &ualen);
    char b[8];
    double t4 = now();
    for (int i = 0; i < n; i++) {
        if (sendto(us, "q", 1, 0, (struct sockaddr *) &ua, sizeof ua) != 1) { perror("sendto"); exit(2); }
        recv(ur, b, sizeof b, 0);
    }
    double t5 = now();
    printf("tcp-connect-accept-close-us: %.1f\nunix-connect-accept-close-us: %.1f\nudp-sendto-recv-us: %.1f\n", (t1 - t0) / n,
           (t3 - t2) / n, (t5 - t4) / n);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) return 2;
    int n = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(argv[1], "basic")) basic();
    else if (!strcmp(argv[1], "addrlen")) addrlen();
    else if (!strcmp(argv[1], "backlog")) backlog();
    else if (!strcmp(argv[1], "bindrace")) bindrace(n);
    else if (!strcmp(argv[1], "swap")) swap(n, argv[3]);
    else if (!strcmp(argv[1], "flip")) flip(n, argv[3]);
    else if (!strcmp(argv[1], "bench")) bench(n);
    else if (!strcmp(argv[1], "connect")) {
        int r;
        connected(SOCK_STREAM, argv[2], &r);
        printf("connect: %s\n", res(r));
    } else return 2;
    return 0;
}
