/* exitcode N: exit with status N (0..255), so a test can check what waitpid reports. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: exitcode N\n");
    return 2;
  }
  return atoi(argv[1]);
}
