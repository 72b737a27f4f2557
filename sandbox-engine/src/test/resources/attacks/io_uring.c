#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void){ char p[120]={0}; long r = syscall(425, 8, p); printf("io_uring_setup: %ld %s\n", r, strerror(errno)); return r>=0; }
