/* The other target of exec_attack: says so and exits 11; with an argument, first sleeps (a process to point /proc/<pid>/exe at). */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
    (void) argv;
    if (argc > 1) {
        sleep(30);
        return 0;
    }
    printf("OTHER RAN\n");
    return 11;
}
