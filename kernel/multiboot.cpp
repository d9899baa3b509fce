// Copies the Multiboot 1 information structure into kernel storage before the
// allocators can hand out the memory it sits in.
#include "kernel/multiboot.h"
#include "kernel/lib/kstring.h"

namespace quartz {
namespace {
BootInfo info;

// Multiboot 1 info structure offsets (specification §3.3).
struct [[gnu::packed]] MbInfo {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
};
struct [[gnu::packed]] MbModule {
  uint32_t mod_start, mod_end, cmdline, pad;
};
struct [[gnu::packed]] MbMmapEntry {
  uint32_t size;  // of the rest of the entry, not counting this field
  uint64_t base, length;
  uint32_t type;
};
constexpr uint32_t kFlagMem = 1u << 0, kFlagCmdline = 1u << 2, kFlagMods = 1u << 3,
                   kFlagMmap = 1u << 6;

}  // namespace

bool multiboot_copy(uint32_t magic, uint32_t info_phys, const char** error) {
  if (magic != kMultibootBootloaderMagic) {
    *error = "not started by a Multiboot loader (EAX != 0x2BADB002)";
    return false;
  }
  const auto* mb = reinterpret_cast<const MbInfo*>(info_phys);
  info.flags = mb->flags;
  if (mb->flags & kFlagMem) {
    info.mem_lower_kib = mb->mem_lower;
    info.mem_upper_kib = mb->mem_upper;
  }
  if ((mb->flags & kFlagCmdline) && mb->cmdline)
    info.cmdline_truncated =
        !str_copy(info.cmdline, reinterpret_cast<const char*>(mb->cmdline), sizeof(info.cmdline));
  if (mb->flags & kFlagMmap) {
    uint32_t off = 0;
    while (off + sizeof(uint32_t) <= mb->mmap_length && info.mmap_count < 64) {
      const auto* e = reinterpret_cast<const MbMmapEntry*>(mb->mmap_addr + off);
      info.mmap[info.mmap_count++] = {e->base, e->length, e->type};
      off += e->size + sizeof(uint32_t);
    }
  }
  if (mb->flags & kFlagMods) {
    const auto* mods = reinterpret_cast<const MbModule*>(mb->mods_addr);
    if (mb->mods_count > uint32_t(kMaxBootModules))
      info.modules_ignored = int(mb->mods_count) - kMaxBootModules;
    for (uint32_t i = 0; i < mb->mods_count && info.module_count < kMaxBootModules; ++i) {
      BootModule& m = info.modules[info.module_count++];
      m.start = mods[i].mod_start;
      m.end = mods[i].mod_end;
      if (mods[i].cmdline) {
        // A path longer than the buffer keeps its end: the file name names the module (a
        // student tree in a deep directory passes long -initrd paths).
        const char* s = reinterpret_cast<const char*>(mods[i].cmdline);
        const size_t n = __builtin_strlen(s);
        str_copy(m.name, n >= sizeof(m.name) ? s + (n - (sizeof(m.name) - 1)) : s, sizeof(m.name));
      }
    }
  }
  return true;
}

const BootInfo& boot_info() { return info; }

}  // namespace quartz
