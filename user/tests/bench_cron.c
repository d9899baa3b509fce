/* bench_cron [N]: one activation of the guide's first way, exactly what crond does at each
 * period: fork, exec /bin/cat /proc/cronwork with stdout on /dev/null (cat opens the file, the
 * read runs the module's work, cat writes and exits), and reap it; the minimum of N rounds
 * (default 20). Then where the instructions go, each measured on its own: fork + exit +
 * reap of a child that execs nothing, exec of /bin/true on top of that, and one
 * open/read/close of /proc/cronwork from this process. Needs cronwork loaded.
 * `bench_cron once`: one activation and nothing else (for a trace picture). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "user/tests/rdtsc.h"

enum Kind { kActivation, kForkExit, kForkExecTrue };

static uint64_t round_of(enum Kind kind) {
  uint64_t t0 = rdtsc();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "bench_cron: fork: %s\n", strerror(errno));
    exit(1);
  }
  if (pid == 0) {
    if (kind == kForkExit) _exit(0);
    close(STDOUT_FILENO);
    open("/dev/null", O_WRONLY);
    char* cat[] = {"cat", "/proc/cronwork", NULL};
    char* tru[] = {"true", NULL};
    if (kind == kActivation)
      execv("/bin/cat", cat);
    else
      execv("/bin/true", tru);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "bench_cron: the child failed (status %#x): is cronwork loaded?\n", st);
    exit(1);
  }
  return rdtsc() - t0;
}

static uint64_t proc_read(void) {
  char buf[128];
  uint64_t t0 = rdtsc();
  int fd = open("/proc/cronwork", O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
  if (fd >= 0) close(fd);
  uint64_t t = rdtsc() - t0;
  if (n <= 0) {
    fprintf(stderr, "bench_cron: /proc/cronwork cannot be read: is cronwork loaded?\n");
    exit(1);
  }
  return t;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "once") == 0) {
    round_of(kActivation);
    return 0;
  }
  int n = argc > 1 ? atoi(argv[1]) : 20;
  if (n <= 0 || argc > 2) {
    fprintf(stderr, "usage: bench_cron [ROUNDS]\n");
    return 2;
  }
  uint64_t best[3] = {UINT64_MAX, UINT64_MAX, UINT64_MAX}, read_best = UINT64_MAX;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) {
      uint64_t t = round_of((enum Kind)k);
      if (t < best[k]) best[k] = t;
    }
    uint64_t t = proc_read();
    if (t < read_best) read_best = t;
  }
  printf(
      "bench_cron: activation_instructions=%llu fork_exit_instructions=%llu "
      "exec_true_instructions=%llu proc_read_instructions=%llu rounds=%d (one crond activation: "
      "fork + exec /bin/cat /proc/cronwork + its read + exit + reap; then fork+exit+reap alone, "
      "the exec of /bin/true on top, and one open/read/close of the file; minimum of %d)\n",
      (unsigned long long)best[kActivation], (unsigned long long)best[kForkExit],
      (unsigned long long)(best[kForkExecTrue] - best[kForkExit]), (unsigned long long)read_best, n,
      n);
  return 0;
}
