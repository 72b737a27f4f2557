// The floor for ingress-bench.sh: the least a connection-per-request hop into a sandbox can cost
// on this machine. It does only the kernel's part of what the ingress port does (accept on the
// host, a socket made in the sandbox's network namespace, connect, relay, close), with no HTTP
// parsing, headers, routing, limits or statistics; a request must fit in one buffer. Its threads
// are used as the ingress port uses its own: each accepts a connection and serves it itself; two
// wait in accept() and the others park, the most recently busy called first.
//
//   floor-proxy LISTEN_PORT SANDBOX_PID TARGET_PORT [THREADS]   (THREADS: 64, as the ingress port)
//
// Listens on 127.0.0.1:LISTEN_PORT in the host's namespace, then enters the namespace of
// SANDBOX_PID, so that every socket it makes after that reaches the sandbox's own 127.0.0.1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int listener;
static struct sockaddr_in target;

// as the hand-written ingress port did before Netty: a thread done with its connection goes back to accept() while fewer than two
// wait there, else parks; the thread that leaves accept() last calls the most recently parked one
struct waiter {
    pthread_cond_t called;
    int go;
    struct waiter *next;
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int accepting;
static struct waiter *parked;

static void left_accept(void) {
    pthread_mutex_lock(&lock);
    if (--accepting == 0 && parked) {
        struct waiter *w = parked;
        parked = w->next;
        w->go = 1;
        accepting++;
        pthread_cond_signal(&w->called);
    }
    pthread_mutex_unlock(&lock);
}

static void await_turn(struct waiter *me) {
    pthread_mutex_lock(&lock);
    if (accepting < 2) {
        accepting++;
    } else {
        me->go = 0;
        me->next = parked;
        parked = me;
        while (!me->go) pthread_cond_wait(&me->called, &lock);
    }
    pthread_mutex_unlock(&lock);
}

static int write_all(int fd, const char *b, ssize_t n) {
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        b += w;
        n -= w;
    }
    return 0;
}

static void *serve(void *unused) {
    (void) unused;
    const int one = 1, size = 64 * 1024;
    char *buf = malloc(size);
    struct waiter me = {.called = PTHREAD_COND_INITIALIZER};
    for (;; await_turn(&me)) {
        int client = accept(listener, NULL, NULL);
        left_accept();
        if (client < 0) continue;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ssize_t got = 0, n;
        while (got < size && (n = read(client, buf + got, size - got)) > 0) {   // the request's head
            got += n;
            if (memmem(buf, got, "\r\n\r\n", 4)) break;
        }
        int service = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(service, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (got > 0 && connect(service, (struct sockaddr *) &target, sizeof target) == 0
                && write_all(service, buf, got) == 0) {
            while ((n = read(service, buf, size)) > 0 && write_all(client, buf, n) == 0) {
            }
        }
        close(service);
        close(client);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: floor-proxy LISTEN_PORT SANDBOX_PID TARGET_PORT [THREADS]\n");
        return 2;
    }
    int threads = argc > 4 ? atoi(argv[4]) : 64, one = 1;
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    listener = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *) &at, sizeof at) || listen(listener, 128)) {
        perror("floor-proxy: listen");
        return 1;
    }
    char ns[64];
    snprintf(ns, sizeof ns, "/proc/%s/ns/net", argv[2]);
    int nsfd = open(ns, O_RDONLY);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {   // every thread made after this starts in it
        perror("floor-proxy: setns");
        return 1;
    }
    target = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(atoi(argv[3])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    pthread_t t;
    accepting = threads;   // every thread starts in accept(); the first ones back park
    for (int i = 1; i < threads; i++) pthread_create(&t, NULL, serve, NULL);
    serve(NULL);
}
