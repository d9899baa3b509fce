/* lsmod: the loaded modules, as the kernel lists them in /proc/modules (name, size, how
 * many modules use it and which, state); Linux's lsmod reads the same file. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: lsmod\n");
    return 1;
  }
  char* cat[] = {"cat", "/proc/modules", NULL};
  execv("/bin/cat", cat);
  perror("lsmod: /bin/cat");
  return 1;
}
