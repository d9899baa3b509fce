/* libc_test: the rest of user/libc against what C and glibc say: strtol/strtoul/atoi, the
 * string functions, ctype, strerror and strsignal texts, getenv, qsort, opendir/readdir.
 * Prints each failure and a summary; status 1 if any failed. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int checks, failures;

#define EXPECT(cond)                                 \
  do {                                               \
    ++checks;                                        \
    if (!(cond)) {                                   \
      ++failures;                                    \
      printf("FAIL line %d: %s\n", __LINE__, #cond); \
    }                                                \
  } while (0)

static int cmp_int(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  char* end;
  /* strtol and friends */
  EXPECT(strtol("42", &end, 10) == 42 && *end == '\0');
  EXPECT(strtol("  -17xyz", &end, 10) == -17 && strcmp(end, "xyz") == 0);
  EXPECT(strtol("+5", NULL, 10) == 5);
  EXPECT(strtol("0x1F", NULL, 0) == 31);
  EXPECT(strtol("0x1F", NULL, 16) == 31);
  EXPECT(strtol("017", NULL, 0) == 15);
  EXPECT(strtol("z", NULL, 36) == 35);
  EXPECT(strtol("abc", &end, 10) == 0);
  EXPECT(strcmp(end, "abc") == 0); /* no digits: end is the start */
  EXPECT(strtol("0x", &end, 0) == 0 && strcmp(end, "x") == 0);
  /* The limits, whatever the size of long (the glibc build of this file runs on x86-64):
   * LONG_MAX in digits parses; with one more digit it is out of range. */
  char num[32];
  snprintf(num, sizeof num, "%ld", LONG_MAX);
  errno = 0;
  EXPECT(strtol(num, NULL, 10) == LONG_MAX && errno == 0);
  strcat(num, "0");
  EXPECT(strtol(num, NULL, 10) == LONG_MAX && errno == ERANGE);
  snprintf(num, sizeof num, "%ld", LONG_MIN);
  errno = 0;
  EXPECT(strtol(num, NULL, 10) == LONG_MIN && errno == 0);
  strcat(num, "0");
  EXPECT(strtol(num, NULL, 10) == LONG_MIN && errno == ERANGE);
  snprintf(num, sizeof num, "%lu", ULONG_MAX);
  errno = 0;
  EXPECT(strtoul(num, NULL, 10) == ULONG_MAX && errno == 0);
  strcat(num, "0");
  EXPECT(strtoul(num, NULL, 10) == ULONG_MAX && errno == ERANGE);
  errno = 0;
  EXPECT(strtoul("-1", NULL, 10) == ULONG_MAX && errno == 0); /* C: negated, not an error */
  EXPECT(atoi("123abc") == 123 && atoi("-9") == -9 && atoi("x") == 0);
  EXPECT(abs(-3) == 3 && abs(3) == 3);

  /* strings */
  char buf[32];
  EXPECT(strlen("") == 0 && strlen("abc") == 3);
  EXPECT(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0);
  EXPECT(strcmp("\xff", "a") > 0); /* compared as unsigned char */
  EXPECT(strncmp("abcdef", "abcxyz", 3) == 0 && strncmp("abc", "abd", 3) < 0);
  EXPECT(strcmp(strcpy(buf, "hi"), "hi") == 0);
  EXPECT(strcmp(strcat(buf, " there"), "hi there") == 0);
  const char* hello = "hello";
  EXPECT(strchr(hello, 'l') == hello + 2 && strrchr(hello, 'l') == hello + 3);
  EXPECT(strchr(hello, 'z') == NULL && strchr(hello, '\0') == hello + 5);
  memset(buf, 'x', sizeof buf);
  strncpy(buf, "ab", 5);
  EXPECT(buf[0] == 'a' && buf[2] == '\0' && buf[4] == '\0' && buf[5] == 'x');
  char overlap[] = "123456";
  memmove(overlap + 1, overlap, 5);
  EXPECT(strcmp(overlap, "112345") == 0);
  memmove(overlap, overlap + 1, 5);
  EXPECT(strcmp(overlap, "123455") == 0);
  EXPECT(memcmp("ab", "ac", 2) < 0 && memcmp("ab", "ab", 2) == 0);
  char* copy = strdup("copy me");
  EXPECT(copy && strcmp(copy, "copy me") == 0);
  free(copy);

  /* ctype */
  EXPECT(isdigit('7') && !isdigit('a') && isxdigit('F') && !isxdigit('g'));
  EXPECT(isalpha('q') && !isalpha('1') && isalnum('1') && isspace('\t') && !isspace('x'));
  EXPECT(toupper('a') == 'A' && tolower('Q') == 'q' && toupper('1') == '1');

  /* the texts users see */
  EXPECT(strcmp(strerror(ENOENT), "No such file or directory") == 0);
  EXPECT(strcmp(strerror(EFAULT), "Bad address") == 0);
  EXPECT(strcmp(strerror(ENOEXEC), "Exec format error") == 0);
  EXPECT(strcmp(strerror(9999), "Unknown error 9999") == 0);
  EXPECT(strcmp(strerrorname_np(EACCES), "EACCES") == 0 && strerrorname_np(9999) == NULL);
  EXPECT(strcmp(strsignal(SIGSEGV), "Segmentation fault") == 0);
  EXPECT(strcmp(strsignal(SIGKILL), "Killed") == 0);
  EXPECT(strcmp(strsignal(SIGTERM), "Terminated") == 0);
  EXPECT(strcmp(sigabbrev_np(SIGINT), "INT") == 0);

  /* the environment (our own, for the checks) */
  char* test_env[] = {"LIBC_TEST_VARX=no", "LIBC_TEST_VAR=a=b", NULL};
  char** saved_env = environ;
  environ = test_env;
  EXPECT(getenv("LIBC_TEST_VAR") && strcmp(getenv("LIBC_TEST_VAR"), "a=b") == 0);
  EXPECT(getenv("LIBC_TEST") == NULL); /* a prefix of a name is not the name */
  EXPECT(getenv("LIBC_TEST_VAR_NOT_SET") == NULL);
  environ = saved_env;

  /* qsort */
  int v[] = {5, -1, 3, 3, 9, 0, 2, -7, 8};
  qsort(v, sizeof v / sizeof v[0], sizeof v[0], cmp_int);
  int sorted = 1;
  for (size_t i = 1; i < sizeof v / sizeof v[0]; ++i) sorted &= v[i - 1] <= v[i];
  EXPECT(sorted && v[0] == -7 && v[8] == 9);

  /* directories: / has at least "." and ".." */
  DIR* d = opendir("/");
  int dot = 0, dotdot = 0, entries = 0;
  struct dirent* e;
  while (d && (e = readdir(d))) {
    ++entries;
    dot += strcmp(e->d_name, ".") == 0;
    dotdot += strcmp(e->d_name, "..") == 0;
  }
  EXPECT(d && dot == 1 && dotdot == 1 && entries > 2);
  if (d) closedir(d);
  errno = 0;
  EXPECT(opendir("/nonexistent") == NULL && errno == ENOENT);

  printf("libc_test: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
