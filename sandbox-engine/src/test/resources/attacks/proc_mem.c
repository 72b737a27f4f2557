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
    printf("/proc/1/root/work: %s\n", access("/proc/1/root/work", F_OK) == 0 ? "visible" : "absent");
    printf("/proc/1/root/../../etc/shadow: %s\n", access("/proc/1/root/../../etc/shadow", R_OK) == 0 ? "readable" : strerror(errno));
    return 0;
}
