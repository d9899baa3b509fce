// libFuzzer harness for kernel/lib/elf_module: validation, layout, relocation and the
// helpers over arbitrary bytes, with ASan and UBSan watching every access.
//
// Accepted images are relocated into buffers sized exactly per layout (capped at
// kMaxRegion each); ASan catches any write past them. A resolver knows a few kernel names
// so both resolved and "unknown symbol" paths run.
#include "kernel/lib/elf_module.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel/lib/ksyms.h"

using namespace quartz;

namespace {

constexpr uint32_t kMaxRegion = 1u << 20;  // cap for the fuzzer's allocations (per region)

bool resolve(void*, const char* name, uint32_t* addr) {
  static const struct {
    const char* name;
    uint32_t addr;
  } known[] = {{"printk", 0xC0101230}, {"kernel_ticks", 0xC0200040}, {"__udivdi3", 0xC0105550}};
  for (const auto& k : known) {
    if (std::strcmp(k.name, name) == 0) {
      *addr = k.addr;
      return true;
    }
  }
  return false;
}

[[noreturn]] void die(const char* why) {
  std::fprintf(stderr, "elf_fuzz: %s\n", why);
  std::abort();
}

void check_line(const ElfError& err) {
  size_t len = strnlen(err.msg, sizeof err.msg);
  if (len == 0 || len >= sizeof err.msg || std::memchr(err.msg, '\n', len) != nullptr)
    die("error message is not one line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exact-size heap buffer so ASan sees any read past the image.
  std::vector<uint8_t> image(data, data + size);
  ElfInfo info;
  ElfError err;
  if (!elf_validate(image.data(), image.size(), &info, &err, 4u << 20)) {
    check_line(err);
    return 0;
  }
  static ElfLayout layout;  // ~1 KiB, reused
  if (!elf_layout(info, &layout, &err)) {
    check_line(err);
    return 0;
  }
  if (layout.text_size > kMaxRegion || layout.data_size > kMaxRegion) return 0;
  std::vector<uint8_t> text(layout.text_size);
  std::vector<uint8_t> data_region(layout.data_size);
  ElfLoad load{text.empty() ? nullptr : text.data(), 0xC0800000,
               data_region.empty() ? nullptr : data_region.data(), 0xC0A00000};
  if (!elf_relocate(info, layout, load, resolve, nullptr, &err)) {
    check_line(err);
    return 0;
  }

  uint32_t addr;
  elf_find_symbol(info, layout, load, "init_module", &addr);
  elf_find_section(info, ".modinfo");
  elf_for_each_defined_global(
      info, layout, load, [](void*, const char* n, uint32_t, uint8_t) { return n[0] != 0; },
      nullptr);
  elf_for_each_undefined(
      info, [](void*, const char* n, bool) { return n[0] != 0; }, nullptr);
  size_t need = elf_symbol_blob_size(info, layout);
  std::vector<uint8_t> blob(need);
  if (elf_write_symbol_blob(info, layout, load, blob.data(), blob.size()) != need)
    die("blob size mismatch");
  SymbolTable table;
  if (!table.init(blob.data(), blob.size())) die("SymbolTable::init refused the symbol blob");
  const char* name;
  uint32_t off;
  table.lookup(0xC0800010, &name, &off);
  return 0;
}
