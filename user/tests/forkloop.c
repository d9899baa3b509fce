/* forkloop N PATH: N times fork, execve PATH, waitpid; prints a summary (for leak tests: the
 * kernel's memory should be back where it was afterwards). Status 0 if every run exited 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3 || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: forkloop N PATH\n");
    return 2;
  }
  int n = atoi(argv[1]);
  char* path = argv[2];
  char* child_argv[] = {path, NULL};
  int ok = 0, failed = 0;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      printf("forkloop: fork failed after %d runs: %s\n", i, strerror(errno));
      failed += n - i;
      break;
    }
    if (pid == 0) {
      execve(path, child_argv, environ);
      fprintf(stderr, "forkloop: %s: %s\n", path, strerror(errno));
      _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
      ++ok;
    } else {
      ++failed;
    }
  }
  printf("forkloop: runs=%d ok=%d failed=%d path=%s\n", n, ok, failed, path);
  return failed ? 1 : 0;
}
