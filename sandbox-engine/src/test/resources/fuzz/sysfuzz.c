/*
 * sysfuzz: a seeded system call fuzzer for the sandbox engine (SyscallFuzzTest).
 *
 * Usage: sysfuzz SEED CALLS NUMBERS [probes]
 *   SEED     decimal; the whole run is a function of it (printed first)
 *   CALLS    how many calls to make (random calls and probes together)
 *   NUMBERS  comma-separated syscall numbers to draw from (the engine's table)
 *   probes   run only the deterministic probes (for the native reference run);
 *            verbose: print each random call on stderr before making it
 *
 * Every index i of the run is either a probe (a small deterministic script whose result does not
 * depend on what the random calls did: a bad fd, a bad pointer, a hostile size on a fresh pipe)
 * or a random call with hostile arguments. Probes print "P i kind nr result mode"; the test runs
 * the same seed natively in "probes" mode and compares. Batches of BATCH indices run in a forked
 * child where fork works (a random call may still kill it: the parent notes "L batch status" and
 * goes on) and in the process itself where it does not (the KVM platform).
 *
 * Freestanding (no libc): raw syscalls, no TLS, no heap, so that no hostile call can break a
 * library under the fuzzer. Build: cc -static -nostdlib -fno-stack-protector -O2.
 */
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;

#define BATCH 1000
#define PAGE 4096UL
/* The arena: 8 pages at a fixed address with nothing else for 4 GiB above it. */
#define ARENA 0x100000000000UL
#define A_ZERO (ARENA)                 /* RW, zeros (random calls dirty it) */
#define A_VALS (ARENA + 1 * PAGE)      /* RW, interesting 64-bit values */
#define A_PATHS (ARENA + 2 * PAGE)     /* RW, path strings */
#define A_TMO (ARENA + 3 * PAGE)       /* RO, zeros: timeouts, never a sleep */
#define A_LAST (ARENA + 4 * PAGE)      /* RW; the next page is unmapped */
#define A_GUARD (ARENA + 5 * PAGE)     /* unmapped */
#define ARENA_PAGES 5
#define WINDOW (16 * PAGE)
#define KERNEL_PTR 0xffff888000000000UL
#define NONCANON 0x0000800000000000UL
#define NONCANON2 0xdead000000000000UL

#define POOL_BASE 10
#define POOL_N 8
#define CLOSED_FD 300

static inline i64 sc(i64 n, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f) {
    register u64 r10 __asm__("r10") = d;
    register u64 r8 __asm__("r8") = e;
    register u64 r9 __asm__("r9") = f;
    i64 ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define S0(n) sc(n, 0, 0, 0, 0, 0, 0)
#define S1(n, a) sc(n, (u64)(a), 0, 0, 0, 0, 0)
#define S2(n, a, b) sc(n, (u64)(a), (u64)(b), 0, 0, 0, 0)
#define S3(n, a, b, c) sc(n, (u64)(a), (u64)(b), (u64)(c), 0, 0, 0)
#define S4(n, a, b, c, d) sc(n, (u64)(a), (u64)(b), (u64)(c), (u64)(d), 0, 0)
#define S6(n, a, b, c, d, e, f) sc(n, (u64)(a), (u64)(b), (u64)(c), (u64)(d), (u64)(e), (u64)(f))

void *memset(void *d, int c, u64 n) {
    volatile unsigned char *p = d;
    while (n--) *p++ = (unsigned char)c;
    return d;
}
void *memcpy(void *d, const void *s, u64 n) {
    volatile unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) *p++ = *q++;
    return d;
}

__asm__(".globl _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call fuzz_main\n"
        " mov %eax,%edi\n mov $231,%eax\n syscall\n ud2\n");

/* ------------------------------------------------------------------ output */

static char out[1 << 16];
static u32 outn;

static void flush(void) {
    u32 off = 0;
    while (off < outn) {
        i64 n = S3(1, 1, out + off, outn - off);
        if (n <= 0) break;
        off += (u32)n;
    }
    outn = 0;
}
static void puts_(const char *s) {
    while (*s) {
        if (outn == sizeof out) flush();
        out[outn++] = *s++;
    }
}
static void putl(i64 v) {
    char b[24];
    int i = 23;
    u64 u = v < 0 ? -(u64)v : (u64)v;
    b[i] = 0;
    do { b[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) b[--i] = '-';
    puts_(b + i);
}

/* ------------------------------------------------------------------ randomness */

static u64 mix(u64 z) {
    z += 0x9e3779b97f4a7c15UL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return z ^ (z >> 31);
}
static u64 rs;  /* random stream of the current batch */
static u64 rnd(void) { return mix(rs++); }
static u64 below(u64 n) { return n ? rnd() % n : 0; }
static u64 pick(const u64 *v, u64 n) { return v[below(n)]; }
#define PICK(a) pick(a, sizeof(a) / sizeof(a[0]))

/* ------------------------------------------------------------------ argument classes */

static const u64 SIZES[] = {0, 1, 2, 7, 8, 16, 64, 4095, 4096, 4097, 65536, 0x7fffffffUL, 0x80000000UL,
                            0x100000000UL, 0x7fffffffffffffffUL, 0x8000000000000000UL, ~0UL, ~0UL - 4095};
/* Lengths for calls that create mappings: small, or large enough that they cannot succeed. */
static const u64 MAP_LENS[] = {0, 1, 4096, 8192, 3 * 4096, 8 * 4096, 1UL << 47, 0x8000000000000000UL, ~0UL, ~0UL - 4095};
static const u64 OFFSETS[] = {0, 1, 4096, ~0UL, 0x8000000000000000UL, 0x7fffffffffffffffUL, 0x80000000UL, 0x100000000UL, 512};
static const u64 BAD_PTRS[] = {0, A_GUARD, KERNEL_PTR, NONCANON, NONCANON2, ~0UL, ~0UL - 4095, 0x1000};
static const u64 INTS[] = {0, 1, 2, 3, 4, 5, 8, 16, 64, 255, 256, 1024, ~0UL, 0xffffffffUL, 0x7fffffffUL, 0x80000000UL, 0x8000000000000000UL};
static const u64 UIDS[] = {0, 1000, 65534, ~0UL, 0xffffffffUL, 12345};
/* (not 0x100000000: Linux reads fds as 32-bit, so that is fd 0, and closing it lets a blocking fd take its place) */
static const u64 BAD_FDS[] = {~0UL, 0x7fffffffUL, 1UL << 20, CLOSED_FD, (u64)-100L, 0x80000000UL};

static u64 ptr(void) {
    switch (below(12)) {
        case 0: return A_ZERO + below(64) * 8;
        case 1: return A_VALS + below(64) * 8;
        case 2: return A_PATHS + below(16) * 256;
        case 3: return A_TMO;
        case 4: return A_LAST + PAGE - 1 - below(8);
        case 5: return A_LAST;
        case 6: return ARENA + below(ARENA_PAGES) * PAGE + 1 + below(4000);
        default: return PICK(BAD_PTRS);
    }
}
static u64 path(void) { return below(4) ? A_PATHS + below(16) * 256 : ptr(); }
static u64 size_(void) { return below(3) ? PICK(SIZES) : below(3) ? below(256) : rnd(); }
static u64 flags(void) {
    switch (below(5)) {
        case 0: return 0;
        case 1: return 1UL << below(32);
        case 2: return rnd() & 0xffffffffUL;
        case 3: return rnd();
        default: return (1UL << below(32)) | (1UL << below(32));
    }
}
static u64 integer(void) { return below(3) ? PICK(INTS) : below(2) ? below(64) : rnd(); }
static u64 fd(void) { return below(5) ? POOL_BASE + below(POOL_N) : PICK(BAD_FDS); }
static u64 dirfd(void) { return below(2) ? (u64)-100L : fd(); }
static u64 timeout_ptr(void) { return below(6) ? A_TMO : pick(BAD_PTRS + 1, sizeof BAD_PTRS / sizeof BAD_PTRS[0] - 1) /* never NULL: NULL is "forever" */; }
static u64 bad_ptr(void) { return PICK(BAD_PTRS); }
static i64 self_pid, parent_pid;
static u64 pid(void) {
    u64 v[] = {0, 1, ~0UL, (u64)self_pid, (u64)parent_pid, 0x7fffffffUL, 0x80000000UL, 2, 99999};
    return below(4) ? PICK(v) : rnd();
}
/* An address for calls that change mappings: inside the arena's window, or one that cannot work. */
static u64 maddr(void) {
    switch (below(6)) {
        case 0: case 1: case 2: return ARENA + below(8) * PAGE;
        case 3: return ARENA + below(8) * PAGE + 1 + below(4095);
        default: { u64 v[] = {KERNEL_PTR, NONCANON, ~0UL - 4095, 1UL << 47, (1UL << 47) - 4096}; return PICK(v); }
    }
}
static int in_window(u64 a) { return a >= ARENA && a < ARENA + WINDOW; }
/* Lengths for calls that work on existing mappings (never past the window unless they cannot succeed). */
static u64 mlen(void) {
    u64 v[] = {0, 1, 4096, 8192, 5 * 4096, 8 * 4096, 0x80000000UL, 0x100000000UL, ~0UL, 0x8000000000000000UL, ~0UL - 4095};
    return PICK(v);
}

/*
 * Per-call argument kinds: f fd, d dirfd, p pointer, s path, n size, N mapping length, l flags,
 * i integer, o offset, t timeout pointer (never NULL), z zero, a mapping address, m range length,
 * P pid, u uid, Q bad pointer only (a new rlimit), S a signal the fuzzer does not rely on.
 * Calls not listed get "xxxxxx": any of the classes above except the mapping ones.
 */
static const char *SIG[600] = {
    [0] = "fpn", [1] = "fpn", [2] = "sli", [3] = "f", [4] = "sp", [5] = "fp", [6] = "sp", [7] = "pnz", [8] = "foi",
    [10] = "ami", [11] = "am", [13] = "Sppn", [14] = "ippn", [16] = "fip", [17] = "fpno", [18] = "fpno",
    [19] = "fpn", [20] = "fpn", [21] = "si", [22] = "p", [23] = "ipppt", [24] = "", [26] = "aml", [27] = "amp",
    [28] = "ami", [29] = "inl", [31] = "iip", [32] = "f", [33] = "ff", [35] = "tp", [36] = "ip", [39] = "",
    [40] = "ffpn", [41] = "iii", [42] = "fpn", [43] = "fpp", [44] = "fpnlpn", [45] = "fpnlpp", [46] = "fpl",
    [47] = "fpl", [48] = "fi", [49] = "fpn", [50] = "fi", [51] = "fpp", [52] = "fpp", [53] = "iiip",
    [54] = "fiipn", [55] = "fiipp", [61] = "Ppip", [62] = "Pz", [63] = "p", [64] = "iil", [66] = "iiip",
    [67] = "a", [68] = "il", [72] = "fil", [69] = "ipnl", [70] = "ipnil", [71] = "iip", [73] = "fl", [74] = "f", [75] = "f",
    [76] = "so", [77] = "fo", [78] = "fpn", [79] = "pn", [80] = "s", [81] = "f", [82] = "ss", [83] = "si",
    [84] = "s", [85] = "si", [86] = "ss", [87] = "s", [88] = "ss", [89] = "spn", [90] = "si", [91] = "fi",
    [92] = "suu", [93] = "fuu", [94] = "suu", [95] = "i", [96] = "pp", [97] = "ip", [98] = "ip", [99] = "p",
    [100] = "p", [105] = "u", [106] = "u", [109] = "PP", [112] = "", [113] = "uu", [114] = "uu", [115] = "ip",
    [116] = "ip", [117] = "uuu", [118] = "ppp", [119] = "uuu", [120] = "ppp", [121] = "P", [122] = "u",
    [123] = "u", [124] = "P", [125] = "pp", [126] = "pp", [127] = "pn", [128] = "pptn", [129] = "Pzp",
    [131] = "pp", [132] = "sp", [133] = "sii", [135] = "l", [136] = "ip", [137] = "sp", [138] = "fp",
    [139] = "ipp", [140] = "iP", [142] = "Pp", [143] = "Pp", [145] = "P", [146] = "i", [147] = "i",
    [148] = "Pp", [149] = "am", [150] = "am", [151] = "l", [160] = "iQ", [162] = "", [187] = "fon",
    [188] = "sspnl", [189] = "sspnl", [190] = "fspnl", [191] = "sspn", [192] = "sspn", [193] = "fspn",
    [194] = "spn", [195] = "spn", [196] = "fpn", [197] = "ss", [198] = "ss", [199] = "fs", [200] = "Pz",
    [201] = "p", [202] = "pitpi", [203] = "Pnp", [204] = "Pnp", [206] = "ip", [207] = "l", [208] = "liipt",
    [209] = "lip", [210] = "ppp", [213] = "i", [216] = "amilz", [217] = "fpn", [218] = "p", [220] = "ipnt",
    [221] = "fonl", [222] = "ipp", [224] = "lp", [225] = "l", [226] = "l", [228] = "ip", [229] = "ip",
    [230] = "iltp", [232] = "fpiz", [233] = "fifp", [234] = "PPz", [235] = "sp", [237] = "amlpnl",
    [238] = "ipn", [239] = "ppnal", [240] = "slip", [241] = "s", [242] = "fpnit", [243] = "fpnpt",
    [244] = "fp", [245] = "fpp", [247] = "iPplp", [251] = "iPi", [252] = "iP", [253] = "", [254] = "fsl",
    [255] = "fi", [256] = "Pnpp", [257] = "dsli", [258] = "dsi", [259] = "dsii", [260] = "dsuul",
    [261] = "dsp", [262] = "dspl", [263] = "dsl", [264] = "dsds", [265] = "dsdsl", [266] = "sds",
    [267] = "dspn", [268] = "dsi", [269] = "dsi", [270] = "ippptp", [271] = "pntpn", [273] = "pn",
    [274] = "Ppp", [275] = "fpfpnl", [276] = "ffnl", [277] = "fool", [278] = "fpnl", [279] = "Pnpppl",
    [280] = "dspl", [281] = "fpizpn", [282] = "fpn", [283] = "il", [284] = "i", [285] = "fioo",
    [286] = "flpp", [287] = "fp", [288] = "fppl", [289] = "fpnl", [290] = "il", [291] = "l", [292] = "ffl",
    [293] = "pl", [294] = "l", [295] = "fpnoo", [296] = "fpnoo", [297] = "PPzp", [299] = "fpnlt",
    [301] = "fllds", [302] = "PiQp", [306] = "f", [307] = "fpnl", [309] = "ppp", [315] = "Ppnl",
    [316] = "dsdsl", [318] = "pnl", [319] = "sl", [324] = "lli", [325] = "aml", [326] = "fpfpnl",
    [327] = "fpnool", [328] = "fpnool", [329] = "amii", [330] = "ll", [331] = "i", [332] = "dsllp",
    [333] = "liiptp", [434] = "Pl", [437] = "dspn", [439] = "dsil", [441] = "fpitpn", [444] = "pnl",
    [445] = "fipl", [446] = "fl", [448] = "fl", [449] = "pnlti", [450] = "amnl", [451] = "fppl",
    [452] = "dsil", [454] = "pnil", [455] = "pnilti", [456] = "plii", [457] = "ppnl", [458] = "ppnl",
    [459] = "ippl", [461] = "ppl", [462] = "aml",
};

/* Calls that would simply end or stall the fuzzer, or make it stall later: never made at random. */
static int blocked(u64 nr) {
    switch (nr) {
        case 15:  /* rt_sigreturn */
        case 34:  /* pause */
        case 37: case 38: case 223:  /* alarm, setitimer, timer_settime: a signal that ends us */
        case 56: case 57: case 58: case 435:  /* clone, fork, vfork, clone3 */
        case 59: case 322:  /* execve, execveat */
        case 60: case 231:  /* exit, exit_group */
        case 65:  /* semop: no timeout */
        case 101:  /* ptrace */
        case 130:  /* rt_sigsuspend */
        case 141: case 144: case 314:  /* setpriority, sched_setscheduler, sched_setattr: would slow CI */
        case 317:  /* seccomp */
        case 334:  /* rseq */
        case 335: case 336:  /* uretprobe, uprobe: SIGILL unless called from a probe trampoline (seccomp lets them by) */
        case 424:  /* pidfd_send_signal */
            return 1;
    }
    return 0;
}

static u64 arg(char k) {
    switch (k) {
        case 'f': return fd();
        case 'd': return dirfd();
        case 'p': return ptr();
        case 's': return path();
        case 'n': return size_();
        case 'N': return PICK(MAP_LENS);
        case 'l': return flags();
        case 'i': return integer();
        case 'o': return below(2) ? PICK(OFFSETS) : rnd();
        case 't': return timeout_ptr();
        case 'z': return 0;
        case 'a': return maddr();
        case 'm': return mlen();
        case 'P': return pid();
        case 'u': return below(4) ? PICK(UIDS) : rnd();
        case 'Q': return bad_ptr();
        case 'S': {
            u64 v[] = {10, 12, 17, 23, 28, 0, 65, ~0UL, 9, 19, 34, 64, 0x80000000UL};
            return PICK(v);
        }
        default:
            switch (below(6)) {
                case 0: return fd();
                case 1: return ptr();
                case 2: { u64 v = PICK(SIZES); return v > 2 ? v : below(256) + 3; }   /* never 0-2: our stdio */
                case 3: return flags();
                case 4: return path();
                default: return rnd();
            }
    }
}

/* ------------------------------------------------------------------ setup */

static const char *PATHS[16] = {
    "/tmp/fz/a", "/tmp/fz/b", "/tmp/fz/d", "/tmp/fz/l", "/canary/c", "/canary", ".", "..",
    "/", "", "/dev/null", "/proc/self/exe", "/etc/passwd", "/tmp/fz/../../../../../../etc", "/workspace/w", "/tmp/fz/d/x",
};
static const u64 VALS[] = {0, 1, 4096, ~0UL, 0x7fffffffffffffffUL, 0x8000000000000000UL, 0x80000000UL, A_ZERO, A_LAST + 4095,
                           A_GUARD, KERNEL_PTR, NONCANON, A_TMO, 1000000000, 999999999, 0xffffffffUL, 64, 16};

static u64 setup_calls;
static int verbose;

static void arena(void) {
    setup_calls += 5;
    S2(11, ARENA, WINDOW);
    if (S6(9, ARENA, ARENA_PAGES * PAGE, 3, 0x22 | 0x10, ~0UL, 0) != (i64)ARENA) {
        puts_("E arena mmap failed\n");
        flush();
        S1(231, 3);
    }
    u64 *v = (u64 *)A_VALS;
    for (u64 i = 0; i < PAGE / 8; i++) {
        v[i] = VALS[(i * 7 + i / 5) % (sizeof VALS / sizeof VALS[0])];
    }
    for (int i = 0; i < 16; i++) {
        const char *s = PATHS[i];
        char *d = (char *)(A_PATHS + i * 256);
        while ((*d++ = *s++)) {
        }
    }
    /* a path with no NUL before the end of its mapping */
    memset((char *)(A_LAST + PAGE - 64), 'a', 64);
    S3(10, A_TMO, PAGE, 1);
    S2(11, A_GUARD, PAGE);
    if (S4(13, 0, 0, 0, 8) != -22) {   /* (checked: rt_sigaction(0) is EINVAL) */
    }
}

static void hex(char *to, u64 v) {
    for (int sh = 60, n = 0; sh >= 0; sh -= 4) to[n++] = "0123456789abcdef"[(v >> sh) & 15];
}

/* verbose: a fault in a batch says where it was (address, instruction) before the batch ends */
static void on_fault(int sig, u64 *info, u64 *uc) {
    char line[64] = "F addr ................ rip ................\n";
    hex(line + 7, info[2]);
    hex(line + 28, uc[5 + 16]);
    S3(1, 2, line, 45);
    S1(231, 128 + sig);
}

static const int IGNORED[] = {1, 2, 3, 13, 14, 15, 20, 21, 22, 24, 25, 26, 27, 29, 30, 31};

static void pool(void) {
    /* The fds random calls get: each at a fixed number, non-blocking where that matters. */
    for (int i = 0; i < POOL_N; i++) S1(3, POOL_BASE + i);
    S1(3, CLOSED_FD);
    S2(83, "/tmp/fz", 0755);
    S2(83, "/tmp/fz/d", 0755);
    S2(88, "/tmp/fz/a", "/tmp/fz/l");
    i64 fds[POOL_N];
    int p[2] = {-1, -1};
    S2(293, p, 04000 | 02000000);
    fds[0] = p[0];
    fds[1] = p[1];
    fds[2] = S4(257, -100, "/dev/null", 2, 0);
    fds[3] = S4(257, -100, "/tmp/fz/a", 2 | 0100, 0644);
    fds[4] = S4(257, -100, "/tmp", 0200000, 0);
    fds[5] = S3(41, 2, 1 | 04000, 0);
    fds[6] = S4(257, -100, "/dev/zero", 0, 0);
    fds[7] = S4(257, -100, "/canary/c", 0, 0);
    setup_calls += 4 + POOL_N * 3 + 3;
    for (int i = 0; i < POOL_N; i++) {
        if (fds[i] >= 0) {
            S2(33, fds[i], POOL_BASE + i);
            S1(3, fds[i]);
        }
    }
    if (verbose) {
        static char altstack[16384];
        u64 ss[3] = {(u64)altstack, 0, sizeof altstack};
        S2(131, ss, 0);
        u64 act[4] = {(u64)on_fault, 0x04000000 | 0x08000000 | 4 /* RESTORER | ONSTACK | SIGINFO */, (u64)on_fault, 0};
        S4(13, 11, act, 0, 8);
        S4(13, 7, act, 0, 8);
    }
    for (int s = 0; s < (int)(sizeof IGNORED / sizeof IGNORED[0]); s++) {
        u64 act[4] = {1, 0x04000000 /* SA_RESTORER */, 0, 0};
        S4(13, IGNORED[s], act, 0, 8);
        setup_calls++;
    }
}

static int is_pool(i64 f) { return f >= POOL_BASE && f < POOL_BASE + POOL_N; }

/* ------------------------------------------------------------------ random calls */

static u64 *numbers;
static u64 nnumbers;
static u64 random_calls, fd_closes, arena_resets;

static void close_new(i64 r) {
    if (r > 2 && r < (1 << 20) && !is_pool(r)) {
        S1(3, r);
        fd_closes++;
    }
}

static void random_call(void) {
    u64 nr;
    do {
        nr = numbers[below(nnumbers)];
    } while (blocked(nr));
    u64 a[6];
    const char *sig = nr < 600 && SIG[nr] ? SIG[nr] : "xxxxxx";
    for (int i = 0; i < 6; i++) {
        a[i] = *sig ? arg(*sig++) : (below(4) ? 0 : arg('x'));
    }
    int remap = 0;
    switch (nr) {
        case 9: {   /* mmap: MAP_FIXED only inside the window */
            a[0] = below(3) ? 0 : below(2) ? maddr() : rnd();
            a[1] = PICK(MAP_LENS);
            a[2] = below(4) ? below(8) : flags();
            a[3] = (below(2) ? 0x22 : below(2) ? 0x02 : 0x01) | (below(2) ? 0 : flags());
            if (!in_window(a[0])) a[3] &= ~0x10UL;
            a[4] = below(2) ? ~0UL : fd();
            a[5] = below(2) ? 0 : PICK(OFFSETS);
            remap = 1;
            break;
        }
        case 12: {  /* brk: hostile values and small steps; never a big valid growth */
            i64 cur = S1(12, 0);
            u64 v[] = {0, 1, 0x7fffffffffffffffUL, 0x7ffffffffffff001UL, 0x8000000000000000UL, ~0UL, KERNEL_PTR, NONCANON,
                       1UL << 47, (1UL << 47) - 4096, 0x10000, ARENA, cur + 8 * PAGE, cur + 1, cur - PAGE, cur - 16 * PAGE};
            a[0] = PICK(v);
            break;
        }
        case 25: {  /* mremap: new address only inside the window */
            a[0] = maddr();
            a[1] = mlen();
            a[2] = PICK(MAP_LENS);
            a[3] = below(8);
            a[4] = maddr();
            if (!in_window(a[4])) a[3] &= ~2UL;
            remap = 1;
            break;
        }
        case 30:    /* shmat */
            a[1] = below(2) ? 0 : maddr();
            if (!in_window(a[1])) a[2] &= ~040000UL;
            remap = 1;
            break;
        case 462:   /* mseal: never the arena (it could not be restored) */
            a[0] = below(2) ? KERNEL_PTR : ARENA + 1;
            break;
        case 10: case 11: case 28: case 67: case 216: case 329: case 149: case 325:
            remap = 1;
            break;
        case 72:    /* fcntl: F_SETFL keeps O_NONBLOCK and never sets O_ASYNC */
            a[1] = below(3) ? below(20) : below(2) ? 1024 + below(16) : integer();
            if (a[1] == 4) a[2] = (a[2] | 04000) & ~020000UL;
            if (a[1] == 8 || a[1] == 10) a[1] = 3;   /* F_SETOWN/F_SETSIG: signals we would die of */
            break;
        case 16: {  /* ioctl: never FIONBIO/FIOASYNC (the pool stays non-blocking and quiet) */
            u64 v[] = {0x541b /* FIONREAD */, 0x5401 /* TCGETS */, 0x5413, 0x8912, 0x40086602, 0x80086601, 0xc0185879};
            a[1] = below(2) ? PICK(v) : rnd() & 0xffffffffUL;
            if (a[1] == 0x5421 || a[1] == 0x5452) a[1] = 0x541b;
            break;
        }
        case 157: { /* prctl: not the options that would end or cripple the fuzzer */
            a[0] = below(4) ? below(80) : rnd();
            /* SECCOMP, SYSCALL_USER_DISPATCH, TSC, MM, TIMERSLACK (a huge slack makes a zero sleep last for ever), shadow stacks */
            if (a[0] == 22 || a[0] == 59 || a[0] == 26 || a[0] == 35 || a[0] == 29 || (a[0] >= 74 && a[0] <= 76)) a[0] = 16;
            a[1] = below(2) ? ptr() : integer();
            break;
        }
        case 158: { /* arch_prctl: only codes that cannot move TLS or map over us */
            u64 v[] = {0x1003, 0x1004, 0x1011, 0x3001, 0x4001, 0x9999, ~0UL};
            a[0] = PICK(v);
            a[1] = ptr();
            break;
        }
        case 331:   /* pkey_free(0) succeeds, and the next PROT_EXEC mapping then takes key 0 from all our memory */
            if (a[0] == 0) a[0] = 1;
            break;
        case 436:   /* close_range: never our stdout */
            a[0] = 1000 + below(100);
            break;
        case 61: a[2] |= 1; break;           /* wait4: WNOHANG */
        case 247: a[3] |= 1; break;          /* waitid: WNOHANG */
        case 73: a[1] |= 4; break;           /* flock: LOCK_NB */
        case 69: case 70: a[nr == 69 ? 3 : 4] |= 04000; break;   /* IPC_NOWAIT */
        case 275: a[5] |= 2; break;          /* splice: SPLICE_F_NONBLOCK */
        case 276: case 278: a[3] |= 2; break;
        case 44: case 45: a[3] |= 0x40; break;   /* MSG_DONTWAIT */
        case 46: case 47: case 299: case 307: a[2] |= 0x40; break;
    }
    if (verbose) {
        /* one line per call on stderr before it is made, for finding the call that ended a batch */
        char line[200];
        u32 n = 0;
        u64 v[9] = {nr, a[0], a[1], a[2], a[3], a[4], a[5], ((u64 *)A_TMO)[0], ((u64 *)A_TMO)[1]};
        for (int k = 0; k < 9; k++) {
            for (int sh = 60; sh >= 0; sh -= 4) line[n++] = "0123456789abcdef"[(v[k] >> sh) & 15];
            line[n++] = k == 8 ? '\n' : ' ';
        }
        S3(1, 2, line, n);
    }
    i64 r = sc((i64)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    random_calls++;
    if (r >= 0 || r < -4095) {
        switch (nr) {
            case 2: case 85: case 257: case 437: case 32: case 33: case 292: case 41: case 43: case 288:
            case 213: case 291: case 253: case 294: case 282: case 289: case 283: case 284: case 290:
            case 319: case 240: case 434: case 254: case 444:
                close_new(r);
                break;
            case 72:
                if (a[1] == 0 || a[1] == 1030) close_new(r);
                break;
            case 22: case 293: case 53: {   /* fds written to memory */
                u64 at = nr == 53 ? a[3] : a[0];
                if (at >= ARENA && at + 8 <= ARENA + ARENA_PAGES * PAGE && at - A_TMO >= PAGE) {
                    int *fds = (int *)at;
                    close_new(fds[0]);
                    close_new(fds[1]);
                }
                break;
            }
            case 9: case 25:    /* unmap exactly what was made (more could take a neighbour of ours) */
                if (!in_window((u64)r)) S2(11, r, ((nr == 9 ? a[1] : a[2]) + PAGE - 1) & ~(PAGE - 1));
                break;
            case 30:
                if (!in_window((u64)r)) S1(67, r);
                break;
        }
    }
    if (remap) {
        arena();
        arena_resets++;
    }
}

/* ------------------------------------------------------------------ probes */

/*
 * Deterministic probes. Each uses its own scaffolding (fresh pipes, buffers in .bss) and, for
 * the pointers it is about, only arena pages whose mapping the fuzzer restores after any call
 * that could change it. "mode" says how to compare with the native run: e = exact value,
 * c = errno or "ok" (for results that legitimately differ, such as a directory's length).
 */
static char scratch[8192];
static u64 probe_count;

static const u64 PROBE_BUFS[] = {A_ZERO, A_LAST + PAGE - 1, A_TMO, A_GUARD, 0, KERNEL_PTR, NONCANON, A_LAST};
static const u64 PROBE_BAD[] = {A_GUARD, KERNEL_PTR, NONCANON, NONCANON2, ~0UL - 4095, A_LAST + PAGE - 1, A_TMO};

static u64 ps;  /* probe stream: a function of (seed, index) only */
static u64 prnd(void) { return mix(ps++); }
static u64 ppick(const u64 *v, u64 n) { return v[prnd() % n]; }
#define PPICK(a) ppick(a, sizeof(a) / sizeof(a[0]))

static int allowed[600];

static void report(u64 i, int kind, u64 nr, i64 r, char mode) {
    puts_("P ");
    putl((i64)i);
    puts_(" ");
    putl(kind);
    puts_(" ");
    putl((i64)nr);
    puts_(" ");
    putl(mode == 'c' && r >= 0 ? 0 : r);
    puts_(mode == 'c' ? " c\n" : " e\n");
    probe_count++;
}

#define NPROBES 16

static void probe(u64 i, u64 seed) {
    ps = mix(seed * 0x9e3779b97f4a7c15UL ^ mix(i + 0x51ed));
    int kind = (int)(prnd() % NPROBES);
    if (verbose) {
        char line[8] = {'p', ' ', (char)('a' + kind), '\n'};
        S3(1, 2, line, 4);
    }
    int fds[2];
    i64 r;
    u64 nr;
    static const u64 bad_fds[] = {~0UL, 0x7fffffffUL, 1UL << 20, (u64)-100L};
    switch (kind) {
        case 0: {   /* a call on a descriptor that cannot be open: EBADF before anything else */
            static const u64 calls[] = {0, 1, 17, 18, 19, 20, 3, 5, 8, 74, 75, 81, 217, 32, 72, 16, 77, 138, 91, 73, 48, 50};
            nr = PPICK(calls);
            u64 f = PPICK(bad_fds);
            u64 b = PPICK(PROBE_BUFS), n = PPICK(SIZES);
            if (!allowed[nr]) return;
            switch (nr) {
                case 17: case 18: r = S4(nr, f, b, n, 0); break;
                case 8: r = S3(nr, f, 0, 0); break;
                case 72: r = S3(nr, f, 3, 0); break;
                case 16: r = S3(nr, f, 0x541b, b); break;
                case 77: r = S2(nr, f, 0); break;
                case 91: r = S2(nr, f, 0644); break;
                case 73: r = S2(nr, f, 1 | 4); break;
                case 48: r = S2(nr, f, 0); break;
                case 50: r = S2(nr, f, 1); break;
                default: r = S3(nr, f, b, n); break;
            }
            report(i, kind, nr, r, 'e');
            return;
        }
        case 1: {   /* an output structure at a bad address: EFAULT */
            static const u64 calls[] = {63, 99, 98, 97, 302, 228, 229, 96, 201, 22, 293, 79, 204, 318, 5, 118, 158, 131, 36, 309, 100};
            nr = PPICK(calls);
            u64 p = PPICK(PROBE_BAD);
            if (!allowed[nr]) return;
            switch (nr) {
                case 98: r = S2(nr, 0, p); break;
                case 97: r = S2(nr, 7, p); break;
                case 302: r = S4(nr, 0, 7, 0, p); break;
                case 228: case 229: r = S2(nr, 1, p); break;
                case 96: r = S2(nr, p, 0); break;
                case 293: r = S2(nr, p, 0); break;
                case 79: r = S2(nr, p, 4096); break;
                case 204: r = S3(nr, 0, 128, p); break;
                case 318: r = S3(nr, p, 16, 0); break;
                case 5: r = S2(nr, 1, p); break;
                case 118: r = S3(nr, p, p, p); break;
                case 158: r = S2(nr, 0x1003, p); break;
                case 131: r = S2(nr, 0, p); break;
                case 36: r = S2(nr, 0, p); break;
                case 309: r = S3(nr, p, 0, 0); break;
                default: r = S1(nr, p); break;
            }
            if (nr == 22 || nr == 293) {
                /* a pipe made and then not reported: nothing to close (Linux closes it) */
            }
            report(i, kind, nr, r, 'e');
            return;
        }
        case 2: {   /* an input path or structure at a bad address: EFAULT */
            static const u64 calls[] = {2, 4, 6, 21, 80, 83, 84, 87, 89, 257, 262, 332, 35, 14, 13, 76, 82, 88, 269, 263};
            nr = PPICK(calls);
            u64 p = PPICK(PROBE_BAD);
            if (p == A_TMO || p == A_LAST + PAGE - 1) p = A_GUARD;   /* readable there: not a fault */
            if (!allowed[nr]) return;
            switch (nr) {
                case 2: r = S3(nr, p, 0, 0); break;
                case 4: case 6: r = S2(nr, p, scratch); break;
                case 21: r = S2(nr, p, 0); break;
                case 83: r = S2(nr, p, 0755); break;
                case 89: r = S3(nr, p, scratch, 64); break;
                case 257: r = S4(nr, -100, p, 0, 0); break;
                case 262: r = S4(nr, -100, p, scratch, 0); break;
                case 332: r = S6(nr, -100, p, 0, 0x7ff, scratch, 0); break;
                case 35: r = S2(nr, p, 0); break;
                case 14: r = S4(nr, 0, p, 0, 8); break;
                case 13: r = S4(nr, 10, p, 0, 8); break;
                case 76: r = S2(nr, p, 0); break;
                case 82: case 88: r = S2(nr, p, p); break;
                case 269: r = S3(nr, -100, p, 0); break;
                case 263: r = S3(nr, -100, p, 0); break;
                default: r = S1(nr, p); break;
            }
            report(i, kind, nr, r, 'e');
            return;
        }
        case 3: case 4: {   /* read of a hostile size into a hostile buffer, from a pipe holding one byte */
            nr = 0;
            if (!allowed[0] || !allowed[293] || !allowed[1]) return;
            if (S2(293, fds, 04000) < 0) return;
            S3(1, fds[1], "x", 1);
            r = S3(0, fds[0], PPICK(PROBE_BUFS), PPICK(SIZES));
            S1(3, fds[0]);
            S1(3, fds[1]);
            report(i, kind, nr, r, 'e');
            return;
        }
        case 5: {   /* write of a hostile size from a hostile buffer into an empty pipe */
            nr = 1;
            if (!allowed[0] || !allowed[293] || !allowed[1]) return;
            if (S2(293, fds, 04000) < 0) return;
            r = S3(1, fds[1], PPICK(PROBE_BUFS), PPICK(SIZES));
            S1(3, fds[0]);
            S1(3, fds[1]);
            report(i, kind, nr, r, 'e');
            return;
        }
        case 6: {   /* getdents64 of "/" with a hostile size and buffer */
            nr = 217;
            if (!allowed[nr] || !allowed[257]) return;
            i64 d = S4(257, -100, "/", 0200000, 0);
            if (d < 0) return;
            r = S3(nr, d, PPICK(PROBE_BUFS), PPICK(SIZES));
            S1(3, d);
            report(i, kind, nr, r, 'c');
            return;
        }
        case 7: {   /* getrandom with a hostile size and buffer */
            nr = 318;
            if (!allowed[nr]) return;
            u64 b = PPICK(PROBE_BUFS), n = PPICK(SIZES);
            r = S3(nr, b, n, 0);
            report(i, kind, nr, r, b == A_ZERO && n > 4096 ? 'c' : 'e');
            return;
        }
        case 8: {   /* brk to a value it cannot reach: the break stays where it was */
            nr = 12;
            if (!allowed[nr]) return;
            static const u64 v[] = {0x7fffffffffffffffUL, 0x7ffffffffffff001UL, 0x8000000000000000UL, ~0UL, KERNEL_PTR,
                                    NONCANON, 1UL << 47, (1UL << 47) - 4096, 1, 0x10000};
            i64 before = S1(12, 0);
            i64 after = S1(12, PPICK(v));
            report(i, kind, nr, after == before ? 0 : 1, 'e');
            return;
        }
        case 9: {   /* anonymous mmap of a hostile length */
            nr = 9;
            if (!allowed[nr] || !allowed[11]) return;
            static const u64 lens[] = {0, ~0UL, ~0UL - 4095, 0x8000000000000000UL, 1UL << 47, 0x7fffffffffffffffUL};
            r = S6(nr, 0, PPICK(lens), 1, 0x22, ~0UL, 0);
            if (r >= 0 || r < -4095) {
                S2(11, r, 4096);
            }
            report(i, kind, nr, r, 'c');
            return;
        }
        case 10: {  /* munmap / mprotect of a range that cannot be valid */
            static const u64 addrs[] = {KERNEL_PTR, NONCANON, ARENA + 1, ~0UL - 4095, 1UL << 47, A_GUARD};
            static const u64 lens[] = {0, ~0UL, 0x8000000000000000UL, ~0UL - 4095, 4096};
            nr = prnd() % 2 ? 11 : 10;
            if (!allowed[nr]) return;
            u64 ad = PPICK(addrs), ln = PPICK(lens);
            if (ad == A_GUARD && nr == 11 && ln == 4096) ln = 0;
            r = nr == 11 ? S2(nr, ad, ln) : S3(nr, ad, ln, 1);
            report(i, kind, nr, r, 'e');
            return;
        }
        case 11: {  /* readv / writev with one hostile iovec on a pipe */
            nr = prnd() % 2 ? 19 : 20;
            if (!allowed[nr] || !allowed[293]) return;
            if (S2(293, fds, 04000) < 0) return;
            if (nr == 19) S3(1, fds[1], "xy", 2);
            u64 *iov = (u64 *)scratch;
            iov[0] = PPICK(PROBE_BUFS);
            iov[1] = PPICK(SIZES);
            iov[2] = A_ZERO;
            iov[3] = 1;
            static const u64 cnts[] = {0, 1, 2, 1024, 1025, ~0UL, 0x80000000UL};
            r = S3(nr, nr == 19 ? fds[0] : fds[1], iov, PPICK(cnts));
            S1(3, fds[0]);
            S1(3, fds[1]);
            report(i, kind, nr, r, 'e');
            return;
        }
        case 12: {  /* time arguments out of range */
            static const u64 calls[] = {35, 230, 228, 229};
            nr = PPICK(calls);
            if (!allowed[nr]) return;
            i64 *ts = (i64 *)scratch;
            static const u64 secs[] = {0, ~0UL, 0x8000000000000000UL};
            static const u64 nsecs[] = {1000000000, ~0UL, 0x8000000000000000UL, 999999999 + 1};
            ts[0] = (i64)PPICK(secs);
            ts[1] = (i64)PPICK(nsecs);
            static const u64 clocks[] = {100, 12, 16};
            switch (nr) {
                case 35: r = S2(nr, ts, 0); break;
                case 230: r = S4(nr, 1, 0, ts, 0); break;
                default: r = S2(nr, PPICK(clocks), scratch + 64); break;
            }
            report(i, kind, nr, r, 'e');
            return;
        }
        case 13: {  /* signal calls with bad numbers, sizes and "how" */
            nr = prnd() % 2 ? 13 : 14;
            if (!allowed[nr]) return;
            static const u64 sigs[] = {0, 65, ~0UL, 9, 19, 0x80000000UL};
            static const u64 sizes[] = {0, 4, 16, ~0UL};
            u64 *set = (u64 *)scratch;
            set[0] = set[1] = set[2] = set[3] = 0;
            if (nr == 13) {
                u64 sig = PPICK(sigs);
                r = S4(nr, sig, (sig == 9 || sig == 19) ? (u64)set : 0, 0, prnd() % 2 ? 8 : PPICK(sizes));
            } else {
                static const u64 hows[] = {3, ~0UL, 0x80000000UL};
                r = prnd() % 2 ? S4(nr, PPICK(hows), set, 0, 8) : S4(nr, 0, set, 0, PPICK(sizes));
            }
            report(i, kind, nr, r, 'e');
            return;
        }
        case 14: {  /* descriptor calls with bad second arguments */
            static const u64 calls[] = {33, 292, 72, 8, 17};
            nr = PPICK(calls);
            if (!allowed[nr] || !allowed[293]) return;
            if (S2(293, fds, 04000) < 0) return;
            switch (nr) {
                case 33: r = S2(nr, fds[0], prnd() % 2 ? ~0UL : 1UL << 20); break;
                case 292: r = prnd() % 2 ? S3(nr, fds[0], fds[0], 0) : S3(nr, fds[0], 200, 0x1234); break;
                case 72: r = S3(nr, fds[0], prnd() % 2 ? 999 : ~0UL, 0); break;
                case 8: r = S3(nr, fds[0], 0, 0); break;
                default: r = S4(nr, fds[0], scratch, 1, prnd() % 2 ? ~0UL : 0); break;
            }
            S1(3, fds[0]);
            S1(3, fds[1]);
            if (r >= 0 && r != fds[0]) S1(3, r);
            report(i, kind, nr, r, 'e');
            return;
        }
        default: {  /* poll / select with hostile counts and sets */
            nr = prnd() % 2 ? 7 : 23;
            if (!allowed[nr]) return;
            static const u64 ns[] = {0, 1, ~0UL, 0x80000000UL, 0x7fffffffUL};
            u64 n = PPICK(ns), p = PPICK(PROBE_BAD);
            if (nr == 7) {
                r = S3(nr, p, n, 0);
            } else {
                i64 *tv = (i64 *)scratch;
                tv[0] = tv[1] = 0;
                r = sc(nr, n, p, 0, 0, (u64)tv, 0);
            }
            report(i, kind, nr, r, 'e');
            return;
        }
    }
}

/* ------------------------------------------------------------------ main */

static u64 parse(const char *s) {
    u64 v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0');
    return v;
}

static u64 number_buf[1024];
static u64 seed_, calls_;
static int probes_only;

static void batch(u64 b) {
    u64 end = (b + 1) * BATCH < calls_ ? (b + 1) * BATCH : calls_;
    rs = mix(seed_ ^ mix(b + 1));
    if (verbose) {
        char line[24] = "B ";
        int n = 2;
        for (int sh = 60; sh >= 0; sh -= 4) line[n++] = "0123456789abcdef"[(b >> sh) & 15];
        line[n++] = '\n';
        S3(1, 2, line, n);
    }
    arena();
    if (!probes_only) pool();
    for (u64 i = b * BATCH; i < end; i++) {
        if (mix(seed_ + i * 0x9e3779b97f4a7c15UL) % 4 == 0) {
            probe(i, seed_);
        } else if (!probes_only) {
            random_call();
        }
    }
}

static void totals(void) {
    puts_("T random=");
    putl((i64)random_calls);
    puts_(" probes=");
    putl((i64)probe_count);
    puts_(" setup=");
    putl((i64)(setup_calls + fd_closes));
    puts_(" arena_resets=");
    putl((i64)arena_resets);
    puts_("\n");
}

int fuzz_main(u64 *sp) {
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    if (argc < 4) {
        puts_("usage: sysfuzz SEED CALLS NUMBERS [probes|verbose]\n");
        flush();
        return 2;
    }
    seed_ = parse(argv[1]);
    calls_ = parse(argv[2]);
    probes_only = argc > 4 && argv[4][0] == 'p';
    verbose = argc > 4 && argv[4][0] == 'v';
    for (const char *s = argv[3]; *s && nnumbers < 1024;) {
        u64 v = parse(s);
        number_buf[nnumbers++] = v;
        if (v < 600) allowed[v] = 1;
        while (*s && *s != ',') s++;
        if (*s == ',') s++;
    }
    numbers = number_buf;
    self_pid = S0(39);
    parent_pid = S0(110);
    puts_("seed ");
    putl((i64)seed_);
    puts_(" calls ");
    putl((i64)calls_);
    puts_(probes_only ? " probes-only\n" : "\n");
    flush();
    u64 batches = (calls_ + BATCH - 1) / BATCH;
    int forking = !probes_only;
    u64 lost = 0;
    for (u64 b = 0; b < batches; b++) {
        if (forking) {
            i64 child = S0(57);
            if (child == 0) {
                self_pid = S0(39);
                parent_pid = S0(110);
                batch(b);
                totals();
                flush();
                S1(231, 0);
            }
            if (child > 0) {
                /* a batch that stalls (a call the kernel lets sleep) is ended after 20 s and counted as lost */
                int status = 0;
                i64 waited = 0;
                u64 tick[2] = {0, 1000000};
                while (S4(61, child, &status, 1 /* WNOHANG */, 0) == 0) {
                    if (++waited == 20000) S2(62, child, 9);
                    S2(35, tick, 0);
                }
                if (status != 0) {
                    puts_("L ");
                    putl((i64)b);
                    puts_(" ");
                    putl(status);
                    puts_("\n");
                    flush();
                    lost++;
                }
                continue;
            }
            forking = 0;   /* no fork here (KVM): every batch in this process */
            puts_("in-process\n");
        }
        batch(b);
        flush();
    }
    if (!forking) totals();
    puts_("done batches=");
    putl((i64)batches);
    puts_(" lost=");
    putl((i64)lost);
    puts_("\n");
    flush();
    return 0;
}
