/*
 * The KVM platform's vDSO: clock_gettime, gettimeofday, time, clock_getres and getcpu served in
 * the guest, from the "vvar" page the Sentry keeps current (VdsoClock), so a clock read costs no
 * VM exit. Time = base + (rdtsc - tsc_base) * mult >> 32, read under a sequence count; the guest
 * TSC is the host's (checked at start-up; otherwise mode is 0 and every call is the syscall).
 * Anything not served here (CPU-time clocks, bad ids) is the real syscall, as Linux's vDSO does,
 * so the Sentry answers it with Linux's errno. Built by build.sh; see docs/kvm.md.
 */
#include <stdint.h>

/* Must match GuestLayout.VVAR_VA and the offsets in VdsoClock. */
#define VVAR_ADDR 0x7fff08000000UL

struct vvar {
    uint32_t seq;          /* odd while the Sentry writes */
    uint32_t mode;         /* 1: serve from the TSC; 0: always the syscall */
    uint64_t tsc_base;
    uint64_t mono_base;    /* CLOCK_MONOTONIC at tsc_base, ns */
    uint64_t mult;         /* ns per TSC tick << 32 */
    int64_t real_offset;   /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
};

struct timespec_k { int64_t tv_sec; int64_t tv_nsec; };
struct timeval_k { int64_t tv_sec; int64_t tv_usec; };
struct timezone_k { int tz_minuteswest; int tz_dsttime; };

#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_clock_getres 229

static inline long sys2(long nr, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

/* lfence before: not earlier than the loads before it; after: the seq re-check is not done before it. */
static inline uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t) hi << 32) | lo;
}

/* CLOCK_MONOTONIC (real == 0) or CLOCK_REALTIME in ns; 0 when the page says "use the syscall". */
static int read_ns(int real, uint64_t *out)
{
    const volatile struct vvar *v = (const volatile struct vvar *) VVAR_ADDR;
    uint32_t seq;
    uint64_t tsc, base, mono, mult;
    int64_t off;
    do {
        while ((seq = v->seq) & 1)
            __asm__ volatile("pause" ::: "memory");
        if (!v->mode)
            return 0;
        tsc = rdtsc_ordered();
        base = v->tsc_base;
        mono = v->mono_base;
        mult = v->mult;
        off = v->real_offset;
        __asm__ volatile("" ::: "memory");
    } while (v->seq != seq);
    uint64_t delta = tsc > base ? tsc - base : 0;
    uint64_t ns = mono + (uint64_t) (((unsigned __int128) delta * mult) >> 32);
    *out = real ? ns + (uint64_t) off : ns;
    return 1;
}

/* 1: a monotonic clock, 2: a realtime clock, 0: not served here. The same groups as SysTime. */
static int kind(int clock)
{
    switch (clock) {
    case 1: case 4: case 6: case 7:   /* MONOTONIC, _RAW, _COARSE, BOOTTIME */
        return 1;
    case 0: case 5: case 11:          /* REALTIME, _COARSE, TAI */
        return 2;
    default:
        return 0;
    }
}

long __vdso_clock_gettime(int clock, struct timespec_k *ts)
{
    int k = kind(clock);
    uint64_t ns;
    if (!k || !read_ns(k == 2, &ns))
        return sys2(NR_clock_gettime, clock, (long) ts);
    ts->tv_sec = (int64_t) (ns / 1000000000u);
    ts->tv_nsec = (int64_t) (ns % 1000000000u);
    return 0;
}

long __vdso_gettimeofday(struct timeval_k *tv, struct timezone_k *tz)
{
    uint64_t ns;
    if (tv) {
        if (!read_ns(1, &ns))
            return sys2(NR_gettimeofday, (long) tv, (long) tz);
        tv->tv_sec = (int64_t) (ns / 1000000000u);
        tv->tv_usec = (int64_t) (ns % 1000000000u / 1000u);
    }
    if (tz) {
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

long __vdso_time(int64_t *t)
{
    uint64_t ns;
    if (!read_ns(1, &ns))
        return sys2(NR_time, (long) t, 0);
    int64_t s = (int64_t) (ns / 1000000000u);
    if (t)
        *t = s;
    return s;
}

long __vdso_clock_getres(int clock, struct timespec_k *res)
{
    if (!kind(clock))
        return sys2(NR_clock_getres, clock, (long) res);
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = 1;
    }
    return 0;
}

/* One vCPU per process: always CPU 0, node 0 (what the Sentry's getcpu says). */
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
    (void) unused;
    if (cpu)
        *cpu = 0;
    if (node)
        *node = 0;
    return 0;
}

long clock_gettime(int, struct timespec_k *) __attribute__((weak, alias("__vdso_clock_gettime")));
long gettimeofday(struct timeval_k *, struct timezone_k *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(int64_t *) __attribute__((weak, alias("__vdso_time")));
long clock_getres(int, struct timespec_k *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
