#include <stdio.h>
int main(void){ long r; printf("before\n"); fflush(stdout); __asm__ volatile("int $0x80":"=a"(r):"a"(20L)); printf("survived %ld\n", r); return 0; }
