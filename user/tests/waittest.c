/* waittest: what waitpid must do (lab 6), checked from a program: the status of an exit and
 * of a fatal signal, one reap per child, WNOHANG, ECHILD and EINVAL. The same binary passes
 * on Linux i386 (a host test runs it there), so every expectation here is Linux's. Prints one
 * line per check (`waittest: ok ...` or `waittest: FAIL ...: expected ..., got ...`) and a
 * total; status 0 if every check passed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

static void check(int cond, const char* what, const char* expected, long got, int err) {
  if (cond) {
    ++passed;
    printf("waittest: ok %s\n", what);
  } else {
    ++failed;
    printf("waittest: FAIL %s: expected %s, got %ld (errno %d %s)\n", what, expected, got, err,
           err ? strerror(err) : "");
  }
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A child that naps `ms` and exits with `code`; returns its pid (the parent's side). */
static pid_t child(long ms, int code) {
  pid_t pid = fork();
  if (pid == 0) {
    if (ms) nap_ms(ms);
    _exit(code);
  }
  return pid;
}

int main(void) {
  int st = -1;
  pid_t r;

  errno = 0;
  r = waitpid(-1, &st, 0);
  check(r == -1 && errno == ECHILD, "no children: ECHILD", "-1 ECHILD", r, errno);

  pid_t a = child(0, 42);
  r = waitpid(a, &st, 0);
  check(r == a, "waitpid(pid) returns the child's pid", "the pid", r, errno);
  check(r == a && WIFEXITED(st) && WEXITSTATUS(st) == 42, "exit status 42 reported",
        "WEXITSTATUS 42", st, 0);
  errno = 0;
  r = waitpid(a, &st, 0);
  check(r == -1 && errno == ECHILD, "a reaped child is gone: ECHILD", "-1 ECHILD", r, errno);

  pid_t slow = child(300, 7);
  r = waitpid(slow, &st, WNOHANG);
  check(r == 0, "WNOHANG while the child runs: 0", "0", r, errno);
  r = waitpid(slow, &st, 0);
  check(r == slow && WIFEXITED(st) && WEXITSTATUS(st) == 7, "blocks until the child exits",
        "the pid, status 7", r, errno);

  pid_t kids[3];
  int seen[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) kids[i] = child(20 * i, i + 1);
  int ok = 1;
  for (int n = 0; n < 3; ++n) {
    r = waitpid(-1, &st, 0);
    int found = 0;
    for (int i = 0; i < 3; ++i)
      if (r == kids[i] && !seen[i] && WIFEXITED(st) && WEXITSTATUS(st) == i + 1)
        seen[i] = found = 1;
    if (!found) ok = 0;
  }
  check(ok, "waitpid(-1) reaps each of three children once, with its status",
        "three distinct pids, statuses 1 2 3", r, errno);
  errno = 0;
  r = waitpid(-1, &st, 0);
  check(r == -1 && errno == ECHILD, "all three reaped: ECHILD", "-1 ECHILD", r, errno);

  pid_t first = child(0, 3), second = child(200, 4);
  r = waitpid(second, &st, 0);
  check(r == second && WEXITSTATUS(st) == 4, "waitpid(pid) waits for that child, not another",
        "the second pid, status 4", r, errno);
  r = waitpid(first, NULL, 0);
  check(r == first, "a NULL status pointer is allowed", "the first pid", r, errno);

  pid_t seg = fork();
  if (seg == 0) {
    kill(getpid(), SIGSEGV); /* the default action: the child ends by the signal */
    _exit(99);
  }
  r = waitpid(seg, &st, 0);
  check(r == seg && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "a fatal signal is reported",
        "WIFSIGNALED, WTERMSIG 11", st, errno);

  errno = 0;
  r = waitpid(1, &st, WNOHANG);
  check(r == -1 && errno == ECHILD, "another process's pid: ECHILD", "-1 ECHILD", r, errno);
  pid_t c = child(0, 0);
  errno = 0;
  r = waitpid(c, &st, 0x100); /* not WNOHANG, WUNTRACED, WCONTINUED or __W* */
  check(r == -1 && errno == EINVAL, "an unknown option bit: EINVAL", "-1 EINVAL", r, errno);
  waitpid(c, NULL, 0);

  printf("waittest: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
