/* forkbomb: fork until fork fails; print the errno name and how many children it made; then
 * end the children (they wait, asleep, for SIGKILL) and reap them all. NEVER run it on the
 * host: it is for the kernel's process limit and its memory accounting. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kCap = 100000 }; /* stop here even if fork never fails */

int main(void) {
  pid_t* kids = NULL;
  size_t n = 0, cap = 0;
  int err = 0;
  printf("forkbomb: forking until fork fails\n");
  fflush(stdout);
  while (n < kCap) {
    if (n == cap) {
      size_t grown_cap = cap ? cap * 2 : 256;
      pid_t* grown = realloc(kids, grown_cap * sizeof *grown);
      if (!grown) {
        err = ENOMEM; /* our own list, not fork, ran out */
        printf("forkbomb: no memory for the list of children\n");
        break;
      }
      kids = grown;
      cap = grown_cap;
    }
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      for (;;) sleep(1000); /* wait for the parent's SIGKILL */
    }
    kids[n++] = pid;
  }
  const char* name = err ? strerrorname_np(err) : "none";
  printf("forkbomb: errno=%s children=%u\n", name ? name : "?", (unsigned)n);
  fflush(stdout);
  for (size_t i = 0; i < n; ++i) kill(kids[i], SIGKILL);
  unsigned reaped = 0;
  while (waitpid(-1, NULL, 0) > 0) ++reaped;
  printf("forkbomb: reaped=%u\n", reaped);
  return reaped == n ? 0 : 1;
}
