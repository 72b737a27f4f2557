/*
 * execve and execveat as a program meets them: each case runs in a child, which prints what
 * its exec did (the program it ran prints its own line; a failed exec prints its errno's name).
 * The same binary runs natively and in the sandbox; the outputs must be the same, with DIR
 * replaced.
 *
 *   exec_cases DIR        DIR: an empty writable directory
 *   exec_cases --self     (what /proc/self/exe runs)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[1024];

static void file(const char *name, const char *content, int mode) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t) strlen(content)) {
        perror(p);
        exit(2);
    }
    close(fd);
    chmod(p, mode);
}

static void link_to(const char *target, const char *name) {
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    if (symlink(target, p) != 0) {
        perror(p);
        exit(2);
    }
}

static char *at(const char *name) {
    static char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static char *argv_of[] = {"prog", "one", "two words", NULL};
static char *envp_of[] = {"CASE_ENV=yes", "PATH=/usr/bin:/bin", NULL};

enum kind { EXECVE, EXECVEAT };

/* Runs one case in a child: what the exec ran prints, or "NAME: ERRNO". */
static void one(const char *name, enum kind k, int dirfd, const char *path, int flags, int close_on_exec_fd) {
    printf("%s: ", name);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        (void) close_on_exec_fd;
        long r = k == EXECVE ? syscall(SYS_execve, path, argv_of, envp_of)
                             : syscall(SYS_execveat, dirfd, path, argv_of, envp_of, flags);
        (void) r;
        printf("%s\n", strerrorname_np(errno));
        fflush(stdout);
        _exit(100);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 100)) {
        printf("(status 0x%x)\n", status);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--self") == 0) {
        char comm[32] = "";
        FILE *f = fopen("/proc/self/comm", "r");
        if (f != NULL && fgets(comm, sizeof comm, f) != NULL) {
            comm[strcspn(comm, "\n")] = 0;
        }
        printf("self ran with %d arguments as %s\n", argc, comm);
        return 0;
    }
    if (argc != 2 || strlen(argv[1]) > 900) {
        fprintf(stderr, "usage: exec_cases DIR\n");
        return 2;
    }
    strcpy(dir, argv[1]);
    char script[4096];
    file("script", "#!/bin/sh\necho \"script: \\$0=$0 \\$#=$# \\$1=$1 \\$2=$2 CASE_ENV=$CASE_ENV comm=$(cat /proc/$$/comm)\"\n", 0755);
    file("script-arg", "#!/bin/sh -e\necho \"script-arg: \\$0=$0 \\$#=$# \\$1=$1\"\n", 0755);
    file("script-env", "#!/usr/bin/env sh\necho \"script-env: \\$0=$0 \\$#=$#\"\n", 0755);
    file("script-spaces", "#!  /bin/sh   \t\necho \"script-spaces: \\$0=$0\"\n", 0755);
    snprintf(script, sizeof script, "#!%s/script two-level\n", dir);
    file("nested", script, 0755);
    file("no-interpreter", "#!\n", 0755);
    file("missing-interpreter", "#!/nonexistent/interpreter\n", 0755);
    file("script-in-tree", "#!/bin/sh\necho \"script-in-tree: \\$1=$1\"\n", 0755);
    file("not-executable", "#!/bin/sh\necho ran\n", 0644);
    file("garbage", "\x7f" "ELF but not really, just some bytes\n", 0755);
    link_to("/bin/echo", "echo-link");
    link_to("loop-b", "loop-a");
    link_to("loop-a", "loop-b");
    link_to("../../../../../../../../bin/echo", "dotdot-link");
    mkdir(at("sub"), 0755);

    one("absolute", EXECVE, 0, "/bin/echo", 0, -1);
    one("script", EXECVE, 0, at("script"), 0, -1);
    one("script with an argument", EXECVE, 0, at("script-arg"), 0, -1);
    one("script through env", EXECVE, 0, at("script-env"), 0, -1);
    one("script with spaces", EXECVE, 0, at("script-spaces"), 0, -1);
    one("nested script", EXECVE, 0, at("nested"), 0, -1);
    one("symlink", EXECVE, 0, at("echo-link"), 0, -1);
    one("dotdot symlink", EXECVE, 0, at("dotdot-link"), 0, -1);
    one("dotdot path", EXECVE, 0, "/../../../../bin/echo", 0, -1);
    one("proc self root", EXECVE, 0, "/proc/self/root/bin/echo", 0, -1);
    if (chdir(dir) != 0) {
        perror("chdir");
        return 2;
    }
    one("relative", EXECVE, 0, "./script", 0, -1);
    one("relative from sub", EXECVE, 0, "sub/../script", 0, -1);
    one("ENOENT", EXECVE, 0, "/nonexistent/program", 0, -1);
    one("ENOENT empty path", EXECVE, 0, "", 0, -1);
    one("EACCES not executable", EXECVE, 0, at("not-executable"), 0, -1);
    one("EACCES directory", EXECVE, 0, dir, 0, -1);
    one("ENOTDIR", EXECVE, 0, "/etc/passwd/x", 0, -1);
    one("ELOOP", EXECVE, 0, at("loop-a"), 0, -1);
    one("ENOEXEC", EXECVE, 0, at("garbage"), 0, -1);
    one("no interpreter", EXECVE, 0, at("no-interpreter"), 0, -1);
    one("missing interpreter", EXECVE, 0, at("missing-interpreter"), 0, -1);
    one("EFAULT", EXECVE, 0, (const char *) 1, 0, -1);
    one("ENAMETOOLONG", EXECVE, 0, ({ static char l[5000]; memset(l, 'a', sizeof l - 1); l; }), 0, -1);

    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    one("execveat relative to a directory", EXECVEAT, dfd, "script", 0, -1);
    one("execveat absolute ignores the directory", EXECVEAT, dfd, "/bin/echo", 0, -1);
    one("execveat AT_SYMLINK_NOFOLLOW on a symlink", EXECVEAT, dfd, "echo-link", AT_SYMLINK_NOFOLLOW, -1);
    one("execveat bad flags", EXECVEAT, dfd, "script", 0x4, -1);
    one("execveat bad descriptor", EXECVEAT, 99, "script", 0, -1);
    int efd = open("/bin/echo", O_RDONLY | O_CLOEXEC);
    one("fexecve", EXECVEAT, efd, "", AT_EMPTY_PATH, -1);
    int pfd = open("/bin/echo", O_PATH);
    one("execveat of an O_PATH descriptor", EXECVEAT, pfd, "", AT_EMPTY_PATH, -1);
    int sfd = open(at("script-in-tree"), O_RDONLY);
    one("fexecve of a script", EXECVEAT, sfd, "", AT_EMPTY_PATH, -1);
    int scfd = open(at("script-in-tree"), O_RDONLY | O_CLOEXEC);
    one("fexecve of a script closed on exec", EXECVEAT, scfd, "", AT_EMPTY_PATH, -1);
    one("execveat empty path without AT_EMPTY_PATH", EXECVEAT, efd, "", 0, -1);
    one("execveat of a directory descriptor", EXECVEAT, dfd, "", AT_EMPTY_PATH, -1);

    /* the tracer's hand-over number under path serving: a program's own call is ENOSYS, as natively */
    errno = 0;
    long t = syscall(184, (long) "/bin/echo", (long) argv_of, (long) envp_of, 0L, 0L, 0L);
    printf("tuxcall of its own: %ld %s\n", t, strerrorname_np(errno));
    fflush(stdout);

    char *self_args[] = {"self", "--self", "x", NULL};
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    link_to(self, "a-long-name-for-a-link-to-self");
    const char *selves[] = {"/proc/self/exe", at("a-long-name-for-a-link-to-self")};
    for (int i = 0; i < 2; i++) {
        printf("%s: ", i == 0 ? "proc self exe" : "self through a symlink");
        fflush(stdout);
        if (fork() == 0) {
            execve(selves[i], self_args, envp_of);
            printf("%s\n", strerrorname_np(errno));
            _exit(100);
        }
        wait(NULL);
        fflush(stdout);
    }
    return 0;
}
