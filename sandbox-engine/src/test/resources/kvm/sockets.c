/* Unix sockets and epoll, run on KVM and natively with the same output: sockets MODE [ARG]. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
    switch (e) {
    case 0: return "OK";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPIPE: return "EPIPE";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOTSOCK: return "ENOTSOCK";
    case ETOOMANYREFS: return "ETOOMANYREFS";
    case ENOSPC: return "ENOSPC";
    default: { static char b[32]; snprintf(b, sizeof b, "errno%d", e); return b; }
    }
}

#define R(call) do { errno = 0; long _r = (long)(call); printf("%s = %ld %s\n", #call, _r < 0 ? -1L : _r, en(_r < 0 ? errno : 0)); } while (0)

static void waitchild(void) {
    int st;
    wait(&st);
    if (WIFSIGNALED(st)) printf("child signal %d\n", WTERMSIG(st));
    else printf("child exit %d\n", WEXITSTATUS(st));
}

static long elapsed_ms(struct timespec *a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* socketpair ping-pong between a parent and a forked child, EOF, EPIPE and SIGPIPE. */
static void pair(void) {
    int sv[2];
    R(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int t = 0, d = 0; socklen_t l = 4;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &t, &l);
    l = 4;
    getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &d, &l);
    printf("type %d domain %d\n", t, d);
    struct sockaddr_un a; l = sizeof a;
    memset(&a, 0x55, sizeof a);
    R(getsockname(sv[0], (struct sockaddr *)&a, &l));
    printf("name len %d family %d\n", l, a.sun_family);
    l = sizeof a;
    R(getpeername(sv[1], (struct sockaddr *)&a, &l));
    printf("peer len %d\n", l);
    struct stat st;
    fstat(sv[0], &st);
    printf("sock %d\n", S_ISSOCK(st.st_mode));
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char b[64];
        for (int i = 0; i < 1000; i++) {
            int n = read(sv[1], b, sizeof b);
            if (n <= 0) { printf("child read %d\n", n); _exit(1); }
            b[0]++;
            write(sv[1], b, n);
        }
        _exit(0);
    }
    close(sv[1]);
    char b[64] = "a0";
    for (int i = 0; i < 1000; i++) {
        write(sv[0], b, 2);
        if (read(sv[0], b, sizeof b) != 2) { printf("short\n"); break; }
        b[0] = 'a' + (b[0] - 'a') % 20;
    }
    printf("after ping-pong %c\n", b[0]);
    waitchild();
    R(read(sv[0], b, sizeof b));
    signal(SIGPIPE, SIG_IGN);
    R(write(sv[0], "x", 1));
    R(send(sv[0], "x", 1, MSG_NOSIGNAL));
    signal(SIGPIPE, SIG_DFL);
    if (fork() == 0) {
        write(sv[0], "x", 1);
        _exit(0);
    }
    waitchild();
    /* shutdown: the peer sees EOF, its writes still arrive */
    R(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    R(send(sv[1], "", 0, 0));
    struct pollfd pf = {sv[0], POLLIN};
    R(poll(&pf, 1, 0));
    R(send(sv[1], "q", 1, 0));
    R(recv(sv[0], b, 0, 0));
    R(recv(sv[0], b, sizeof b, 0));
    R(shutdown(sv[0], SHUT_WR));
    R(read(sv[1], b, sizeof b));
    R(write(sv[1], "yz", 2));
    R(read(sv[0], b, sizeof b));
    signal(SIGPIPE, SIG_IGN);
    R(write(sv[0], "x", 1));
    R(shutdown(sv[0], 7));
    R(fcntl(sv[0], F_GETFD));
    /* calls on sockets in the wrong state */
    int u = socket(AF_UNIX, SOCK_STREAM, 0), g = socket(AF_UNIX, SOCK_DGRAM, 0), q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    R(shutdown(u, SHUT_RDWR));
    R(shutdown(g, SHUT_RDWR));
    R(listen(u, 1));
    R(listen(g, 1));
    R(accept(u, NULL, NULL));
    R(read(u, b, 1));
    R(read(q, b, 1));
    R(write(u, "x", 1));
    R(write(q, "x", 1));
    R(send(g, "x", 1, 0));
    l = sizeof a;
    R(getpeername(u, (struct sockaddr *)&a, &l));
    R(getpeername(g, (struct sockaddr *)&a, &l));
    R(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &t, 4));
    R(setsockopt(u, SOL_SOCKET, 999, &t, 4));
    R(getsockopt(u, SOL_SOCKET, 999, &t, &l));
    R(setsockopt(u, 6, 1, &t, 4));
    R(socketpair(AF_INET, SOCK_STREAM, 0, sv));
    R(socketpair(AF_UNIX, 9, 0, sv));
    R(socketpair(AF_UNIX, SOCK_STREAM, 3, sv));
}

/* Datagram and seqpacket boundaries, truncation, MSG_PEEK, MSG_DONTWAIT. */
static void dgram(void) {
    int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
    int kinds[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    for (int k = 0; k < 3; k++) {
        int u = socket(AF_UNIX, kinds[k], 0);
        struct pollfd pf = {u, POLLIN | POLLOUT | POLLRDHUP};
        poll(&pf, 1, 0);
        printf("unconnected type %d revents %x\n", kinds[k], pf.revents);
        close(u);
    }
    for (int k = 0; k < 2; k++) {
        int sv[2];
        char b[64];
        printf("-- %s\n", k ? "seqpacket" : "dgram");
        R(socketpair(AF_UNIX, types[k], 0, sv));
        R(send(sv[0], "hello", 5, 0));
        R(send(sv[0], "", 0, 0));
        R(send(sv[0], "0123456789", 10, 0));
        R(send(sv[0], "abc", 3, 0));
        R(recv(sv[1], b, sizeof b, MSG_PEEK));
        R(recv(sv[1], b, sizeof b, 0));
        R(recv(sv[1], b, sizeof b, 0));
        struct iovec iov = {b, 4};
        struct msghdr m = {0};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        R(recvmsg(sv[1], &m, 0));
        printf("flags trunc %d data %.4s\n", (m.msg_flags & MSG_TRUNC) != 0, b);
        R(recv(sv[1], b, 1, MSG_TRUNC));
        R(recv(sv[1], b, sizeof b, MSG_DONTWAIT));
        int big = 300000;
        char *p = calloc(1, big);
        R(send(sv[0], p, big, 0));
        free(p);
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0; i < 3; i++) {
                char m2[16];
                int n = snprintf(m2, sizeof m2, "msg%d", i * 11);
                send(sv[1], m2, n, 0);
            }
            _exit(0);
        }
        waitchild();
        for (int i = 0; i < 3; i++) {
            int n = recv(sv[0], b, sizeof b, 0);
            printf("got %d %.*s\n", n, n, b);
        }
        close(sv[1]);
        if (k == 1) {
            R(recv(sv[0], b, sizeof b, 0));
        } else {
            R(recv(sv[0], b, sizeof b, MSG_DONTWAIT));
        }
        signal(SIGPIPE, SIG_IGN);
        R(send(sv[0], "x", 1, 0));
        close(sv[0]);
    }
}

static socklen_t addr(struct sockaddr_un *a, const char *path, int abstract) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) {
        memcpy(a->sun_path + 1, path, strlen(path));
        return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
    }
    strcpy(a->sun_path, path);
    return sizeof *a;
}

/* A Unix stream echo server and its client in two processes; names, files, abstract names, datagrams to names. */
static void server(void) {
    for (int abstract = 0; abstract < 2; abstract++) {
        struct sockaddr_un a, g;
        socklen_t al = addr(&a, "echo.sock", abstract), gl;
        printf("-- %s\n", abstract ? "abstract" : "path");
        unlink("echo.sock");
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        R(listen(s, 1));
        R(bind(s, (struct sockaddr *)&a, al));
        int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
        R(bind(s2, (struct sockaddr *)&a, al));
        close(s2);
        R(listen(s, 4));
        if (!abstract) {
            struct stat st;
            R(stat("echo.sock", &st));
            printf("is socket %d\n", S_ISSOCK(st.st_mode));
        }
        gl = sizeof g;
        memset(&g, 0, sizeof g);
        R(getsockname(s, (struct sockaddr *)&g, &gl));
        printf("name len %d abstract %d path %s\n", gl, g.sun_path[0] == 0, g.sun_path + (g.sun_path[0] == 0));
        pid_t pid = fork();
        if (pid == 0) {
            int c = socket(AF_UNIX, SOCK_STREAM, 0);
            if (connect(c, (struct sockaddr *)&a, al) != 0) { printf("connect %s\n", en(errno)); _exit(1); }
            struct sockaddr_un p; socklen_t pl = sizeof p;
            getpeername(c, (struct sockaddr *)&p, &pl);
            printf("client peer len %d %s\n", pl, p.sun_path + (p.sun_path[0] == 0));
            for (int i = 0; i < 3; i++) {
                char m[32], r[32];
                int n = snprintf(m, sizeof m, "line %d", i);
                write(c, m, n);
                int got = read(c, r, sizeof r);
                printf("client got %.*s\n", got, r);
            }
            close(c);
            _exit(0);
        }
        struct sockaddr_un p; socklen_t pl = sizeof p;
        memset(&p, 0x55, sizeof p);
        int c = accept(s, (struct sockaddr *)&p, &pl);
        gl = sizeof g;
        getsockname(c, (struct sockaddr *)&g, &gl);
        char b[64];
        int n;
        while ((n = read(c, b, sizeof b)) > 0) {
            for (int i = 0; i < n; i++) if (b[i] >= 'a' && b[i] <= 'z') b[i] -= 32;
            write(c, b, n);
        }
        waitchild();
        printf("server read end %d, accepted peer len %d, conn name len %d\n", n, pl, gl);
        close(c);
        close(s);
        /* no listener any more */
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        R(connect(c, (struct sockaddr *)&a, al));
        close(c);
    }
    struct sockaddr_un a;
    socklen_t al = addr(&a, "missing.sock", 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    R(connect(c, (struct sockaddr *)&a, al));
    al = addr(&a, "sockets.c.txt", 0);
    close(open("sockets.c.txt", O_CREAT | O_WRONLY, 0644));
    R(connect(c, (struct sockaddr *)&a, al));
    R(unlink("echo.sock"));
    /* datagrams to names, and the sender's name */
    struct sockaddr_un d1, d2, f;
    socklen_t l1 = addr(&d1, "d1.sock", 0), l2 = addr(&d2, "d2.sock", 0), fl;
    unlink("d1.sock");
    unlink("d2.sock");
    int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM, 0);
    R(bind(x, (struct sockaddr *)&d1, l1));
    R(bind(y, (struct sockaddr *)&d2, l2));
    R(sendto(y, "to-x", 4, 0, (struct sockaddr *)&d1, l1));
    char b[64];
    fl = sizeof f;
    R(recvfrom(x, b, sizeof b, 0, (struct sockaddr *)&f, &fl));
    printf("from len %d %s\n", fl, f.sun_path);
    R(send(x, "no peer", 7, 0));
    R(connect(x, (struct sockaddr *)&d2, l2));
    R(send(x, "to-y", 4, 0));
    R(recv(y, b, sizeof b, 0));
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    R(connect(st, (struct sockaddr *)&d1, l1));
    /* autobind */
    int z = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un au = {AF_UNIX};
    R(bind(z, (struct sockaddr *)&au, sizeof(sa_family_t)));
    fl = sizeof f;
    getsockname(z, (struct sockaddr *)&f, &fl);
    printf("autobind len %d abstract %d\n", fl, f.sun_path[0] == 0);
    unlink("d1.sock");
    unlink("d2.sock");
    unlink("sockets.c.txt");
}

static void ep_show(int ep, int timeout, const char *what) {
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++) printf(" [%lu:%x]", (unsigned long)ev[i].data.u64, ev[i].events);
    printf("\n");
}

/* Level- vs edge-triggered, one-shot, RDHUP, nesting, closing a watched descriptor, timeouts. */
static void epoll(void) {
    int p[2], sv[2];
    pipe(p);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int lt = epoll_create1(EPOLL_CLOEXEC), et = epoll_create(1);
    struct epoll_event e = {0};
    e.events = EPOLLIN;
    e.data.u64 = 1;
    R(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &e));
    R(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &e));
    e.events = EPOLLIN | EPOLLET;
    e.data.u64 = 2;
    R(epoll_ctl(et, EPOLL_CTL_ADD, p[0], &e));
    e.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    e.data.u64 = 3;
    R(epoll_ctl(et, EPOLL_CTL_ADD, sv[0], &e));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ep_show(lt, 100, "lt empty");
    printf("waited %d\n", elapsed_ms(&t0) >= 90);
    write(p[1], "abc", 3);
    ep_show(lt, 0, "lt 1");
    ep_show(lt, 0, "lt 2");
    ep_show(et, 0, "et 1");
    ep_show(et, 50, "et 2 (same data)");
    char b[8];
    read(p[0], b, 1);
    ep_show(et, 0, "et after a partial read");
    write(p[1], "d", 1);
    ep_show(et, 0, "et new data");
    read(p[0], b, sizeof b);
    ep_show(lt, 0, "lt drained");
    /* a writer in another process wakes a blocked edge-triggered wait */
    if (fork() == 0) {
        usleep(50000);
        write(sv[1], "hi", 2);
        usleep(50000);
        close(sv[1]);
        _exit(0);
    }
    close(sv[1]);
    ep_show(et, 5000, "et woken by data");
    ep_show(et, 5000, "et woken by close");
    waitchild();
    /* one-shot */
    int os = epoll_create1(0);
    write(p[1], "x", 1);
    e.events = EPOLLIN | EPOLLONESHOT;
    e.data.u64 = 4;
    R(epoll_ctl(os, EPOLL_CTL_ADD, p[0], &e));
    ep_show(os, 0, "oneshot 1");
    ep_show(os, 0, "oneshot 2");
    R(epoll_ctl(os, EPOLL_CTL_MOD, p[0], &e));
    ep_show(os, 0, "oneshot rearmed");
    /* output readiness and a full pipe */
    int w = epoll_create1(0);
    e.events = EPOLLOUT;
    e.data.u64 = 5;
    R(epoll_ctl(w, EPOLL_CTL_ADD, p[1], &e));
    ep_show(w, 0, "pipe writable");
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char big[4096] = {0};
    while (write(p[1], big, sizeof big) > 0) {}
    ep_show(w, 0, "pipe full");
    /* nesting */
    int outer = epoll_create1(0);
    e.events = EPOLLIN;
    e.data.u64 = 6;
    R(epoll_ctl(outer, EPOLL_CTL_ADD, lt, &e));
    ep_show(outer, 0, "outer");
    R(epoll_ctl(lt, EPOLL_CTL_ADD, outer, &e));
    R(epoll_ctl(lt, EPOLL_CTL_ADD, lt, &e));
    /* chains of sets, built from the top and from the bottom: Linux bounds the depth both ways */
    int down[8], up[8];
    for (int i = 0; i < 8; i++) {
        down[i] = epoll_create1(0);
        up[i] = epoll_create1(0);
    }
    for (int i = 0; i < 7; i++) {
        int r = epoll_ctl(down[i], EPOLL_CTL_ADD, down[i + 1], &e);
        printf("chain from the top, level %d: %s\n", i, en(r < 0 ? errno : 0));
    }
    for (int i = 6; i >= 0; i--) {
        int r = epoll_ctl(up[i], EPOLL_CTL_ADD, up[i + 1], &e);
        printf("chain from the bottom, level %d: %s\n", i, en(r < 0 ? errno : 0));
    }
    /* a regular file cannot be watched */
    int f = open("/etc/passwd", O_RDONLY);
    R(epoll_ctl(lt, EPOLL_CTL_ADD, f, &e));
    R(epoll_ctl(lt, EPOLL_CTL_DEL, f, NULL));
    R(epoll_ctl(lt, EPOLL_CTL_MOD, sv[0], &e));
    R(epoll_ctl(lt, EPOLL_CTL_DEL, sv[0], NULL));
    R(epoll_ctl(f, EPOLL_CTL_ADD, p[0], &e));
    R(epoll_ctl(lt, 9, p[0], &e));
    /* closing the last descriptor of a watched file removes it; a dup keeps it */
    int q[2];
    pipe(q);
    e.events = EPOLLIN;
    e.data.u64 = 7;
    int c = epoll_create1(0);
    R(epoll_ctl(c, EPOLL_CTL_ADD, q[0], &e));
    int dup0 = dup(q[0]);
    close(q[0]);
    write(q[1], "z", 1);
    ep_show(c, 0, "closed but dup open");
    R(epoll_ctl(c, EPOLL_CTL_DEL, q[0], NULL));
    close(dup0);
    ep_show(c, 0, "last reference closed");
    R(epoll_ctl(c, EPOLL_CTL_ADD, sv[0], &e));
    ep_show(c, 0, "hung-up socket");
}

/* SCM_RIGHTS: a pipe's write end passed to a forked child over a socketpair. */
static void scm(void) {
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    if (fork() == 0) {
        char b[4];
        char ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {b, sizeof b};
        struct msghdr m = {0};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctl;
        m.msg_controllen = sizeof ctl;
        int n = recvmsg(sv[1], &m, 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        printf("child got %d bytes, cmsg %d level %d type %d\n", n, c != NULL, c ? c->cmsg_level : -1, c ? c->cmsg_type : -1);
        fflush(stdout);
        if (c) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            write(fd, "via passed fd", 13);
        }
        _exit(0);
    }
    char ctl[CMSG_SPACE(sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {"fd", 2};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    long sent = sendmsg(sv[0], &m, 0);
    close(p[1]);
    waitchild();   /* the child's lines first, whichever runs first */
    printf("sent %ld\n", sent);
    char b[32];
    int n = read(p[0], b, sizeof b);
    printf("parent read %.*s\n", n, b);
    R(read(p[0], b, sizeof b));
    iov.iov_len = 0;   /* files with no byte to travel with on a stream: dropped */
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    R(sendmsg(sv[0], &m, 0));
    R(recv(sv[1], b, sizeof b, MSG_DONTWAIT));
    iov.iov_len = 2;
    int bad = 999;
    memcpy(CMSG_DATA(c), &bad, sizeof(int));
    R(sendmsg(sv[0], &m, 0));
}

/* Hostile arguments: descriptors, sizes, pointers, address lengths; a host socket path. */
static void hostile(const char *hostpath) {
    int ep = epoll_create1(0), p[2];
    pipe(p);
    write(p[1], "x", 1);
    struct epoll_event e = {EPOLLIN};
    R(epoll_ctl(ep, EPOLL_CTL_ADD, 1 << 30, &e));
    R(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &e));
    R(syscall(233, ep, EPOLL_CTL_ADD, 0x100000003L, &e));
    R(epoll_ctl(1 << 20, EPOLL_CTL_ADD, p[0], &e));
    R(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8));
    R(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    struct epoll_event out[4];
    R(epoll_wait(ep, out, 0, 0));
    R(epoll_wait(ep, out, -1, 0));
    R(epoll_wait(ep, out, 0x7fffffff, 0));
    static struct epoll_event lots[4];
    R(epoll_wait(ep, lots, 0x7fffffff / 12, 0));
    R(epoll_wait(ep, (void *)0x10, 4, 0));
    R(epoll_wait(ep, (void *)0xffffffffffff0000UL, 4, 0));
    void *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    R(epoll_wait(ep, ro, 4, 0));
    R(epoll_wait(ep, out, 4, 0));
    R(epoll_wait(p[0], out, 4, 0));
    R(epoll_wait(-5, out, 4, 0));
    int lens[] = {0, 1, 2, 3, 110, 111, 128, 129, 200, -1};
    for (int i = 0; i < 10; i++) {
        struct sockaddr_un a[2];
        memset(a, 'A', sizeof a);
        a[0].sun_family = AF_UNIX;
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        errno = 0;
        int r = connect(s, (struct sockaddr *)a, lens[i]);
        int ce = errno;
        int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
        errno = 0;
        int r2 = bind(s2, (struct sockaddr *)a, lens[i]);
        printf("len %d: connect %d %s bind %d %s\n", lens[i], r, en(r < 0 ? ce : 0), r2, en(r2 < 0 ? errno : 0));
        close(s);
        close(s2);
    }
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un wrong = {AF_INET};
    strcpy(wrong.sun_path, "x");
    R(connect(s, (struct sockaddr *)&wrong, sizeof wrong));
    R(connect(s, (struct sockaddr *)8, 20));
    R(bind(s, (struct sockaddr *)8, 20));
    if (hostpath) {
        struct sockaddr_un a;
        socklen_t al = addr(&a, hostpath, 0);
        R(connect(s, (struct sockaddr *)&a, al));
        int d = socket(AF_UNIX, SOCK_DGRAM, 0);
        R(sendto(d, "x", 1, 0, (struct sockaddr *)&a, al));
        R(bind(s, (struct sockaddr *)&a, al));
    }
    struct rlimit rl = {1024, 1024};
    setrlimit(RLIMIT_NOFILE, &rl);
    int n = 0, sv[2];
    static int fds[2048];
    while (n < 2048 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
        fds[n++] = sv[0];
        fds[n++] = sv[1];
    }
    printf("flood stopped: %s, many %d\n", en(errno), n > 200);
    for (int i = 0; i < n; i++) close(fds[i]);
    R(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
}

/* SO_RCVTIMEO and SO_SNDTIMEO applied; MSG_DONTWAIT on a blocking socket. */
static void timeo(void) {
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct timeval tv = {0, 100000};
    R(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct timeval g; socklen_t gl = sizeof g;
    R(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &g, &gl));
    printf("timeo %ld.%06ld len %d\n", (long)g.tv_sec, (long)g.tv_usec, gl);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char b[8];
    R(recv(sv[0], b, sizeof b, 0));
    long ms = elapsed_ms(&t0);
    printf("waited about the timeout %d\n", ms >= 90 && ms < 2000);
    R(recv(sv[0], b, sizeof b, MSG_DONTWAIT));
    R(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    char *big = calloc(1, 1 << 20);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long sent = send(sv[1], big, 1 << 20, 0);
    ms = elapsed_ms(&t0);
    printf("partial send %d waited %d\n", sent > 0 && sent < (1 << 20), ms >= 90 && ms < 2000);
    R(send(sv[1], big, 1 << 20, 0));
}

/* Several processes blocked at once on one listener, one socket and one epoll set (shared after fork). */
static void shared(void) {
    struct sockaddr_un a;
    socklen_t al = addr(&a, "shared", 1);
    int s = socket(AF_UNIX, SOCK_STREAM, 0), sv[2], ep = epoll_create1(0), p[2];
    bind(s, (struct sockaddr *)&a, al);
    listen(s, 8);
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    pipe(p);
    struct epoll_event e = {EPOLLIN | EPOLLONESHOT};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            int c = accept(s, NULL, NULL);
            char b[16];
            int n = recv(sv[1], b, sizeof b, 0);
            struct epoll_event out;
            int k = epoll_wait(ep, &out, 1, 300);
            printf("child: accepted %d, got %d bytes, epoll %d\n", c >= 0, n, k);
            _exit(0);
        }
    }
    usleep(100000);   /* both children wait in accept now */
    for (int i = 0; i < 2; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        connect(c, (struct sockaddr *)&a, al);
    }
    send(sv[0], "one", 3, 0);
    send(sv[0], "two", 3, 0);
    write(p[1], "x", 1);   /* one-shot: exactly one of the two waiters sees it */
    waitchild();
    waitchild();
}

/* Several threads of one process blocked at once on one socket and one epoll set. */
static int t_sock, t_ep, t_got[3], t_events[3];
static void *t_wait(void *arg) {
    int i = (int)(long)arg;
    char b[16];
    t_got[i] = recv(t_sock, b, sizeof b, 0);
    struct epoll_event out;
    t_events[i] = epoll_wait(t_ep, &out, 1, 300);
    return NULL;
}

static void threads(void) {
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    pipe(p);
    t_sock = sv[1];
    t_ep = epoll_create1(0);
    struct epoll_event e = {EPOLLIN | EPOLLET};
    epoll_ctl(t_ep, EPOLL_CTL_ADD, p[0], &e);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, t_wait, (void *)(long)i);
    usleep(100000);   /* all three wait in recv now */
    for (int i = 0; i < 3; i++) send(sv[0], "abcd", 2 + i, 0);
    usleep(100000);   /* and in epoll_wait: one edge, one waiter */
    write(p[1], "x", 1);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    int seen[8] = {0}, events = 0;
    for (int i = 0; i < 3; i++) {
        if (t_got[i] >= 0 && t_got[i] < 8) seen[t_got[i]]++;
        events += t_events[i];
    }
    printf("threads got messages of 2, 3, 4 bytes: %d %d %d; epoll events %d\n", seen[2], seen[3], seen[4], events);
}

/* The Sentry's bounds (not Linux's: it collects cycles and counts watches per user): files in flight, epoll watches. */
static void caps(void) {
    int i, sv[2];
    char ctl[CMSG_SPACE(sizeof(int))];
    for (i = 0; i < 3000; i++) {
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        struct iovec iov = {"x", 1};
        struct msghdr m = {0};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctl;
        m.msg_controllen = sizeof ctl;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
        int r = sendmsg(sv[1], &m, 0);   /* sv[0] sent into its own inbox: a cycle once both are closed */
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        if (r < 0) { printf("in flight stopped at %d: %s\n", i, en(e)); break; }
    }
    if (i == 3000) printf("in flight never stopped\n");
    int ep = epoll_create1(0), total = 0, err = 0;
    struct epoll_event e = {EPOLLIN};
    for (int f = 0; f < 80 && !err; f++) {
        int p[2];
        pipe(p);
        close(p[1]);
        for (int fd = 100; fd < 1020; fd++) {
            dup2(p[0], fd);
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) { err = errno; break; }
            total++;
            close(fd);
        }
    }
    printf("watches stopped at %d: %s\n", total, en(err));
    R(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    R(write(sv[0], "ok", 2));
    char b[4];
    R(read(sv[1], b, sizeof b));
}

/*
 * Edge-triggered epoll against a writer in another thread, round after round: each write and each
 * close must be reported exactly once, with the state it made. A look that races the writer's
 * change, or a close announced to the reader in two steps, shows as a repeated or early event.
 * Rounds alternate spinning on a zero timeout (many looks while the writer acts) and blocking,
 * and a socketpair and a pipe.
 */
static int r_fd;        /* the end the writer thread writes into, then closes */
static int r_ctl[2];    /* its commands: 'w' write, 'c' close, 'q' quit */
static void *r_writer(void *arg) {
    char c;
    (void)arg;
    while (read(r_ctl[0], &c, 1) == 1 && c != 'q') {
        if (c == 'w') write(r_fd, "hi", 2);
        else close(r_fd);
    }
    return NULL;
}

/* The next event's bits within 5 s, spinning on epoll_wait(0) or blocking in it; 0 if none. */
static unsigned r_next(int ep, int spin) {
    struct epoll_event ev;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        if (epoll_wait(ep, &ev, 1, spin ? 0 : 5000) == 1) return ev.events;
    } while (spin && elapsed_ms(&t0) < 5000);
    return 0;
}

static void etrace(int rounds) {
    int good = 0;
    pthread_t t;
    pipe(r_ctl);
    pthread_create(&t, NULL, r_writer, NULL);
    for (int i = 0; i < rounds; i++) {
        int sv[2], sock = i % 4 < 2, spin = i % 2 == 0;
        if (sock) socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        else pipe(sv);
        r_fd = sv[1];
        int ep = epoll_create1(0);
        struct epoll_event e = {EPOLLIN | EPOLLRDHUP | EPOLLET}, ev;
        epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e);
        write(r_ctl[1], "w", 1);
        unsigned data = r_next(ep, spin);
        int again = epoll_wait(ep, &ev, 1, 0);
        write(r_ctl[1], "c", 1);
        unsigned end = r_next(ep, spin);
        int after = epoll_wait(ep, &ev, 1, 0);
        unsigned closed = sock ? EPOLLIN | EPOLLRDHUP | EPOLLHUP : EPOLLIN | EPOLLHUP;
        if (data == EPOLLIN && again == 0 && end == closed && after == 0) good++;
        else if (i - good < 5)
            printf("round %d (%s, %s): data %x, again %d, end %x, after %d\n", i, sock ? "socket" : "pipe",
                   spin ? "spinning" : "blocking", data, again, end, after);
        close(ep);
        close(sv[0]);
    }
    write(r_ctl[1], "q", 1);
    pthread_join(t, NULL);
    printf("edge-triggered rounds %d, each write and close reported once: %d\n", rounds, good);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "pair")) pair();
    else if (!strcmp(m, "dgram")) dgram();
    else if (!strcmp(m, "server")) server();
    else if (!strcmp(m, "epoll")) epoll();
    else if (!strcmp(m, "scm")) scm();
    else if (!strcmp(m, "hostile")) hostile(argc > 2 ? argv[2] : NULL);
    else if (!strcmp(m, "timeo")) timeo();
    else if (!strcmp(m, "caps")) caps();
    else if (!strcmp(m, "shared")) shared();
    else if (!strcmp(m, "threads")) threads();
    else if (!strcmp(m, "etrace")) etrace(argc > 2 ? atoi(argv[2]) : 1000);
    else { printf("modes: pair dgram server epoll scm hostile timeo\n"); return 2; }
    return 0;
}
