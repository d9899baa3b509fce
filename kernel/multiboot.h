// What the boot loader told us, copied out of the Multiboot 1 information structure at
// the first opportunity (facts: Multiboot 1 specification §3.3).
#pragma once
#include <cstdint>

namespace quartz {

constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;

struct MemoryRegion {
  uint64_t base;
  uint64_t length;
  uint32_t type;  // 1 = available RAM
};

struct BootModule {
  uint32_t start;  // physical, page aligned (we ask for it in the header)
  uint32_t end;    // exclusive
  char name[64];   // the module's command line, e.g. "/boot/modules/sched.ko"
};

// Boot modules kept: the tests pass every shipped and test module at once (67 of them);
// more are counted in modules_ignored, and reported.
constexpr int kMaxBootModules = 96;

struct BootInfo {
  uint32_t flags;
  uint32_t mem_lower_kib, mem_upper_kib;
  char cmdline[1024];
  bool cmdline_truncated;
  MemoryRegion mmap[64];
  int mmap_count;
  BootModule modules[kMaxBootModules];
  int module_count;
  int modules_ignored;  // beyond kMaxBootModules
};

// Copies the info structure, command line, memory map and module list into static
// storage. Boot only, before any allocator runs. Returns false (with a message for the
// caller to print) if the magic is wrong.
bool multiboot_copy(uint32_t magic, uint32_t info_phys, const char** error);
const BootInfo& boot_info();

}  // namespace quartz
