/*
 * Tries to fill the KVM sandbox's writable directories past the disk bound (KvmDiskLimitTest).
 * Usage: diskfill MODE DIR [NAME]; prints what it got as key=value lines and exits 1 when a call
 * failed with ENOSPC (as a program that could not write its output would), 0 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[65536];
static char path[4096];

static const char *at(const char *dir, const char *name) {
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* Writes to fd until a write fails; returns the bytes written, errno kept. */
static long fill(int fd) {
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, buf, sizeof buf);
        if (n <= 0) {
            return total;
        }
        total += n;
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        return 2;
    }
    const char *mode = argv[1], *dir = argv[2];
    const char *name = argc > 3 ? argv[3] : "big";
    memset(buf, 'x', sizeof buf);
    if (!strcmp(mode, "big") || !strcmp(mode, "big-wait")) {
        int fd = open(at(dir, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        long n = fill(fd);
        int e = errno;
        struct stat st;
        fstat(fd, &st);
        printf("written=%ld size=%ld errno=%d\n", n, (long) st.st_size, e);
        if (!strcmp(mode, "big-wait")) {
            printf("full\n");
            fflush(stdout);
            while (read(0, buf, sizeof buf) > 0) {
            }
        }
        return e == ENOSPC ? 1 : 0;
    }
    if (!strcmp(mode, "many") || !strcmp(mode, "dirs") || !strcmp(mode, "symlinks")) {
        long i;
        int e = 0;
        for (i = 0; i < 100000; i++) {
            char n[32];
            snprintf(n, sizeof n, "f%ld", i);
            int r;
            if (!strcmp(mode, "many")) {
                r = open(at(dir, n), O_WRONLY | O_CREAT | O_EXCL, 0644);
                if (r >= 0) close(r);
            } else if (!strcmp(mode, "dirs")) {
                r = mkdir(at(dir, n), 0755);
            } else {
                r = symlink("/usr/bin/some/long/target/that/points/nowhere", at(dir, n));
            }
            if (r < 0) {
                e = errno;
                break;
            }
        }
        printf("files=%ld errno=%d\n", i, e);
        return e == ENOSPC ? 1 : 0;
    }
    if (!strcmp(mode, "sparse")) {
        /* a sparse file past the bound: ftruncate, fallocate, a write far out, then filling it from inside */
        int fd = open(at(dir, name), O_RDWR | O_CREAT | O_TRUNC, 0644);
        int t = ftruncate(fd, 1L << 26);
        int te = t < 0 ? errno : 0;
        int f = fallocate(fd, 0, 0, 1L << 26);
        int fe = f < 0 ? errno : 0;
        ssize_t w = pwrite(fd, "y", 1, 1L << 26);
        int we = w < 0 ? errno : 0;
        int p = truncate(at(dir, name), 1L << 26);
        int pe = p < 0 ? errno : 0;
        void *m = mmap(NULL, 1L << 26, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        int mme = m == MAP_FAILED ? errno : 0;
        struct stat st;
        fstat(fd, &st);
        printf("ftruncate=%d/%d fallocate=%d/%d pwrite=%ld/%d truncate=%d/%d mmap-shared=%d size=%ld\n", t, te, f, fe,
               (long) w, we, p, pe, mme, (long) st.st_size);
        /* then grow it as far as it goes with ftruncate, and write inside what ftruncate allowed */
        long ok = 0;
        for (long len = 65536; ftruncate(fd, len) == 0; len += 65536) ok = len;
        int ge = errno;
        lseek(fd, 0, SEEK_SET);
        long inside = 0;
        while (inside < ok) {
            ssize_t n = write(fd, buf, sizeof buf);
            if (n <= 0) break;
            inside += n;
        }
        long more = fill(fd);
        int me = errno;
        fstat(fd, &st);
        printf("grown=%ld/%d inside=%ld more=%ld/%d size=%ld\n", ok, ge, inside, more, me, (long) st.st_size);
        return 1;
    }
    if (!strcmp(mode, "unlinked")) {
        /* a removed file still open keeps its bytes; they come back when it is closed */
        int a = open(at(dir, "a"), O_RDWR | O_CREAT, 0644);
        unlink(at(dir, "a"));
        long na = fill(a);
        int b = open(at(dir, "b"), O_RDWR | O_CREAT, 0644);
        ssize_t nb = write(b, buf, sizeof buf);
        int eb = nb < 0 ? errno : 0;
        close(a);
        long nb2 = fill(b);
        printf("first=%ld second=%ld/%d after-close=%ld\n", na, (long) nb, eb, nb2);
        return 1;
    }
    if (!strcmp(mode, "rename")) {
        /* renaming over a file frees the file it replaced */
        int a = open(at(dir, "a"), O_WRONLY | O_CREAT, 0644);
        long na = fill(a);
        close(a);
        int b = open(at(dir, "b"), O_WRONLY | O_CREAT, 0644);
        ssize_t nb = write(b, buf, 4096);
        int eb = nb < 0 ? errno : 0;
        close(b);
        char from[4096];
        snprintf(from, sizeof from, "%s", at(dir, "b"));
        int r = rename(from, at(dir, "a"));
        int c = open(at(dir, "c"), O_WRONLY | O_CREAT, 0644);
        long nc = fill(c);
        printf("first=%ld second=%ld/%d rename=%d after-rename=%ld\n", na, (long) nb, eb, r, nc);
        return 1;
    }
    if (!strcmp(mode, "roundtrip")) {
        /* under the bound: many files and one larger one, written and read back */
        for (int i = 0; i < 50; i++) {
            char n[32];
            snprintf(n, sizeof n, "small%d", i);
            FILE *f = fopen(at(dir, n), "w");
            fprintf(f, "file %d\n", i);
            fclose(f);
        }
        int fd = open(at(dir, "data"), O_RDWR | O_CREAT | O_TRUNC, 0644);
        long sum = 0;
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < (int) sizeof buf; j++) buf[j] = (char) (i * 31 + j);
            if (write(fd, buf, sizeof buf) != sizeof buf) {
                printf("write failed errno=%d\n", errno);
                return 3;
            }
        }
        lseek(fd, 0, SEEK_SET);
        int bad = 0;
        for (int i = 0; i < 16; i++) {
            if (read(fd, buf, sizeof buf) != sizeof buf) bad++;
            for (int j = 0; j < (int) sizeof buf; j++) if (buf[j] != (char) (i * 31 + j)) bad++;
            sum += sizeof buf;
        }
        close(fd);
        int smallok = 0;
        for (int i = 0; i < 50; i++) {
            char n[32], want[32], got[32] = {0};
            snprintf(n, sizeof n, "small%d", i);
            snprintf(want, sizeof want, "file %d\n", i);
            FILE *f = fopen(at(dir, n), "r");
            if (f && fgets(got, sizeof got, f) && !strcmp(got, want)) smallok++;
            if (f) fclose(f);
            unlink(at(dir, n));
        }
        unlink(at(dir, "data"));
        printf("read=%ld bad=%d small=%d\n", sum, bad, smallok);
        return 0;
    }
    return 2;
}
