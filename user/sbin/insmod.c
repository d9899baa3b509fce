/* insmod FILE.ko [name=value ...]: reads a module into memory and hands it to the kernel
 * with init_module(2), as Linux's insmod (kmod) does; errors are printed as kmod prints them
 * ("insmod: ERROR: could not insert module sched.ko: File exists") and exit with status 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: insmod FILE.ko [name=value ...]\n");
    return 1;
  }
  const char* file = argv[1];
  int fd = open(file, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    fprintf(stderr, "insmod: ERROR: could not load module %s: %s\n", file, strerror(errno));
    return 1;
  }
  char* image = malloc(st.st_size ? (size_t)st.st_size : 1);
  if (!image || read(fd, image, (size_t)st.st_size) != st.st_size) {
    fprintf(stderr, "insmod: ERROR: could not read %s\n", file);
    return 1;
  }
  close(fd);
  /* The parameters, as one string "a=1 b=x" (what init_module takes). */
  size_t len = 1;
  for (int i = 2; i < argc; ++i) len += strlen(argv[i]) + 1;
  char* params = malloc(len);
  if (!params) return 1;
  params[0] = '\0';
  for (int i = 2; i < argc; ++i) {
    if (i > 2) strcat(params, " ");
    strcat(params, argv[i]);
  }
  if (syscall(SYS_init_module, image, (long)st.st_size, params) < 0) {
    fprintf(stderr, "insmod: ERROR: could not insert module %s: %s\n", file, strerror(errno));
    return 1;
  }
  return 0;
}
