/* execv and execvp: execve with the environment, and the search along $PATH. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

/* Tries each directory of $PATH (default "/bin:/sbin") in turn, as POSIX's execvp does: a
 * missing file moves on; any other error is remembered (EACCES) or returned at once. */
int execvp(const char* file, char* const argv[]) {
  if (!*file) {
    errno = ENOENT;
    return -1;
  }
  if (strchr(file, '/')) return execv(file, argv);
  const char* path = getenv("PATH");
  if (!path) path = "/bin:/sbin";
  size_t flen = strlen(file);
  int saw_eacces = 0;
  char full[QUARTZ_PATH_MAX];
  for (const char* dir = path;; ++dir) {
    const char* colon = strchr(dir, ':');
    size_t dlen = colon ? (size_t)(colon - dir) : strlen(dir);
    if (dlen == 0) { /* an empty entry means the current directory */
      dir = ".";
      dlen = 1;
    }
    if (dlen + 1 + flen + 1 <= sizeof full) {
      memcpy(full, dir, dlen);
      full[dlen] = '/';
      memcpy(full + dlen + 1, file, flen + 1);
      execv(full, argv);
      if (errno == EACCES) {
        saw_eacces = 1;
      } else if (errno != ENOENT && errno != ENOTDIR) {
        return -1;
      }
    }
    if (!colon) break;
    dir = colon;
  }
  errno = saw_eacces ? EACCES : ENOENT;
  return -1;
}
