// The checked user-memory copies around uaccess.asm's fault-tolerant routines.
#include "kernel/arch/x86/uaccess.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/uapi/quartz/errno.h"

extern "C" const uint32_t uaccess_extable[], uaccess_extable_end[];

namespace quartz {

int copy_from_user(void* dst, uintptr_t user_src, size_t n) {
  if (!user_range_ok(user_src, n)) return -EFAULT;
  return uaccess_copy(dst, reinterpret_cast<const void*>(user_src), n);
}

int copy_to_user(uintptr_t user_dst, const void* src, size_t n) {
  if (!user_range_ok(user_dst, n)) return -EFAULT;
  return uaccess_copy(reinterpret_cast<void*>(user_dst), src, n);
}

int clear_user(uintptr_t user_dst, size_t n) {
  if (!user_range_ok(user_dst, n)) return -EFAULT;
  return uaccess_clear(reinterpret_cast<void*>(user_dst), n);
}

int strncpy_from_user(char* dst, uintptr_t user_src, size_t cap) {
  if (cap == 0 || user_src < kUserBase || user_src >= kUserLimit) return -EFAULT;
  // Never read past the user window: a string that runs into it is too long or bad.
  const size_t room = kUserLimit - user_src;
  const size_t limit = cap < room ? cap : room;
  const int r = uaccess_strncpy(dst, reinterpret_cast<const char*>(user_src), limit);
  if (r < 0) return r;
  if (size_t(r) == limit) return limit == cap ? -ENAMETOOLONG : -EFAULT;
  return r;
}

bool uaccess_fixup(InterruptFrame& frame) {
  for (const uint32_t* e = uaccess_extable; e < uaccess_extable_end; e += 2) {
    if (frame.eip == e[0]) {
      frame.eip = e[1];
      return true;
    }
  }
  return false;
}

}  // namespace quartz
