/* argv: print argc, each argv[i] and each envp[i] on a line of its own, so a test can check
 * what execve and _start passed on. */
#include <stdio.h>

int main(int argc, char** argv, char** envp) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  for (int i = 0; envp[i]; ++i) printf("envp[%d]=%s\n", i, envp[i]);
  return 0;
}
