/*
 * Memory shared between processes: each mode prints what it saw, line by line; a sandbox must
 * print what the program prints natively.
 *   anon   - MAP_SHARED|MAP_ANONYMOUS kept across fork; a counter under a process-shared sem_t
 *   shm    - the same through shm_open + ftruncate + mmap, a second mapping by name, sem_open
 *   file   - a file in the working directory mapped shared by two processes; msync; read() after munmap
 *   coherence - what write(2), read(2) and stores through a mapping leave in the file after munmap
 *   edges  - hostile sizes, offsets, flags and descriptors (errno as Linux)
 *   limit ARG - MAP_SHARED|MAP_ANONYMOUS of ARG MiB (ENOMEM past the sandbox's memory)
 *   shrink - ftruncate to 0 under a shared mapping, then stores through it (Linux: SIGBUS; KVM: the file stays empty)
 *   outside PATH - a file the sandbox may only read: it can never be mapped shared and writable
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N 3000

struct shared {
    sem_t sem;
    volatile long counter;
    volatile long marker;
};

static const char *err(long r) {
    static char b[32];
    if (r >= 0) return "ok";
    switch (errno) {
        case EINVAL: return "EINVAL"; case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES";
        case EOVERFLOW: return "EOVERFLOW"; case EBADF: return "EBADF"; case ENODEV: return "ENODEV";
        case EEXIST: return "EEXIST"; case ENOENT: return "ENOENT"; case EROFS: return "EROFS";
    }
    snprintf(b, sizeof b, "errno %d", errno);
    return b;
}

static long mm(void *a, size_t len, int prot, int flags, int fd, off_t off) {
    void *p = mmap(a, len, prot, flags, fd, off);
    return p == MAP_FAILED ? -1 : 0;
}

/* Parent and child each add N under the semaphore; the child first holds it a while, so the parent blocks on the futex. */
static void race(struct shared *s) {
    int ready[2];
    if (pipe(ready) != 0) { perror("pipe"); exit(1); }
    pid_t pid = fork();
    if (pid == 0) {
        sem_wait(&s->sem);
        s->marker = 42;
        write(ready[1], "x", 1);
        struct timespec t = {0, 200 * 1000 * 1000};
        nanosleep(&t, 0);
        s->counter += 1000;   /* the parent is blocked in sem_wait meanwhile */
        sem_post(&s->sem);
        for (int i = 0; i < N; i++) {
            sem_wait(&s->sem);
            long v = s->counter;
            s->counter = v + 1;
            sem_post(&s->sem);
        }
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    printf("marker from child: %ld\n", s->marker);
    sem_wait(&s->sem);   /* waits for the child's post */
    printf("waited for the child's 1000: %s\n", s->counter >= 1000 ? "yes" : "no");
    sem_post(&s->sem);
    for (int i = 0; i < N; i++) {
        sem_wait(&s->sem);
        long v = s->counter;
        s->counter = v + 1;
        sem_post(&s->sem);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d, counter %ld\n", WEXITSTATUS(st), s->counter);
}

static int anon(void) {
    struct shared *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) { perror("mmap"); return 1; }
    sem_init(&s->sem, 1, 1);
    race(s);
    /* a private mapping still is not shared */
    long *priv = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *priv = 1;
    if (fork() == 0) { *priv = 2; s->marker = 7; _exit(0); }
    wait(0);
    printf("private %ld, shared %ld\n", *priv, s->marker);
    /* mprotect read-only and back: still the same memory */
    printf("mprotect ro: %s\n", err(mprotect(s, 4096, PROT_READ)));
    printf("mprotect rw: %s\n", err(mprotect(s, 4096, PROT_READ | PROT_WRITE)));
    if (fork() == 0) { s->marker = 8; _exit(0); }
    wait(0);
    printf("after mprotect, child wrote %ld\n", s->marker);
    /* munmap in the child leaves the parent's mapping alone */
    if (fork() == 0) { munmap(s, 4096); _exit(0); }
    wait(0);
    s->marker = 9;
    printf("after child munmap %ld\n", s->marker);
    printf("msync anon: %s\n", err(msync(s, 4096, MS_SYNC)));
    /* a robust process-shared mutex whose owner dies while the parent waits for it */
    pthread_mutex_t *mx = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(mx, &a);
    int ready[2];
    pipe(ready);
    if (fork() == 0) {
        pthread_mutex_lock(mx);
        write(ready[1], "x", 1);
        struct timespec t = {0, 200 * 1000 * 1000};
        nanosleep(&t, 0);
        _exit(0);   /* holding it */
    }
    char c;
    read(ready[0], &c, 1);
    int r = pthread_mutex_lock(mx);
    printf("lock after the owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : r == 0 ? "0" : "other");
    wait(0);
    return 0;
}

static int shm(void) {
    shm_unlink("/palisade-shm-test");
    int fd = shm_open("/palisade-shm-test", O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) { perror("shm_open"); return 1; }
    printf("ftruncate: %s\n", err(ftruncate(fd, 4096)));
    struct shared *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (s == MAP_FAILED) { perror("mmap"); return 1; }
    sem_init(&s->sem, 1, 1);
    race(s);
    /* a second mapping by name, in a child, sees and changes the same page */
    if (fork() == 0) {
        int fd2 = shm_open("/palisade-shm-test", O_RDWR, 0);
        struct shared *t = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
        if (t == MAP_FAILED) _exit(3);
        t->marker = t->counter + 1;
        munmap(t, 4096);
        _exit(0);
    }
    int st;
    wait(&st);
    printf("second mapping: status %d marker %ld\n", WEXITSTATUS(st), s->marker);
    printf("munmap: %s\n", err(munmap(s, 4096)));
    long back[3];
    pread(fd, back, sizeof back, sizeof(sem_t));
    printf("read after munmap: counter %ld marker %ld\n", back[0], back[1]);
    struct stat sb;
    fstat(fd, &sb);
    printf("size %ld\n", (long) sb.st_size);
    close(fd);
    printf("shm_unlink: %s\n", err(shm_unlink("/palisade-shm-test")));
    printf("shm_open gone: %s\n", err(shm_open("/palisade-shm-test", O_RDWR, 0)));
    /* a named semaphore (sem_open: a file in /dev/shm, link(), mmap MAP_SHARED) across fork */
    sem_unlink("/palisade-sem-test");
    sem_t *named = sem_open("/palisade-sem-test", O_CREAT | O_EXCL, 0600, 0);
    if (named == SEM_FAILED) { perror("sem_open"); return 1; }
    if (fork() == 0) {
        sem_t *again = sem_open("/palisade-sem-test", 0);
        if (again == SEM_FAILED) _exit(4);
        struct timespec t = {0, 100 * 1000 * 1000};
        nanosleep(&t, 0);
        sem_post(again);
        _exit(0);
    }
    printf("sem_wait on named: %s\n", err(sem_wait(named)));
    wait(&st);
    int v = -1;
    sem_getvalue(named, &v);
    printf("named: child status %d value %d\n", WEXITSTATUS(st), v);
    printf("sem_unlink: %s\n", err(sem_unlink("/palisade-sem-test")));
    return 0;
}

static int file(void) {
    int fd = open("mapped.dat", O_CREAT | O_TRUNC | O_RDWR, 0600);
    char buf[8192];
    memset(buf, 'a', sizeof buf);
    write(fd, buf, sizeof buf);
    char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    if (fork() == 0) {
        memcpy(m + 4096, "written by the child", 20);
        _exit(0);
    }
    wait(0);
    printf("parent sees: %.20s\n", m + 4096);
    m[0] = 'Z';
    printf("msync: %s\n", err(msync(m, 8192, MS_SYNC)));
    char first;
    pread(fd, &first, 1, 0);
    printf("read after msync: %c\n", first);
    printf("munmap: %s\n", err(munmap(m, 8192)));
    pread(fd, buf, 20, 4096);
    printf("read after munmap: %.20s\n", buf);
    /* a read-only shared mapping of a read-only descriptor */
    int ro = open("mapped.dat", O_RDONLY);
    char *r = mmap(0, 4096, PROT_READ, MAP_SHARED, ro, 0);
    printf("read-only shared: %c\n", r == MAP_FAILED ? '?' : r[0]);
    printf("writable of read-only fd: %s\n", err(mm(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0)));
    printf("file stays %ld bytes\n", (long) lseek(fd, 0, SEEK_END));
    close(fd);
    close(ro);
    unlink("mapped.dat");
    return 0;
}

static int coherence(void) {
    int fd = open("coh.dat", O_CREAT | O_TRUNC | O_RDWR, 0600);
    ftruncate(fd, 8192);
    char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    printf("first byte %d\n", m[0]);   /* page 0 only read through the mapping */
    pwrite(fd, "via write", 9, 0);
    m[4096] = 'M';
    pread(fd, m + 4196, 9, 0);          /* read(2) into the mapping */
    munmap(m, 8192);
    char b[16] = {0};
    pread(fd, b, 9, 0);
    printf("page only read through the mapping: %s\n", b);
    pread(fd, b, 1, 4096);
    printf("page stored through the mapping: %c\n", b[0]);
    pread(fd, b, 9, 4196);
    printf("read(2) into the mapping: %.9s\n", b);
    close(fd);
    unlink("coh.dat");
    return 0;
}

static int edges(void) {
    int fd = open("edge.dat", O_CREAT | O_TRUNC | O_RDWR, 0600);
    ftruncate(fd, 4096);
    printf("len near 2^64: %s\n", err(mm(0, (size_t) -4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)));
    printf("anon len near 2^64: %s\n", err(mm(0, (size_t) -4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)));
    printf("offset near 2^64: %s\n", err(mm(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t) 0xfffffffffffff000ULL)));
    printf("offset 2^62: %s\n", err(mm(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t) 1 << 62)));
    printf("unaligned offset: %s\n", err(mm(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 100)));
    printf("bad fd: %s\n", err(mm(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 999, 0)));
    int wo = open("edge.dat", O_WRONLY);
    printf("write-only fd: %s\n", err(mm(0, 4096, PROT_READ, MAP_SHARED, wo, 0)));
    void *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("past the end of the file: %s\n", p == MAP_FAILED ? "failed" : "mapped");
    printf("msync unaligned: %s\n", err(msync((char *) p + 1, 4096, MS_SYNC)));
    printf("msync bad flags: %s\n", err(msync(p, 4096, MS_SYNC | MS_ASYNC)));
    printf("msync unknown flag: %s\n", err(msync(p, 4096, 64)));
    printf("msync unmapped: %s\n", err(msync((char *) p + (1L << 30), 4096, MS_SYNC)));
    printf("msync huge: %s\n", err(msync(p, (size_t) -4096, MS_SYNC)));
    printf("msync zero: %s\n", err(msync(p, 0, MS_SYNC)));
    printf("munmap: %s\n", err(munmap(p, 8192)));
    /* shrinking a file that is not mapped any more, then mapping it again */
    ftruncate(fd, 0);
    char *q = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("empty file mapped: %s\n", q == MAP_FAILED ? "failed" : "mapped");
    munmap(q, 4096);
    struct stat sb;
    fstat(fd, &sb);
    printf("empty file stays %ld bytes\n", (long) sb.st_size);
    close(fd);
    close(wo);
    unlink("edge.dat");
    return 0;
}

static int shrink(void) {
    int fd = open("shrink.dat", O_CREAT | O_TRUNC | O_RDWR, 0600);
    ftruncate(fd, 8192);
    char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    m[0] = 'a';
    printf("ftruncate to 0: %s\n", err(ftruncate(fd, 0)));
    m[0] = 'b';
    m[4096] = 'c';
    if (fork() == 0) { m[100] = 'd'; _exit(0); }
    wait(0);
    printf("msync: %s\n", err(msync(m, 8192, MS_SYNC)));
    printf("munmap: %s\n", err(munmap(m, 8192)));
    struct stat sb;
    fstat(fd, &sb);
    printf("size after stores past the end: %ld\n", (long) sb.st_size);
    close(fd);
    unlink("shrink.dat");
    return 0;
}

static int limit(long mib) {
    void *p = mmap(0, (size_t) mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("shared %ld MiB: %s\n", mib, p == MAP_FAILED ? err(-1) : "mapped");
    int fd = shm_open("/palisade-big", O_CREAT | O_RDWR, 0600);
    printf("ftruncate %ld MiB: %s\n", mib, err(ftruncate(fd, (off_t) mib << 20)));
    void *q = mmap(0, (size_t) mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shm %ld MiB: %s\n", mib, q == MAP_FAILED ? err(-1) : "mapped");
    void *small = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("then one page: %s\n", small == MAP_FAILED ? err(-1) : "mapped");
    shm_unlink("/palisade-big");
    return 0;
}

static int outside(const char *path) {
    printf("open for writing: %s\n", err(open(path, O_RDWR)));
    int fd = open(path, O_RDONLY);
    printf("open for reading: %s\n", err(fd));
    printf("shared writable: %s\n", err(mm(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)));
    printf("shared validate writable: %s\n", err(mm(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0)));
    char *r = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("shared read-only: %s\n", r == MAP_FAILED ? err(-1) : "mapped");
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "anon")) return anon();
    if (!strcmp(argv[1], "shm")) return shm();
    if (!strcmp(argv[1], "file")) return file();
    if (!strcmp(argv[1], "edges")) return edges();
    if (!strcmp(argv[1], "coherence")) return coherence();
    if (!strcmp(argv[1], "shrink")) return shrink();
    if (!strcmp(argv[1], "limit") && argc > 2) return limit(atol(argv[2]));
    if (!strcmp(argv[1], "outside") && argc > 2) return outside(argv[2]);
    return 2;
}
