// The few C library functions the compiler and the kernel expect: memcpy, memmove,
// memset, memcmp, strlen, strcmp, strncmp (built with loop-to-call conversion off, so
// memset cannot become a call to itself); memcpy and memset move whole words with the
// CPU's string instructions where they can.
#include <cstddef>
#include <cstdint>
#include "kernel/arch/x86/cpu.h"

extern "C" {

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  // Whole words first when both ends allow it (pages, structures), then the tail.
  if (n >= 16 && ((reinterpret_cast<uintptr_t>(d) | reinterpret_cast<uintptr_t>(s)) & 3) == 0) {
    quartz::cpu::rep_movsl(d, s, n / 4);
    d += n & ~size_t(3);
    s += n & ~size_t(3);
    n &= 3;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  if (n >= 16 && (reinterpret_cast<uintptr_t>(d) & 3) == 0) {
    quartz::cpu::rep_stosl(d, uint8_t(c) * 0x01010101u, n / 4);
    d += n & ~size_t(3);
    n &= 3;
  }
  while (n--) *d++ = uint8_t(c);
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const uint8_t*>(a);
  const auto* y = static_cast<const uint8_t*>(b);
  for (; n; --n, ++x, ++y)
    if (*x != *y) return *x < *y ? -1 : 1;
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return uint8_t(*a) - uint8_t(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
  for (; n; --n, ++a, ++b) {
    if (*a != *b) return uint8_t(*a) - uint8_t(*b);
    if (!*a) return 0;
  }
  return 0;
}

}  // extern "C"
