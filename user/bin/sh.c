/* sh: the shell. Reads lines from stdin (prompt "$ " on stderr), splits them into words
 * ('...' and "..." quoting, backslash, # comments), runs builtins (cd, pwd, exit) or a program
 * found on $PATH, in the foreground or with a final & in the background. `sh -c LINE` runs one
 * line. Ctrl-C (SIGINT) is ignored by the shell and by background jobs, not by the foreground
 * program, so it ends only that one. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kLineMax = 1024, kMaxArgs = 64 };

static int last_status; /* of the last command: what `exit` without N returns */

/* ---- reading and splitting a line ---- */

/* One line from stdin into BUF, without its newline. Reads a byte at a time, so that what
 * follows the line is left for the programs the shell starts. 1: a line; 0: end of input;
 * -1: longer than BUF (the rest of it is read and dropped). */
static int read_line(char* buf, size_t size) {
  size_t n = 0;
  int too_long = 0, got_any = 0;
  for (;;) {
    char c;
    ssize_t r = read(STDIN_FILENO, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* end of input (or an error, which ends it too) */
    got_any = 1;
    if (c == '\n') break;
    if (n + 1 < size) {
      buf[n++] = c;
    } else {
      too_long = 1;
    }
  }
  if (n && buf[n - 1] == '\r') --n; /* a terminal's CR LF */
  buf[n] = '\0';
  if (!got_any) return 0;
  return too_long ? -1 : 1;
}

static void syntax_error(const char* what) {
  fprintf(stderr, "sh: syntax error: %s\n", what);
  last_status = 2;
}

/* Split LINE into ARGV (NULL-terminated), the words copied into STORE (as large as the line).
 * *BACKGROUND is set by a final &. Returns the word count, or -1 after a syntax error. */
static int split_words(const char* line, char* store, char** argv, int* background) {
  const char* p = line;
  char* out = store;
  int argc = 0;
  *background = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t') ++p;
    if (!*p || *p == '#') break; /* a # starting a word starts a comment */
    if (*background) {
      syntax_error("'&' must end the line");
      return -1;
    }
    if (*p == '&') {
      *background = 1;
      ++p;
      continue;
    }
    if (argc == kMaxArgs - 1) {
      syntax_error("too many words");
      return -1;
    }
    argv[argc++] = out;
    while (*p && *p != ' ' && *p != '\t' && *p != '&') {
      if (*p == '\'') { /* '...': every character as it is */
        for (++p; *p && *p != '\''; ++p) *out++ = *p;
        if (!*p) {
          syntax_error("unterminated '");
          return -1;
        }
        ++p;
      } else if (*p == '"') { /* "...": \" and \\ are the only escapes */
        for (++p; *p && *p != '"'; ++p) {
          if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) ++p;
          *out++ = *p;
        }
        if (!*p) {
          syntax_error("unterminated \"");
          return -1;
        }
        ++p;
      } else if (*p == '\\' && p[1]) { /* \x outside quotes: x itself */
        *out++ = p[1];
        p += 2;
      } else {
        *out++ = *p++;
      }
    }
    *out++ = '\0';
  }
  argv[argc] = NULL;
  if (*background && argc == 0) {
    syntax_error("'&' needs a command before it");
    return -1;
  }
  return argc;
}

/* ---- running commands ---- */

/* The shell's status for a wait status: the exit code, or 128 + the signal. */
static int status_of(int st) { return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st); }

/* Report background jobs that have ended: "[PID] Done", "[PID] Exit N" or "[PID] <signal>". */
static void reap_background(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    if (WIFSIGNALED(st)) {
      printf("[%d] %s\n", pid, strsignal(WTERMSIG(st)));
    } else if (WEXITSTATUS(st)) {
      printf("[%d] Exit %d\n", pid, WEXITSTATUS(st));
    } else {
      printf("[%d] Done\n", pid);
    }
  }
}

static void run_program(char** argv, int background) {
  fflush(stdout); /* or the child would write our pending output a second time */
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "sh: fork: %s\n", strerror(errno));
    last_status = 1;
    return;
  }
  if (pid == 0) {
    if (!background) signal(SIGINT, SIG_DFL); /* Ctrl-C ends the foreground program */
    execvp(argv[0], argv);
    int e = errno;
    if (e == ENOENT && !strchr(argv[0], '/')) {
      fprintf(stderr, "sh: %s: command not found\n", argv[0]);
    } else {
      fprintf(stderr, "sh: %s: %s\n", argv[0], strerror(e));
    }
    _exit(e == ENOENT ? 127 : 126);
  }
  if (background) {
    printf("[%d]\n", pid);
    last_status = 0;
    return;
  }
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "sh: waitpid: %s\n", strerror(errno));
      last_status = 1;
      return;
    }
  }
  if (WIFSIGNALED(st)) fprintf(stderr, "%s\n", strsignal(WTERMSIG(st)));
  last_status = status_of(st);
}

static void builtin_cd(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : getenv("HOME");
  if (!dir) dir = "/";
  if (argc > 2) {
    fprintf(stderr, "sh: cd: too many arguments\n");
    last_status = 1;
  } else if (chdir(dir) < 0) {
    fprintf(stderr, "sh: cd: %s: %s\n", dir, strerror(errno));
    last_status = 1;
  } else {
    last_status = 0;
  }
}

static void builtin_pwd(void) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) {
    fprintf(stderr, "sh: pwd: %s\n", strerror(errno));
    last_status = 1;
    return;
  }
  printf("%s\n", buf);
  last_status = 0;
}

static void builtin_exit(int argc, char** argv) {
  int code = last_status;
  if (argc > 1) {
    char* end;
    errno = 0;
    long n = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end || errno) {
      fprintf(stderr, "sh: exit: %s: numeric argument required\n", argv[1]);
      code = 2;
    } else {
      code = (int)(n & 0xff);
    }
  }
  exit(code);
}

/* Run one line. */
static void run_line(const char* line) {
  char store[kLineMax * 2];
  char* argv[kMaxArgs];
  int background;
  if (strlen(line) >= kLineMax) {
    fprintf(stderr, "sh: line too long (at most %d characters)\n", kLineMax - 1);
    last_status = 2;
    return;
  }
  int argc = split_words(line, store, argv, &background);
  if (argc <= 0) return;
  if (strcmp(argv[0], "cd") == 0) {
    builtin_cd(argc, argv);
  } else if (strcmp(argv[0], "pwd") == 0) {
    builtin_pwd();
  } else if (strcmp(argv[0], "exit") == 0) {
    builtin_exit(argc, argv);
  } else {
    run_program(argv, background);
  }
}

int main(int argc, char** argv) {
  signal(SIGINT, SIG_IGN);
  if (argc == 3 && strcmp(argv[1], "-c") == 0) {
    run_line(argv[2]);
    return last_status;
  }
  if (argc != 1) {
    fprintf(stderr, "sh: usage: sh [-c LINE]\n");
    return 2;
  }
  char line[kLineMax];
  for (;;) {
    reap_background();
    fflush(stdout);
    fputs("$ ", stderr);
    int r = read_line(line, sizeof line);
    if (r == 0) break;
    if (r < 0) {
      fprintf(stderr, "sh: line too long (at most %d characters)\n", kLineMax - 1);
      last_status = 2;
      continue;
    }
    run_line(line);
  }
  return last_status;
}
