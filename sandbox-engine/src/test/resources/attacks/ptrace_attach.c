#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <stdlib.h>
int main(int c, char**v){ int pid = c>1?atoi(v[1]):1; long r = ptrace(PTRACE_ATTACH, pid, 0, 0); printf("attach %d: %ld %s\n", pid, r, strerror(errno)); return r==0; }
