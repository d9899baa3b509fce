/* spin: print our pid, then loop forever without a system call (for preemption and kill). */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("spin: pid=%d\n", getpid());
  fflush(stdout);
  for (;;) __asm__ volatile("" ::: "memory");
}
