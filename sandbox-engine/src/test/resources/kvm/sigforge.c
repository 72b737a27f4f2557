/* Hostile rt_sigreturn frames: each mode forges one and calls rt_sigreturn directly. Contained
 * means the task ends with SIGSEGV (or carries on in ring 3 without the forged privilege);
 * "ESCAPED" is printed only if a forged privilege took effect. Usage: sigforge MODE */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* rt_sigframe offsets: pretcode 0, ucontext 8 (mcontext at 48), uc_sigmask at 304 */
#define MC(i) (48 + 8 * (i))
#define RSP_SLOT MC(15)
#define RIP_SLOT MC(16)
#define FLAGS_SLOT MC(17)
#define CS_SLOT (48 + 144)
#define FPSTATE_SLOT (48 + 192)
#define MASK_SLOT 304

static uint8_t frame[1024] __attribute__((aligned(16)));
static uint8_t xsave[8192] __attribute__((aligned(64)));
static uint8_t stack[65536] __attribute__((aligned(16)));

static void put(int off, uint64_t v) { memcpy(frame + off, &v, 8); }

static void after_cli(void) {
    /* reached only if cli did not fault: the forged IOPL took effect */
    write(1, "ESCAPED\n", 8);
    _exit(0);
}

static void landed(void) {
    write(1, "resumed in ring 3\n", 18);
    _exit(7);
}

static void cli_then(void) {
    __asm__ volatile("cli");
    after_cli();
}

__attribute__((noreturn)) static void sigreturn_with(void *sp) {
    __asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" : : "r"(sp) : "memory");
    __builtin_unreachable();
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    memset(frame, 0, sizeof frame);
    put(RSP_SLOT, (uint64_t) (stack + sizeof stack - 8));
    put(RIP_SLOT, (uint64_t) landed);
    put(FLAGS_SLOT, 0x202);
    uint16_t ucs = 0x33, uss = 0x2b;   /* Linux's user selectors: a native run resumes with them */
    memcpy(frame + CS_SLOT, &ucs, 2);
    memcpy(frame + CS_SLOT + 6, &uss, 2);
    if (!strcmp(mode, "iopl")) {
        /* IOPL 3, TF, NT and a kernel code segment: none may reach the task */
        put(RIP_SLOT, (uint64_t) cli_then);
        put(FLAGS_SLOT, 0x3202 | 0x4000);
        uint16_t kcs = 0x08;
        memcpy(frame + CS_SLOT, &kcs, 2);
    } else if (!strcmp(mode, "kernel-rip")) {
        put(RIP_SLOT, 0xffffff8000004000ULL);
    } else if (!strcmp(mode, "noncanonical")) {
        put(RIP_SLOT, 0x0000900000000000ULL);
    } else if (!strcmp(mode, "bad-xsave")) {
        /* an XSAVE image with the magic numbers right and the header wrong (compacted format) */
        uint32_t m1 = 0x46505853, sz = 4096, ext = 4100, m2 = 0x46505845;
        memcpy(xsave + 464, &m1, 4);
        memcpy(xsave + 468, &ext, 4);
        memcpy(xsave + 480, &sz, 4);
        memcpy(xsave + 4096, &m2, 4);
        uint64_t bv = 3, comp = 0x8000000000000003ULL;
        memcpy(xsave + 512, &bv, 8);
        memcpy(xsave + 520, &comp, 8);
        put(FPSTATE_SLOT, (uint64_t) xsave);
    } else if (!strcmp(mode, "bad-mxcsr")) {
        uint32_t mxcsr = 0xffff1f80;   /* reserved bits: #GP if a kernel loaded it blindly */
        memcpy(xsave + 24, &mxcsr, 4);
        put(FPSTATE_SLOT, (uint64_t) xsave);
    } else if (!strcmp(mode, "fpstate-unmapped")) {
        put(FPSTATE_SLOT, 0x10000ULL);
    } else if (!strcmp(mode, "frame-unmapped")) {
        sigreturn_with((void *) 0x20008);
    } else if (!strcmp(mode, "mask-kill")) {
        /* SIGKILL and SIGSTOP in the restored mask stay unblockable; the task resumes normally */
        put(MASK_SLOT, ~0ULL);
    } else {
        fprintf(stderr, "unknown mode\n");
        return 2;
    }
    sigreturn_with(frame + 8);
}
