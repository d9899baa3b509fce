// The initial user stack of user_stack.h: strings at the top, the pointer table below.
#include "kernel/lib/user_stack.h"

#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {

constexpr uint32_t kWord = 4;          // a pointer on i386
constexpr uint32_t kEndMarker = 4;     // zero bytes at the very top
constexpr uint32_t kAuxWords = 3 * 2;  // (AT_PAGESZ, AT_ENTRY, AT_NULL) pairs

void put_word(uint8_t* p, uint32_t v) { __builtin_memcpy(p, &v, kWord); }

}  // namespace

int user_stack_build(uint8_t* buf, uint32_t buf_size, uint32_t stack_top, const UserString* argv,
                     uint32_t argc, const UserString* envp, uint32_t envc, uint32_t entry,
                     uint32_t* sp_out) {
  if (stack_top % 16 != 0 || buf_size > stack_top) return -EINVAL;
  // The limit, as Linux counts it: every string with its NUL, and one pointer each.
  uint64_t strings = 0;
  for (uint32_t i = 0; i < argc; ++i) strings += uint64_t{argv[i].len} + 1;
  for (uint32_t i = 0; i < envc; ++i) strings += uint64_t{envp[i].len} + 1;
  uint64_t pointers = (uint64_t{argc} + 1 + envc + 1) * kWord;
  if (strings + pointers > QUARTZ_ARG_MAX) return -E2BIG;

  uint64_t table_words = 1 + (uint64_t{argc} + 1) + (uint64_t{envc} + 1) + kAuxWords;
  uint64_t table_bytes = table_words * kWord;
  if (kEndMarker + strings + table_bytes > stack_top) return -E2BIG;
  uint64_t str_start = uint64_t{stack_top} - kEndMarker - strings;  // a user address
  uint64_t sp = (str_start - table_bytes) & ~uint64_t{15};
  if (stack_top - sp > buf_size) return -E2BIG;

  // User address a is buf[a - base].
  const uint64_t base = uint64_t{stack_top} - buf_size;
  uint8_t* const at_sp = buf + (sp - base);
  __builtin_memset(at_sp, 0, static_cast<size_t>(stack_top - sp));

  uint8_t* table = at_sp;
  put_word(table, argc);
  table += kWord;
  uint64_t str = str_start;
  auto copy_list = [&](const UserString* list, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      put_word(table, static_cast<uint32_t>(str));
      table += kWord;
      uint8_t* dst = buf + (str - base);
      if (list[i].len != 0) __builtin_memcpy(dst, list[i].ptr, list[i].len);
      dst[list[i].len] = '\0';
      str += uint64_t{list[i].len} + 1;
    }
    put_word(table, 0);  // the list's NULL
    table += kWord;
  };
  copy_list(argv, argc);
  copy_list(envp, envc);
  const uint32_t aux[kAuxWords] = {AT_PAGESZ, QUARTZ_PAGE_SIZE, AT_ENTRY, entry, AT_NULL, 0};
  for (uint32_t v : aux) {
    put_word(table, v);
    table += kWord;
  }
  *sp_out = static_cast<uint32_t>(sp);
  return 0;
}

}  // namespace quartz
