/*
 * A tiny single-threaded HTTP server, built static: the service test program for the KVM
 * platform (KvmServiceTest). tinyhttp PORT [FAMILY]: listens on PORT (4 or 6), says so on
 * stdout, then answers each request with its number and request line, until GET /quit
 * (waiting with poll and read for odd requests, with select and recv for even ones).
 * With "probe [HOST_PORT PEER_PORT]" it tries what a sandbox must not do (connect out, to a host
 * listener, to another sandbox's port; other families; foreign binds) and prints the errno values
 * (numbers: the same under glibc and musl, whose messages differ).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *err(int r) {
    static char b[32];
    if (r >= 0) return "ok";
    snprintf(b, sizeof b, "errno %d", errno);
    return b;
}

static void try_connect(const char *what, const char *ip, int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    printf("%s: %s\n", what, err(r));
    close(s);
}

static int probe(int hostPort, int peerPort) {
    try_connect("connect 1.1.1.1:80", "1.1.1.1", 80);
    try_connect("connect 127.0.0.1:22", "127.0.0.1", 22);
    try_connect("connect to a host listener", "127.0.0.1", hostPort);
    try_connect("connect to another sandbox's port", "127.0.0.1", peerPort);
    printf("netlink socket: %s\n", err(socket(AF_NETLINK, SOCK_RAW, 0)));
    printf("udp socket: %s\n", err(socket(AF_INET, SOCK_DGRAM, 0)));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
    inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
    printf("bind 10.0.0.1: %s\n", err(bind(s, (struct sockaddr *)&a, sizeof a)));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    printf("bind 127.0.0.1:8080: %s\n", err(bind(s, (struct sockaddr *)&a, sizeof a)));
    int t = socket(AF_INET, SOCK_STREAM, 0);
    printf("bind again: %s\n", err(bind(t, (struct sockaddr *)&a, sizeof a)));
    printf("listen: %s\n", err(listen(s, 4)));
    fcntl(s, F_SETFL, O_NONBLOCK);
    printf("accept nonblocking: %s\n", err(accept(s, 0, 0)));
    char b[1];
    printf("read unconnected: %s\n", err(read(t, b, 1)));
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "probe") == 0) return probe(argc > 2 ? atoi(argv[2]) : 1, argc > 3 ? atoi(argv[3]) : 1);
    int port = argc > 1 ? atoi(argv[1]) : 8000;
    int six = argc > 2 && strcmp(argv[2], "6") == 0;
    int s = socket(six ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) { printf("socket: %s\n", strerror(errno)); return 1; }
    int one = 1;
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) { printf("setsockopt: %s\n", strerror(errno)); return 1; }
    int r;
    if (six) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
        r = bind(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
        r = bind(s, (struct sockaddr *)&a, sizeof a);
    }
    if (r < 0 || listen(s, 64) < 0) { printf("bind/listen: %s\n", strerror(errno)); return 1; }
    struct sockaddr_storage me; socklen_t mel = sizeof me;
    getsockname(s, (struct sockaddr *)&me, &mel);
    int bound = ntohs(((struct sockaddr_in *)&me)->sin_port);   /* same offset in sockaddr_in6 */
    printf("listening on %d\n", bound);
    fflush(stdout);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) { printf("epoll_ctl: %s\n", strerror(errno)); return 1; }
    for (int n = 1;; n++) {
        if (n % 3 == 0) {   /* every third request waits with epoll, for the listener and then the connection */
            struct epoll_event got;
            if (epoll_wait(ep, &got, 1, -1) != 1 || got.data.fd != s || !(got.events & EPOLLIN)) { printf("epoll_wait: %s\n", strerror(errno)); return 1; }
        } else if (n % 2) {   /* other odd requests wait with poll, even ones with select */
            struct pollfd p = {.fd = s, .events = POLLIN};
            if (poll(&p, 1, -1) != 1 || !(p.revents & POLLIN)) { printf("poll: %s\n", strerror(errno)); return 1; }
        } else {
            fd_set r; FD_ZERO(&r); FD_SET(s, &r);
            if (select(s + 1, &r, 0, 0, 0) != 1 || !FD_ISSET(s, &r)) { printf("select: %s\n", strerror(errno)); return 1; }
        }
        struct sockaddr_storage peer; socklen_t pl = sizeof peer;
        int c = accept4(s, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
        if (c < 0) { printf("accept: %s\n", strerror(errno)); return 1; }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (n % 3 == 0) {   /* an edge-triggered set of its own for the connection */
            int cep = epoll_create1(0);
            struct epoll_event cev = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = c}, got;
            if (epoll_ctl(cep, EPOLL_CTL_ADD, c, &cev) < 0 || epoll_wait(cep, &got, 1, 10000) != 1 || got.data.fd != c) {
                printf("epoll on the connection: %s\n", strerror(errno)); return 1;
            }
            close(cep);
        }
        struct timeval tmo = {.tv_sec = 1};   /* a silent client gets an answer to an empty request */
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
        char req[8192]; size_t got = 0;
        char peek[8]; ssize_t peeked = 0;
        while (got < sizeof req - 1) {
            if (n % 2 == 0) {
                fd_set r; FD_ZERO(&r); FD_SET(c, &r);
                struct timeval tv = {.tv_sec = 10};
                if (select(c + 1, &r, 0, 0, &tv) != 1) { printf("select on the connection: %s\n", strerror(errno)); return 1; }
                if (got == 0) {   /* even requests look at their first bytes before reading them */
                    peeked = recv(c, peek, sizeof peek, MSG_PEEK);
                    if (peeked <= 0) { printf("peek: %s\n", strerror(errno)); return 1; }
                }
            }
            ssize_t k = n % 2 ? read(c, req + got, sizeof req - 1 - got) : recv(c, req + got, sizeof req - 1 - got, 0);
            if (k <= 0) break;
            got += k; req[got] = 0;
            if (strstr(req, "\r\n\r\n")) break;
        }
        req[got] = 0;
        if (peeked > 0 && (got < (size_t)peeked || memcmp(peek, req, peeked) != 0)) { printf("peeked bytes differ\n"); return 1; }
        char *eol = strstr(req, "\r\n");
        if (eol) *eol = 0;
        char body[8400];
        int bl = snprintf(body, sizeof body, "request %d: %s\n", n, req);
        char head[128];
        int hl = snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", bl);
        struct iovec v[2] = {{head, hl}, {body, bl}};
        if (writev(c, v, 2) != hl + bl) { printf("writev: %s\n", strerror(errno)); return 1; }
        shutdown(c, SHUT_WR);
        close(c);
        if (strncmp(req, "GET /quit", 9) == 0) { printf("served %d\n", n); return 0; }
    }
}
