/* bench_spawn [PATH [N]]: the instructions of fork + execve PATH (default /bin/true) + its
 * exit + waitpid, seen from the parent: the minimum and the mean of N rounds (default 20). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user/tests/rdtsc.h"

int main(int argc, char** argv) {
  char* path = argc > 1 ? argv[1] : "/bin/true";
  int n = argc > 2 ? atoi(argv[2]) : 20;
  if (n <= 0 || argc > 3) {
    fprintf(stderr, "usage: bench_spawn [PATH [ROUNDS]]\n");
    return 2;
  }
  char* child_argv[] = {path, NULL};
  uint64_t best = UINT64_MAX, total = 0;
  for (int i = 0; i < n; ++i) {
    uint64_t t0 = rdtsc();
    pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "bench_spawn: fork: %s\n", strerror(errno));
      return 1;
    }
    if (pid == 0) {
      execve(path, child_argv, environ);
      _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      fprintf(stderr, "bench_spawn: %s did not exit with 0 (status %#x)\n", path, st);
      return 1;
    }
    uint64_t t = rdtsc() - t0;
    total += t;
    if (t < best) best = t;
  }
  printf(
      "bench_spawn: spawn_instructions=%llu spawn_mean_instructions=%llu rounds=%d "
      "(fork+execve+exit+waitpid of %s, min and mean)\n",
      (unsigned long long)best, (unsigned long long)(total / (uint64_t)n), n, path);
  return 0;
}
