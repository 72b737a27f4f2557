#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void){ long r = syscall(0x40000000 | 39); printf("survived %ld\n", r); return 0; }
