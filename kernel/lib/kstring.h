// The kernel's string helpers, one of each idea: a bounded copy that always terminates,
// equality, a prefix test. Pure and host-tested; the kernel has no C library.
//
// Contract: any context; nothing here allocates, locks or faults on valid strings. A
// null source counts as the empty string; other arguments must not be null.
#pragma once

#include <cstddef>

namespace quartz {

// Copies src into dst, which holds cap bytes (cap >= 1), cutting it if needed; dst is
// always NUL-terminated. Returns true if all of src fit.
bool str_copy(char* dst, const char* src, size_t cap);
// Copies at most n characters of src (which need not be terminated within them) into dst
// (cap >= 1 bytes), always terminated. Returns true if nothing was cut.
bool str_copy_n(char* dst, const char* src, size_t n, size_t cap);
bool str_eq(const char* a, const char* b);
bool str_starts_with(const char* s, const char* prefix);

}  // namespace quartz
