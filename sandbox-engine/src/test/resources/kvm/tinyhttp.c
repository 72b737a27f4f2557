/* A tiny HTTP server, built static: the service test program for the KVM platform (KvmServiceTest). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) { printf("socket: %s\n", strerror(errno)); return 1; }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8000), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) { printf("bind/listen: %s\n", strerror(errno)); return 1; }
    for (;;) {
        int c = accept(s, 0, 0);
        if (c < 0) continue;
        char buf[4096]; read(c, buf, sizeof buf);
        const char *r = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello from C";
        write(c, r, strlen(r)); close(c);
    }
}
