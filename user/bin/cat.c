/* cat [FILE...]: copy each file (or stdin, for none or "-") to stdout. An error names the file
 * ("cat: /nope: No such file or directory"), the others are still copied, the status is 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Copy FD to stdout; 0, or -1 with errno from the read or the write. */
static int copy(int fd) {
  static char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) return -1;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(STDOUT_FILENO, buf + done, (size_t)(n - done));
      if (w < 0) return -1;
      done += w;
    }
  }
}

int main(int argc, char** argv) {
  int status = 0;
  if (argc < 2) {
    if (copy(STDIN_FILENO) < 0) {
      fprintf(stderr, "cat: -: %s\n", strerror(errno));
      status = 1;
    }
    return status;
  }
  for (int i = 1; i < argc; ++i) {
    int fd = strcmp(argv[i], "-") == 0 ? STDIN_FILENO : open(argv[i], O_RDONLY);
    if (fd < 0 || copy(fd) < 0) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
    }
    if (fd > STDIN_FILENO) close(fd);
  }
  return status;
}
