// What <linux/kernel.h> needs besides printk: sprintf and snprintf for modules (printk's
// "<N>" levels are stripped by printk itself, kernel/console.cpp).
#include <cstdarg>
#include <cstddef>
#include "kernel/lib/format.h"
#include <quartz/export.h>

extern "C" {
int sprintf(char* buf, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  // Linux's sprintf trusts the buffer: no limit but the address space's.
  const int n = quartz::vsnformat(buf, ~size_t(0) >> 1, fmt, ap);
  va_end(ap);
  return n;
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = quartz::vsnformat(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
}

EXPORT_SYMBOL(sprintf);
EXPORT_SYMBOL(snprintf);
