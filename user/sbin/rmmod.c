/* rmmod [-w] NAME: asks the kernel to unload a module with delete_module(2), as Linux's rmmod
 * (kmod) does: by default with O_NONBLOCK, so a module in use is refused at once; -w waits
 * for its users to leave (Linux 2.6's `rmmod --wait`). NAME may also be given as NAME.ko or a
 * path. rmmod sleeps while the module's cleanup_module runs: in the guide's example, until
 * the timer routine has seen the flag. Errors as kmod prints them; exit status 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int wait = 0, i = 1;
  if (i < argc && strcmp(argv[i], "-w") == 0) {
    wait = 1;
    ++i;
  }
  if (i + 1 != argc) {
    fprintf(stderr, "usage: rmmod [-w] NAME\n");
    return 1;
  }
  /* "/lib/modules/sched.ko" -> "sched" */
  char name[64];
  const char* base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
  snprintf(name, sizeof name, "%s", base);
  size_t n = strlen(name);
  if (n > 3 && strcmp(name + n - 3, ".ko") == 0) name[n - 3] = '\0';
  if (syscall(SYS_delete_module, name, wait ? 0L : (long)O_NONBLOCK) < 0) {
    if (errno == ENOENT)
      fprintf(stderr, "rmmod: ERROR: Module %s is not currently loaded\n", name);
    else if (errno == EBUSY || errno == EWOULDBLOCK)
      fprintf(stderr, "rmmod: ERROR: Module %s is in use\n", name);
    else
      fprintf(stderr, "rmmod: ERROR: could not remove module %s: %s\n", name, strerror(errno));
    return 1;
  }
  return 0;
}
