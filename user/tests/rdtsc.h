/* rdtsc for the benchmark programs: under QEMU -icount it counts instructions. */
#ifndef QUARTZ_USER_TESTS_RDTSC_H
#define QUARTZ_USER_TESTS_RDTSC_H
#include <stdint.h>

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return (uint64_t)hi << 32 | lo;
}

#endif
