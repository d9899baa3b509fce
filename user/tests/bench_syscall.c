/* bench_syscall [N]: the instructions of one getpid round trip through int $0x80 (user to
 * kernel and back), the minimum of N (default 1000), the rdtsc pair's own cost subtracted. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "user/tests/rdtsc.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  if (n <= 0) {
    fprintf(stderr, "usage: bench_syscall [ROUNDS]\n");
    return 2;
  }
  uint64_t pair = UINT64_MAX, best = UINT64_MAX;
  for (int i = 0; i < n; ++i) {
    uint64_t t0 = rdtsc();
    uint64_t t1 = rdtsc();
    if (t1 - t0 < pair) pair = t1 - t0;
  }
  for (int i = 0; i < n; ++i) {
    uint64_t t0 = rdtsc();
    getpid();
    uint64_t t1 = rdtsc();
    if (t1 - t0 < best) best = t1 - t0;
  }
  /* key=value for tools/bench.py and the tests, then words for people. */
  printf(
      "bench_syscall: getpid_instructions=%llu rounds=%d (getpid through int $0x80, min of %d, "
      "minus %llu for rdtsc itself)\n",
      (unsigned long long)(best - pair), n, n, (unsigned long long)pair);
  return 0;
}
