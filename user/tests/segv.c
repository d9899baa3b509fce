/* segv: write to address 0; the kernel should end us with SIGSEGV. */
#include <stdio.h>

int main(void) {
  volatile int* volatile null = 0; /* volatile twice: the compiler can neither see that it is
                                      NULL nor drop the store */
  printf("segv: writing to NULL\n");
  fflush(stdout);
  *null = 42;
  printf("segv: still alive after writing to NULL?!\n");
  return 1;
}
