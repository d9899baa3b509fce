// String helpers of kstring.h (bounded copy, equality, prefix), for kernel and host.
#include "kernel/lib/kstring.h"

namespace quartz {

bool str_copy_n(char* dst, const char* src, size_t n, size_t cap) {
  size_t i = 0;
  if (src) {
    for (; i < n && src[i] && i + 1 < cap; ++i) dst[i] = src[i];
  }
  dst[i] = '\0';
  return !src || i == n || !src[i];
}

bool str_copy(char* dst, const char* src, size_t cap) {
  return str_copy_n(dst, src, ~size_t(0), cap);
}

bool str_eq(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

bool str_starts_with(const char* s, const char* prefix) {
  while (*prefix != '\0') {
    if (*s++ != *prefix++) return false;
  }
  return true;
}

}  // namespace quartz
