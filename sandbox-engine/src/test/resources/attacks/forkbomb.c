/* Forks as fast as it can, forever: must hit the process limit and be ended. */
#include <unistd.h>
int main(void) { for (;;) fork(); }
