/* Looks for the engine through /proc and tries to write another process's memory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) if (e->d_name[0] >= '0' && e->d_name[0] <= '9') n++;
    printf("processes visible: %d\n", n);
    int fd = open("/proc/self/mem", O_RDWR);
    printf("own mem: %s\n", fd >= 0 ? "ok" : strerror(errno));
    char root[256] = {0};
    ssize_t l = readlink("/proc/1/root", root, sizeof root - 1);
    printf("/proc/1/root -> %s\n", l >= 0 ? root : strerror(errno));
    l = readlink("/proc/self/root", root, sizeof root - 1);
    printf("/proc/self/root -> %s\n", l >= 0 ? root : strerror(errno));
    printf("/proc/self/root/../../work: %s\n", access("/proc/self/root/../../work", F_OK) == 0 ? "visible" : "absent");
    printf("/proc/1/root/work: %s\n", access("/proc/1/root/work", F_OK) == 0 ? "visible" : "absent");
    char buf[64];
    int sh = open("/proc/1/root/../../etc/shadow", O_RDONLY);
    printf("/proc/1/root/../../etc/shadow: %s\n", sh < 0 ? strerror(errno) : read(sh, buf, sizeof buf) > 0 ? "has content" : "empty");
    /* another process of the sandbox: its memory is reachable only within the sandbox's own uid and pid space */
    int m1 = open("/proc/1/mem", O_RDWR);
    printf("/proc/1/mem: %s\n", m1 >= 0 ? "opened" : strerror(errno));
    return 0;
}
