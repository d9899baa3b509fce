/* ps: print the kernel's process list, the file /proc/processes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char kPath[] = "/proc/processes";

int main(int argc, char** argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "ps: usage: ps (it takes no options)\n");
    return 1;
  }
  int fd = open(kPath, O_RDONLY);
  if (fd < 0) {
    fprintf(stderr, "ps: %s: %s\n", kPath, strerror(errno));
    return 1;
  }
  char buf[1024];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) write(STDOUT_FILENO, buf, (size_t)n);
  if (n < 0) {
    fprintf(stderr, "ps: %s: %s\n", kPath, strerror(errno));
    return 1;
  }
  close(fd);
  return 0;
}
