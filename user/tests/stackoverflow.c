/* stackoverflow: recurse without end until the stack runs out; the kernel should end us
 * with SIGSEGV (and nothing else should notice). */
#include <stdio.h>

static volatile int keep_going = 1;

/* Each frame holds 256 bytes the compiler cannot drop, and the call is not a tail call. */
static int recurse(int depth) {
  volatile char frame[256];
  frame[0] = (char)depth;
  if (!keep_going) return 0;
  return recurse(depth + 1) + frame[0];
}

int main(void) {
  printf("stackoverflow: recursing until the stack runs out\n");
  fflush(stdout);
  recurse(0);
  printf("stackoverflow: the recursion returned?!\n");
  return 1;
}
