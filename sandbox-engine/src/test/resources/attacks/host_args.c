/* Arguments that reach host kernel code no program needs: socket families, a terminal ioctl that
 * types into the terminal, READ_IMPLIES_EXEC, prctl options. Prints what each call gave. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void report(const char *what, long r) {
    if (r < 0) {
        printf("%s: %s\n", what, strerror(errno));
    } else {
        printf("%s: ok\n", what);
    }
}

/* Whether the mapping at p is executable, from /proc/self/maps. */
static const char *mapping(void *p) {
    static char perms[8];
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    strcpy(perms, "?");
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char pr[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, pr) == 3 && (unsigned long) p >= lo && (unsigned long) p < hi) {
            strcpy(perms, pr);
        }
    }
    if (f) {
        fclose(f);
    }
    return perms;
}

int main(void) {
    report("AF_ALG", socket(38, SOCK_SEQPACKET, 0));
    report("AF_VSOCK", socket(40, SOCK_STREAM, 0));
    report("AF_PACKET", socket(17, SOCK_RAW, 0));
    report("AF_NETLINK", socket(16, SOCK_RAW, 0));
    report("AF_INET", socket(AF_INET, SOCK_STREAM, 0));
    report("AF_INET6", socket(AF_INET6, SOCK_DGRAM, 0));
    report("AF_UNIX", socket(AF_UNIX, SOCK_STREAM, 0));
    int sv[2];
    report("socketpair AF_UNIX", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int other[2];
    report("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, other));
    char c = 'x';
    report("TIOCSTI", ioctl(0, TIOCSTI, &c));
    int n = 0;
    report("FIONREAD", ioctl(sv[0], FIONREAD, &n));
    report("FIOCLEX", ioctl(sv[0], FIOCLEX));
    report("personality(READ_IMPLIES_EXEC)", personality(READ_IMPLIES_EXEC));
    printf("personality now: %#x\n", personality(0xffffffff));
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("PROT_READ mapping: %s\n", mapping(p));
    report("prctl(PR_SET_NAME)", prctl(PR_SET_NAME, "probe", 0, 0, 0));
    report("prctl(PR_SET_MM)", prctl(PR_SET_MM, PR_SET_MM_START_CODE, 0, 0, 0));
    report("prctl(PR_SET_SYSCALL_USER_DISPATCH)", prctl(59, 0, 0, 0, 0));
    return 0;
}
