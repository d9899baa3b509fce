/* init: the first process (/sbin/init). Opens /dev/console as fds 0, 1 and 2 if they are not
 * open, prints /etc/motd, runs /bin/sh and starts it again whenever it ends, and reaps every
 * child, including the orphans the kernel hands to it. `init SHELL` runs SHELL instead (an
 * absolute path; for tests). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char* shell_argv[] = {"sh", NULL};
static char* shell_envp[] = {"PATH=/bin:/sbin", "HOME=/", NULL};

/* fds 0..2 on the console, unless something (the kernel) has opened them already. */
static void open_console(void) {
  struct stat st;
  if (fstat(0, &st) == 0 && fstat(1, &st) == 0 && fstat(2, &st) == 0) return;
  for (int fd = 0; fd < 3; ++fd) {
    if (fstat(fd, &st) == 0) continue;
    int got = open("/dev/console", O_RDWR);
    if (got < 0) return;       /* nowhere to say it: run without a console */
    if (got != fd) close(got); /* a lower fd was free after all; try the next one */
  }
}

static void print_motd(void) {
  int fd = open("/etc/motd", O_RDONLY);
  if (fd < 0) return;
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) write(STDOUT_FILENO, buf, (size_t)n);
  close(fd);
}

/* Start the shell; its pid, or -1 (the reason printed). */
static pid_t start_shell(const char* path) {
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "init: fork: %s\n", strerror(errno));
    return -1;
  }
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    execve(path, shell_argv, shell_envp);
    fprintf(stderr, "init: %s: %s\n", path, strerror(errno));
    _exit(127);
  }
  return pid;
}

int main(int argc, char** argv) {
  const char* shell = argc > 1 && argv[1][0] == '/' ? argv[1] : "/bin/sh";
  open_console();
  signal(SIGINT, SIG_IGN); /* Ctrl-C is for the foreground program, never for init */
  print_motd();
  for (;;) {
    pid_t sh = start_shell(shell);
    if (sh < 0) {
      sleep(1);
      continue;
    }
    /* Reap every child that ends (orphans too) until it is the shell. */
    for (;;) {
      int st;
      pid_t pid = waitpid(-1, &st, 0);
      if (pid < 0) {
        if (errno == EINTR) continue;
        fprintf(stderr, "init: waitpid: %s\n", strerror(errno));
        break; /* ECHILD: the shell is gone already */
      }
      if (pid != sh) continue; /* an orphan, now reaped */
      if (WIFSIGNALED(st)) {
        printf("init: %s ended by signal %d (%s); starting it again\n", shell, WTERMSIG(st),
               strsignal(WTERMSIG(st)));
      } else {
        printf("init: %s exited with status %d; starting it again\n", shell, WEXITSTATUS(st));
      }
      if (WIFSIGNALED(st) || WEXITSTATUS(st) >= 126) {
        sleep(1); /* the shell cannot run: do not spin */
      }
      break;
    }
  }
}
