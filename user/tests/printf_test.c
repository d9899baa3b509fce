/* printf_test: the printf family against the strings glibc produces (the same file, built with
 * the host's glibc, passes too: see user/tests/host). Prints each failure and a summary; status
 * 1 if any failed. */
#include <stdio.h>
#include <string.h>

/* Some checks are odd formats on purpose (%-08d, a NULL %s, a truncated snprintf). */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"

static int checks, failures;

#define CHECK(want, ...)                                                                         \
  do {                                                                                           \
    char got[256];                                                                               \
    int n = snprintf(got, sizeof got, __VA_ARGS__);                                              \
    ++checks;                                                                                    \
    if (strcmp(got, want) != 0 || n != (int)strlen(want)) {                                      \
      ++failures;                                                                                \
      printf("FAIL line %d: %s: got \"%s\" (%d), want \"%s\"\n", __LINE__, #__VA_ARGS__, got, n, \
             want);                                                                              \
    }                                                                                            \
  } while (0)

int main(void) {
  /* integers */
  CHECK("0", "%d", 0);
  CHECK("42", "%d", 42);
  CHECK("-42", "%i", -42);
  CHECK("2147483647", "%d", 2147483647);
  CHECK("-2147483648", "%d", (int)-2147483647 - 1);
  CHECK("4294967295", "%u", 4294967295u);
  CHECK("ff", "%x", 255);
  CHECK("FF", "%X", 255);
  CHECK("777", "%o", 511);
  CHECK("deadbeef", "%x", 0xdeadbeefu);
  /* width, flags, precision */
  CHECK("   42", "%5d", 42);
  CHECK("42   |", "%-5d|", 42);
  CHECK("00042", "%05d", 42);
  CHECK("-0042", "%05d", -42);
  CHECK("  -42", "%5d", -42);
  CHECK("+42", "%+d", 42);
  CHECK(" 42", "% d", 42);
  CHECK("00042", "%.5d", 42);
  CHECK("  00042", "%7.5d", 42);
  CHECK("", "%.0d", 0);
  CHECK("    ", "%4.0d", 0);
  CHECK("0x1f", "%#x", 31);
  CHECK("0X1F", "%#X", 31);
  CHECK("0", "%#x", 0);
  CHECK("017", "%#o", 15);
  CHECK("0x0001f", "%#.5x", 31);
  CHECK("0x0001f", "%#07x", 31);
  CHECK("   42", "%*d", 5, 42);
  CHECK("42   ", "%*d", -5, 42);
  CHECK("00042", "%.*d", 5, 42);
  CHECK("  -00042", "%8.5d", -42);
  CHECK("42      |", "%-08d|", 42);
  /* sizes */
  CHECK("-1", "%ld", -1L);
  CHECK("4294967295", "%lu", 4294967295UL);
  CHECK("9223372036854775807", "%lld", 9223372036854775807LL);
  CHECK("-9223372036854775808", "%lld", -9223372036854775807LL - 1);
  CHECK("18446744073709551615", "%llu", 18446744073709551615ULL);
  CHECK("ffffffffffffffff", "%llx", 18446744073709551615ULL);
  CHECK("1777777777777777777777", "%llo", 18446744073709551615ULL);
  CHECK("123", "%zu", (size_t)123);
  CHECK("-1", "%hd", 65535);
  CHECK("255", "%hhu", 511);
  CHECK("-128", "%hhd", 128);
  /* characters and strings */
  CHECK("x", "%c", 'x');
  CHECK("    x", "%5c", 'x');
  CHECK("x    |", "%-5c|", 'x');
  CHECK("hello", "%s", "hello");
  CHECK("  hello", "%7s", "hello");
  CHECK("hello  |", "%-7s|", "hello");
  CHECK("hel", "%.3s", "hello");
  CHECK("  hel", "%5.3s", "hello");
  CHECK("(null)", "%s", (char*)NULL);
  CHECK("", "%s", "");
  CHECK("ab", "%.2s", "abcdef");
  /* pointers and the rest */
  CHECK("0x1234", "%p", (void*)0x1234);
  CHECK("(nil)", "%p", (void*)0);
  CHECK("  0x10", "%6p", (void*)16);
  CHECK("100%", "%d%%", 100);
  CHECK("a1b2c", "a%db%dc", 1, 2);
  CHECK("[  -7|ff |x]", "[%4d|%-3x|%c]", -7, 255, 'x');

  /* snprintf truncates but returns the whole length; size 0 writes nothing */
  char small[4] = "zzz";
  int n = snprintf(small, sizeof small, "%d", 123456);
  ++checks;
  if (n != 6 || strcmp(small, "123") != 0) {
    ++failures;
    printf("FAIL: snprintf(4, 123456) gave \"%s\" (%d)\n", small, n);
  }
  char untouched = 'q';
  n = snprintf(&untouched, 0, "abc");
  ++checks;
  if (n != 3 || untouched != 'q') {
    ++failures;
    printf("FAIL: snprintf(0) wrote or returned %d\n", n);
  }
  char big[32];
  n = sprintf(big, "%s-%d", "id", 7);
  ++checks;
  if (n != 4 || strcmp(big, "id-7") != 0) {
    ++failures;
    printf("FAIL: sprintf gave \"%s\" (%d)\n", big, n);
  }

  /* printf itself, on stdout: it returns the count */
  const char* line = "printf_test: printf on stdout";
  n = printf("%s\n", line);
  ++checks;
  if (n != (int)strlen(line) + 1) {
    ++failures;
    printf("FAIL: printf returned %d, want %d\n", n, (int)strlen(line) + 1);
  }
  printf("printf_test: %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
