/* A static HTTP/1.0 server for the wake-up bench: listens on 127.0.0.1:argv[1], answers every
 * request with "hello\n" and closes. Built with musl-gcc -static so it needs nothing of an image. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 8000),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 64)) return 1;
    static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
    char buf[4096];
    for (;;) {
        int c = accept(s, 0, 0);
        if (c < 0) continue;
        read(c, buf, sizeof buf);
        write(c, reply, sizeof reply - 1);
        close(c);
    }
}
