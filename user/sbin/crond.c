/* crond [-v] [-f CRONTAB]: the guide's "process in crontab", literally. Reads CRONTAB
 * (default /etc/crontab): one job per line, `PERIOD COMMAND [ARGS...]`, PERIOD a number with
 * the unit ms or s (`100ms`, `2s`; minutes are too slow to watch); `#` starts a comment. At
 * each period it forks and execs the job's command (stdout to /dev/null, stderr kept), e.g.
 * `/bin/cat /proc/cronwork`, whose read wakes the module's periodic work. A bad line is
 * reported and skipped; a job that fails or is missing is reported once and tried again at
 * every period; `kill` (SIGTERM) stops crond. -v logs every start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kMaxJobs = 16, kMaxArgs = 16 };

struct Job {
  long period_ms;
  long long due_ms;
  char* argv[kMaxArgs + 1];
  pid_t pid; /* the last one started */
  int failed_reported;
};

static struct Job jobs[kMaxJobs];
static int njobs, verbose;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "100ms" or "2s" -> milliseconds; -1 if it is neither. */
static long parse_period(const char* s) {
  char* end;
  long v = strtol(s, &end, 10);
  if (end == s || v <= 0) return -1;
  if (strcmp(end, "ms") == 0) return v;
  if (strcmp(end, "s") == 0 && v <= 86400) return v * 1000;
  return -1;
}

static void parse_line(const char* path, int lineno, char* line) {
  char* hash = strchr(line, '#');
  if (hash) *hash = '\0';
  char* words[kMaxArgs + 2];
  int n = 0;
  for (char* p = line; *p;) { /* split at blanks, in place */
    while (*p == ' ' || *p == '\t' || *p == '\r') *p++ = '\0';
    if (!*p) break;
    if (n == kMaxArgs + 1) {
      fprintf(stderr, "crond: %s:%d: more than %d arguments; line skipped\n", path, lineno,
              kMaxArgs);
      return;
    }
    words[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r') ++p;
  }
  if (n == 0) return;
  long period = parse_period(words[0]);
  if (period < 0) {
    fprintf(stderr, "crond: %s:%d: '%s' is not a period (e.g. 100ms or 2s); line skipped\n", path,
            lineno, words[0]);
    return;
  }
  if (n == 1) {
    fprintf(stderr, "crond: %s:%d: no command; line skipped\n", path, lineno);
    return;
  }
  if (njobs == kMaxJobs) {
    fprintf(stderr, "crond: %s:%d: more than %d jobs; line skipped\n", path, lineno, kMaxJobs);
    return;
  }
  struct Job* j = &jobs[njobs++];
  j->period_ms = period;
  for (int i = 1; i < n; ++i) j->argv[i - 1] = strdup(words[i]);
  j->argv[n - 1] = NULL;
}

static int read_crontab(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "crond: %s: %s\n", path, strerror(errno));
    return -1;
  }
  static char text[8192];
  ssize_t len = read(fd, text, sizeof text - 1);
  close(fd);
  if (len < 0) {
    fprintf(stderr, "crond: %s: %s\n", path, strerror(errno));
    return -1;
  }
  text[len] = '\0';
  int lineno = 0;
  for (char* line = text; line && *line;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = '\0';
    parse_line(path, ++lineno, line);
    line = next;
  }
  return 0;
}

static void start(struct Job* j) {
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "crond: fork: %s\n", strerror(errno));
    return;
  }
  if (pid == 0) {
    /* The job's output goes nowhere: stdout becomes /dev/null (the lowest free fd). */
    close(STDOUT_FILENO);
    open("/dev/null", O_WRONLY);
    execv(j->argv[0], j->argv);
    if (!j->failed_reported) fprintf(stderr, "crond: %s: %s\n", j->argv[0], strerror(errno));
    _exit(127);
  }
  j->pid = pid;
  if (verbose) printf("crond: started %s (pid %d)\n", j->argv[0], pid);
}

/* Reaps finished jobs; a job's failure is reported once. */
static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    for (int i = 0; i < njobs; ++i) {
      struct Job* j = &jobs[i];
      if (j->pid != pid || j->failed_reported) continue;
      j->failed_reported = 1;
      if (WIFSIGNALED(status))
        fprintf(stderr, "crond: %s was killed by signal %d; crond goes on\n", j->argv[0],
                WTERMSIG(status));
      else
        fprintf(stderr, "crond: %s exited with status %d; crond goes on\n", j->argv[0],
                WEXITSTATUS(status));
    }
  }
}

int main(int argc, char** argv) {
  const char* path = "/etc/crontab";
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else {
      fprintf(stderr, "usage: crond [-v] [-f CRONTAB]\n");
      return 2;
    }
  }
  if (read_crontab(path) < 0) return 1;
  if (njobs == 0) {
    fprintf(stderr, "crond: %s: no jobs\n", path);
    return 1;
  }
  printf("crond: %d job%s from %s\n", njobs, njobs == 1 ? "" : "s", path);
  fflush(stdout);
  long long now = now_ms();
  for (int i = 0; i < njobs; ++i) jobs[i].due_ms = now + jobs[i].period_ms;
  for (;;) {
    now = now_ms();
    long long next = now + 60000;
    for (int i = 0; i < njobs; ++i) {
      struct Job* j = &jobs[i];
      if (now >= j->due_ms) {
        fflush(stdout);
        start(j);
        j->due_ms += j->period_ms;
        if (j->due_ms <= now) j->due_ms = now + j->period_ms; /* fell behind: skip, not burst */
      }
      if (j->due_ms < next) next = j->due_ms;
    }
    reap();
    long long wait = next - now_ms();
    if (wait > 0) {
      struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000};
      nanosleep(&ts, NULL);
    }
  }
}
