/* bench_switch [N]: the instructions of one switch between two processes that call
 * sched_yield in turn (N rounds of ours, default 1000, each round two switches), with nothing
 * else runnable. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user/tests/rdtsc.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  if (n <= 0) {
    fprintf(stderr, "usage: bench_switch [ROUNDS]\n");
    return 2;
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "bench_switch: fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid == 0) {
    for (;;) sched_yield(); /* the partner, until SIGKILL */
  }
  for (int i = 0; i < 10; ++i) sched_yield(); /* let it start */
  uint64_t t0 = rdtsc();
  for (int i = 0; i < n; ++i) sched_yield();
  uint64_t t1 = rdtsc();
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  printf(
      "bench_switch: switch_instructions=%llu rounds=%d (sched_yield between two processes, "
      "per switch: the mean of %d switches)\n",
      (unsigned long long)((t1 - t0) / (2 * (uint64_t)n)), n, 2 * n);
  return 0;
}
