// Physical frame allocator over a bitmap (logic in kernel/lib/page_bitmap).
#include "pmm.h"
#include "arch/x86/irq_guard.h"
#include "arch/x86/paging.h"
#include "multiboot.h"
#include "page_bitmap.h"
#include "panic.h"
#include "selftest.h"

extern "C" char _kernel_start[], _kernel_end[];

namespace quartz {
namespace {
constexpr size_t kMaxPages = kIdentityLimit / kPageSize;
uint32_t bitmap_words[kMaxPages / 32];
PageBitmap frames;  // interrupts off
size_t usable_pages = 0;

size_t page_of(uint64_t addr) { return size_t(addr / kPageSize); }
size_t page_up(uint64_t addr) { return size_t((addr + kPageSize - 1) / kPageSize); }
}  // namespace

uintptr_t pmm_init(const BootInfo& info) {
  frames.init(bitmap_words, kMaxPages);
  uint64_t top = 0;
  for (int i = 0; i < info.mmap_count; ++i) {
    const MemoryRegion& r = info.mmap[i];
    if (r.type != 1) continue;
    uint64_t begin = r.base, end = r.base + r.length;
    if (end > kIdentityLimit) end = kIdentityLimit;
    if (begin >= end) continue;
    const size_t first = page_up(begin), last = page_of(end);
    if (last > first) frames.mark_free(first, last - first);
    if (end > top) top = end;
  }
  if (info.mmap_count == 0 && info.mem_upper_kib) {
    // No memory map: fall back to mem_upper (KiB of RAM above 1 MiB).
    uint64_t end = 0x100000 + uint64_t(info.mem_upper_kib) * 1024;
    if (end > kIdentityLimit) end = kIdentityLimit;
    frames.mark_free(page_of(0x100000), page_of(end) - page_of(0x100000));
    top = end;
  }
  frames.mark_used(0, page_of(0x100000));
  const auto ks = reinterpret_cast<uintptr_t>(_kernel_start), ke = reinterpret_cast<uintptr_t>(_kernel_end);
  frames.mark_used(page_of(ks), page_up(ke) - page_of(ks));
  for (int i = 0; i < info.module_count; ++i) {
    const BootModule& m = info.modules[i];
    if (m.end > m.start) frames.mark_used(page_of(m.start), page_up(m.end) - page_of(m.start));
  }
  usable_pages = frames.free_count();
  return uintptr_t(top);
}

uintptr_t pmm_alloc() {
  InterruptDisabler guard;
  size_t page;
  if (!frames.alloc(&page)) return 0;
  return page * kPageSize;
}

void pmm_free(uintptr_t frame) {
  InterruptDisabler guard;
  if ((frame & (kPageSize - 1)) || !frames.free(frame / kPageSize))
    panic("pmm_free: frame %p was not allocated (double free?)", reinterpret_cast<void*>(frame));
}

size_t pmm_free_pages() { return frames.free_count(); }
size_t pmm_total_pages() { return usable_pages; }

}  // namespace quartz

namespace quartz {
SELFTEST(pmm_alloc_free_roundtrip) {
  const size_t before = pmm_free_pages();
  uintptr_t frames_got[8];
  for (auto& f : frames_got) {
    f = pmm_alloc();
    ST_EXPECT(f != 0 && (f & (kPageSize - 1)) == 0);
    ST_EXPECT(f >= 0x100000);  // never the first MiB
    const auto ks = reinterpret_cast<uintptr_t>(_kernel_start), ke = reinterpret_cast<uintptr_t>(_kernel_end);
    ST_EXPECT(f + kPageSize <= ks || f >= ke);  // never the kernel image
  }
  ST_EXPECT(pmm_free_pages() == before - 8);
  for (auto f : frames_got) pmm_free(f);
  ST_EXPECT(pmm_free_pages() == before);
  return true;
}
}  // namespace quartz
