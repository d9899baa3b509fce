/* modcall load FILE.ko | modcall unload NAME: the init_module and delete_module system
 * calls, bare (the next step is /sbin/insmod and /sbin/rmmod). Prints the call and what it
 * returned: `modcall: init_module(/lib/modules/hello.ko) = 0` or `= -17 EEXIST`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long report(const char* call, const char* arg, long r) {
  if (r < 0) {
    const char* name = strerrorname_np(errno);
    printf("modcall: %s(%s) = %d %s\n", call, arg, -errno, name ? name : "?");
  } else {
    printf("modcall: %s(%s) = %ld\n", call, arg, r);
  }
  return r;
}

int main(int argc, char** argv) {
  if (argc != 3 || (strcmp(argv[1], "load") != 0 && strcmp(argv[1], "unload") != 0)) {
    fprintf(stderr, "usage: modcall load FILE.ko | modcall unload NAME\n");
    return 2;
  }
  if (strcmp(argv[1], "unload") == 0)
    return report("delete_module", argv[2], syscall(SYS_delete_module, argv[2], 0L)) < 0;
  int fd = open(argv[2], O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    fprintf(stderr, "modcall: %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  char* image = malloc(st.st_size ? st.st_size : 1);
  if (!image || read(fd, image, st.st_size) != st.st_size) {
    fprintf(stderr, "modcall: %s: cannot read it\n", argv[2]);
    return 1;
  }
  close(fd);
  return report("init_module", argv[2], syscall(SYS_init_module, image, (long)st.st_size, "")) < 0;
}
