/* execbad [PATH...]: execve each file (default: every file in /test/bad, by name) in a child
 * and print what came back: `execbad: NAME: execve = -8 ENOEXEC`, or how the program ended
 * if the kernel ran it after all. Status 0 if every file was refused. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRefused = 200 }; /* a child whose execve failed exits with 200 + errno */

static int ran; /* files the kernel ran instead of refusing */

static void try_exec(const char* path) {
  char* argv[] = {(char*)path, NULL};
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("execbad: fork: %s\n", strerror(errno));
    exit(1);
  }
  if (pid == 0) {
    execve(path, argv, environ);
    const char* name = strerrorname_np(errno);
    printf("execbad: %s: execve = %d %s\n", path, -errno, name ? name : "?");
    fflush(stdout);
    _exit(kRefused + errno);
  }
  int st;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) > kRefused) return; /* the child said it */
  ++ran;
  if (WIFSIGNALED(st)) {
    printf("execbad: %s: ran, killed by signal %d (%s)\n", path, WTERMSIG(st),
           strsignal(WTERMSIG(st)));
  } else {
    printf("execbad: %s: ran, exit status %d\n", path, WEXITSTATUS(st));
  }
}

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) try_exec(argv[i]);
    return ran ? 1 : 0;
  }
  const char* dir = "/test/bad";
  DIR* d = opendir(dir);
  if (!d) {
    fprintf(stderr, "execbad: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  char* names[256];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 256) {
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], by_name);
  for (int i = 0; i < n; ++i) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    try_exec(path);
    free(names[i]);
  }
  printf("execbad: %d files, %d refused, %d ran\n", n, n - ran, ran);
  return ran ? 1 : 0;
}
