/* kill [-SIGNUM|-NAME] PID...: send a signal (default SIGTERM) to each process; kill -l lists
 * the signal names. NAME is with or without "SIG" (-9, -KILL, -SIGKILL). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number of signal SPEC ("9", "KILL", "SIGKILL", any case), or -1. */
static int parse_signal(const char* spec) {
  char* end;
  if (isdigit((unsigned char)*spec)) {
    long n = strtol(spec, &end, 10);
    return (*end || n < 0 || n >= NSIG) ? -1 : (int)n;
  }
  if (strncmp(spec, "SIG", 3) == 0 || strncmp(spec, "sig", 3) == 0) spec += 3;
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* name = sigabbrev_np(sig);
    size_t i = 0;
    while (name && name[i] && toupper((unsigned char)spec[i]) == name[i]) ++i;
    if (name && !name[i] && !spec[i]) return sig;
  }
  return -1;
}

int main(int argc, char** argv) {
  int sig = SIGTERM;
  int i = 1;
  if (i < argc && strcmp(argv[i], "-l") == 0) {
    for (int s = 1; s < NSIG; ++s) printf("%2d %s\n", s, sigabbrev_np(s));
    return 0;
  }
  if (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0) {
    sig = parse_signal(argv[i] + 1);
    if (sig < 0) {
      fprintf(stderr, "kill: %s: invalid signal specification\n", argv[i] + 1);
      return 1;
    }
    ++i;
  }
  if (i < argc && strcmp(argv[i], "--") == 0) ++i;
  if (i == argc) {
    fprintf(stderr, "kill: usage: kill [-SIGNUM|-NAME] PID... (kill -l lists the names)\n");
    return 1;
  }
  int status = 0;
  for (; i < argc; ++i) {
    char* end;
    errno = 0;
    long pid = strtol(argv[i], &end, 10);
    if (end == argv[i] || *end || errno) {
      fprintf(stderr, "kill: %s: arguments must be process IDs\n", argv[i]);
      status = 1;
    } else if (kill((pid_t)pid, sig) < 0) {
      fprintf(stderr, "kill: (%ld) - %s\n", pid, strerror(errno));
      status = 1;
    }
  }
  return status;
}
