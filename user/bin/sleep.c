/* sleep SECONDS: wait that long with nanosleep; SECONDS is a whole number or has a decimal
 * fraction (sleep 2, sleep 0.25). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* "N" or "N.FFF" into *T; 0, or -1 if it is not such a number (or too large). */
static int parse_seconds(const char* s, struct timespec* t) {
  long sec = 0, nsec = 0, scale = 100000000;
  const char* p = s;
  if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1]))) return -1;
  for (; isdigit((unsigned char)*p); ++p) {
    if (sec > 100000000) return -1; /* over three years: surely a mistake */
    sec = sec * 10 + (*p - '0');
  }
  if (*p == '.') {
    for (++p; isdigit((unsigned char)*p); ++p, scale /= 10) nsec += (*p - '0') * scale;
  }
  if (*p) return -1;
  t->tv_sec = sec;
  t->tv_nsec = nsec;
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "sleep: usage: sleep SECONDS\n");
    return 1;
  }
  struct timespec t;
  if (parse_seconds(argv[1], &t) < 0) {
    fprintf(stderr, "sleep: invalid time interval '%s'\n", argv[1]);
    return 1;
  }
  while (nanosleep(&t, &t) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "sleep: %s\n", strerror(errno));
      return 1;
    }
  }
  return 0;
}
