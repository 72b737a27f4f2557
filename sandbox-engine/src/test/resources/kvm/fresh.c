/*
 * Does a sandbox start clean? Built with gcc -static -nostdlib (no libc: the first instruction
 * is ours). "dirty": fills registers (general, SSE), the stack, brk and mmap memory with a
 * pattern and exits with them dirty. "check": reports what it found at its first instruction
 * (registers other than rsp, rip, rflags) and whether fresh stack, brk and mmap memory hold
 * anything but zeros ("selftest": the same after filling that memory). KvmPlatformTest runs
 * "dirty" then "check" on the same vCPU thread.
 */
typedef unsigned long u64;
u64 regs[16];           /* rax rbx rcx rdx rsi rdi rbp r8..r15 (rsp left out) */
unsigned char xmm[16 * 16];
u64 fsbase;

__asm__(".globl _start\n_start:\n"
        "mov %rax, regs+0(%rip)\n mov %rbx, regs+8(%rip)\n mov %rcx, regs+16(%rip)\n mov %rdx, regs+24(%rip)\n"
        "mov %rsi, regs+32(%rip)\n mov %rdi, regs+40(%rip)\n mov %rbp, regs+48(%rip)\n mov %r8, regs+56(%rip)\n"
        "mov %r9, regs+64(%rip)\n mov %r10, regs+72(%rip)\n mov %r11, regs+80(%rip)\n mov %r12, regs+88(%rip)\n"
        "mov %r13, regs+96(%rip)\n mov %r14, regs+104(%rip)\n mov %r15, regs+112(%rip)\n"
        "movdqu %xmm0, xmm+0(%rip)\n movdqu %xmm1, xmm+16(%rip)\n movdqu %xmm2, xmm+32(%rip)\n movdqu %xmm3, xmm+48(%rip)\n"
        "movdqu %xmm4, xmm+64(%rip)\n movdqu %xmm5, xmm+80(%rip)\n movdqu %xmm6, xmm+96(%rip)\n movdqu %xmm7, xmm+112(%rip)\n"
        "movdqu %xmm8, xmm+128(%rip)\n movdqu %xmm9, xmm+144(%rip)\n movdqu %xmm10, xmm+160(%rip)\n movdqu %xmm11, xmm+176(%rip)\n"
        "movdqu %xmm12, xmm+192(%rip)\n movdqu %xmm13, xmm+208(%rip)\n movdqu %xmm14, xmm+224(%rip)\n movdqu %xmm15, xmm+240(%rip)\n"
        "mov %rsp, %rdi\n and $-16, %rsp\n call cmain\n ud2\n");

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long r;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return r;
}

static void say(const char *s) {
    long n = 0;
    while (s[n]) n++;
    sys6(1, 1, (long)s, n, 0, 0, 0);
}

static void say_num(const char *label, u64 v) {
    char b[64];
    int i = 0, j;
    while (label[i]) { b[i] = label[i]; i++; }
    char d[24];
    int k = 0;
    do { d[k++] = '0' + v % 10; v /= 10; } while (v);
    for (j = k - 1; j >= 0; j--) b[i++] = d[j];
    b[i++] = '\n';
    b[i] = 0;
    say(b);
}

#define PAT 0xA5A5A5A5A5A5A5A5UL
#define MAP_BYTES (16UL << 20)
#define BRK_BYTES (8UL << 20)

static u64 nonzero(volatile u64 *p, u64 words) {
    u64 n = 0;
    for (u64 i = 0; i < words; i++) n += p[i] != 0;
    return n;
}

void cmain(u64 *sp) {
    char *mode = (char *)sp[2];
    int dirty = mode && mode[0] == 'd';
    int self = mode && mode[0] == 's';   /* "selftest": dirty the memory, then scan it (the scan must see it) */
    u64 *map = (u64 *)sys6(9, 0, MAP_BYTES, 3, 0x22, -1, 0);
    u64 cur = sys6(12, 0, 0, 0, 0, 0, 0);
    u64 *brk = (u64 *)cur;
    sys6(12, cur + BRK_BYTES, 0, 0, 0, 0, 0);
    volatile u64 *stack = (volatile u64 *)((u64)sp - (2UL << 20));   /* below everything we use */
    u64 stackWords = (1UL << 20) / 8;
    if (dirty || self) {
        for (u64 i = 0; i < MAP_BYTES / 8; i++) map[i] = PAT;
        for (u64 i = 0; i < BRK_BYTES / 8; i++) brk[i] = PAT;
        for (u64 i = 0; i < stackWords; i++) stack[i] = PAT;
    }
    if (dirty) {
        sys6(158, 0x1002, PAT & 0x00007fffffffffffUL, 0, 0, 0, 0);   /* arch_prctl(ARCH_SET_FS) */
        __asm__ volatile("mov %0, %%rax\n movq %%rax, %%xmm0\n pshufd $0, %%xmm0, %%xmm0\n"
                         "movdqa %%xmm0, %%xmm1\n movdqa %%xmm0, %%xmm7\n movdqa %%xmm0, %%xmm15\n"
                         "mov %%rax, %%rbx\n mov %%rax, %%rbp\n mov %%rax, %%r12\n mov %%rax, %%r13\n"
                         "mov %%rax, %%r14\n mov %%rax, %%r15\n mov %%rax, %%rsi\n mov %%rax, %%r8\n"
                         "mov $231, %%eax\n xor %%edi, %%edi\n syscall\n"
                         :: "r"(PAT) : "rax", "rbx", "rbp", "r12", "r13", "r14", "r15", "rsi", "r8", "rdi", "xmm0", "xmm1", "xmm7", "xmm15", "memory");
    }
    u64 badRegs = 0, badXmm = 0;
    for (int i = 0; i < 15; i++) badRegs += regs[i] != 0;
    for (int i = 0; i < 256; i++) badXmm += xmm[i] != 0;
    sys6(158, 0x1003, (long)&fsbase, 0, 0, 0, 0);   /* arch_prctl(ARCH_GET_FS) */
    say_num("nonzero registers: ", badRegs);
    say_num("nonzero xmm bytes: ", badXmm);
    say_num("fs base: ", fsbase);
    say_num("nonzero mmap words: ", nonzero(map, MAP_BYTES / 8));
    say_num("nonzero brk words: ", nonzero(brk, BRK_BYTES / 8));
    say_num("nonzero stack words: ", nonzero(stack, stackWords));
    sys6(231, 0, 0, 0, 0, 0, 0);
}
