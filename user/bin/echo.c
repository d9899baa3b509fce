/* echo [-n] [WORD...]: print the words separated by spaces, then a newline unless -n. */
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  int newline = 1;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "-n") == 0; ++i) newline = 0;
  for (int first = i; i < argc; ++i) printf(i > first ? " %s" : "%s", argv[i]);
  if (newline) putchar('\n');
  return 0;
}
