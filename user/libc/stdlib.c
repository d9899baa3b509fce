/* exit and abort, number conversion (strtol, strtoul, atoi), getenv and qsort of stdlib.h. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void exit(int status) {
  fflush(stdout);
  fflush(stderr);
  _exit(status);
}

void abort(void) {
  fflush(stdout);
  signal(SIGABRT, SIG_DFL);
  kill(getpid(), SIGABRT);
  _exit(127); /* not reached unless the signal could not be sent */
}

/* The digit C in BASE, or -1. */
static int digit_value(int c, int base) {
  int v = isdigit(c) ? c - '0' : isalpha(c) ? tolower(c) - 'a' + 10 : -1;
  return v < base ? v : -1;
}

/* Shared by strtol and strtoul: the magnitude (saturated at LIMIT, *OVERFLOW set), sign in
 * *NEGATIVE. *END gets S when no digit was read, as C says. */
static unsigned long parse_number(const char* s, char** end, int base, unsigned long limit,
                                  int* negative, int* overflow) {
  const char* p = s;
  *negative = 0;
  *overflow = 0;
  while (isspace((unsigned char)*p)) ++p;
  if (*p == '+' || *p == '-') *negative = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
      digit_value((unsigned char)p[2], 16) >= 0) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  unsigned long value = 0;
  const char* first = p;
  int d;
  if (base < 2 || base > 36) {
    errno = EINVAL;
    if (end) *end = (char*)s;
    return 0;
  }
  for (; (d = digit_value((unsigned char)*p, base)) >= 0; ++p) {
    if (value > (limit - (unsigned long)d) / (unsigned long)base) {
      *overflow = 1;
      value = limit;
    } else if (!*overflow) {
      value = value * (unsigned long)base + (unsigned long)d;
    }
  }
  if (end) *end = (char*)(p == first ? s : p);
  return value;
}

long strtol(const char* s, char** end, int base) {
  int negative, overflow;
  /* The magnitude may reach LONG_MAX + 1 when negative (LONG_MIN). */
  unsigned long v = parse_number(s, end, base, (unsigned long)LONG_MAX + 1, &negative, &overflow);
  if (!negative && v > LONG_MAX) overflow = 1;
  if (overflow) {
    errno = ERANGE;
    return negative ? LONG_MIN : LONG_MAX;
  }
  return negative ? (long)(0 - v) : (long)v;
}

unsigned long strtoul(const char* s, char** end, int base) {
  int negative, overflow;
  unsigned long v = parse_number(s, end, base, ULONG_MAX, &negative, &overflow);
  if (overflow) {
    errno = ERANGE;
    return ULONG_MAX;
  }
  return negative ? 0 - v : v;
}

int atoi(const char* s) { return (int)strtol(s, NULL, 10); }

int abs(int x) { return x < 0 ? -x : x; }

char* getenv(const char* name) {
  size_t n = strlen(name);
  for (char** e = environ; e && *e; ++e) {
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  }
  return NULL;
}

/* Shell sort: insertion sorts over gaps that shrink to 1. Swaps bytes, so any SIZE works. */
void qsort(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*)) {
  char* a = base;
  for (size_t gap = n / 2; gap > 0; gap /= 2) {
    for (size_t i = gap; i < n; ++i) {
      for (size_t j = i; j >= gap && cmp(a + (j - gap) * size, a + j * size) > 0; j -= gap) {
        char* x = a + (j - gap) * size;
        char* y = a + j * size;
        for (size_t k = 0; k < size; ++k) {
          char t = x[k];
          x[k] = y[k];
          y[k] = t;
        }
      }
    }
  }
}
