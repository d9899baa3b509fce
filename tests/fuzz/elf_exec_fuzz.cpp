// libFuzzer harness for kernel/lib/elf_exec: elf_exec_plan over arbitrary bytes, with ASan
// and UBSan watching every read, and every promise of the header's contract checked on
// each accepted plan (segments in the user window, inside the file, sorted, no shared page,
// the entry in an executable segment, brk at the end).
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/elf_exec.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace quartz;

namespace {

[[noreturn]] void die(const char* why) {
  std::fprintf(stderr, "elf_exec_fuzz: %s\n", why);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> image(data, data + size);  // exact size: ASan sees reads past it
  ExecPlan plan;
  ExecError err;
  int r = elf_exec_plan(image.data(), image.size(), &plan, &err);
  if (r != 0) {
    size_t len = strnlen(err.msg, sizeof err.msg);
    if (r != -ENOEXEC || len == 0 || len >= sizeof err.msg || plan.count != 0) die("bad refusal");
    for (size_t i = 0; i < len; ++i)
      if (err.msg[i] < 0x20 || err.msg[i] >= 0x7f) die("unprintable error message");
    return 0;
  }
  if (plan.count == 0 || plan.count > kExecMaxSegments) die("segment count");
  uint64_t total = 0, prev_end = 0;
  bool entry_ok = false;
  for (uint32_t i = 0; i < plan.count; ++i) {
    const ExecSegment& s = plan.segments[i];
    uint32_t start, end;
    elf_exec_pages(s, &start, &end);
    if (s.memsz == 0 || s.filesz > s.memsz) die("sizes");
    if (uint64_t{s.offset} + s.filesz > size) die("file bytes outside the image");
    if (start < QUARTZ_USER_BASE || end > QUARTZ_USER_LIMIT || end <= start) die("window");
    if ((s.vaddr ^ s.offset) & (QUARTZ_PAGE_SIZE - 1)) die("congruence");
    if (i > 0 && start < prev_end) die("shared page or order");
    if ((s.flags & ~uint32_t{PF_R | PF_W | PF_X}) != 0) die("flags");
    if ((s.flags & PF_X) && plan.entry >= s.vaddr && plan.entry - s.vaddr < s.memsz)
      entry_ok = true;
    total += end - start;
    prev_end = end;
  }
  if (!entry_ok) die("entry");
  if (total > kExecMaxMemory) die("memory cap");
  if (plan.brk != prev_end) die("brk");
  return 0;
}
