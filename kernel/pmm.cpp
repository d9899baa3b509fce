// Physical frame allocator over a bitmap (logic in kernel/lib/page_bitmap; which frames
// are RAM in kernel/lib/ram_map).
#include "kernel/pmm.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/console.h"
#include "kernel/multiboot.h"
#include "kernel/lib/page_bitmap.h"
#include "kernel/panic.h"
#include "kernel/lib/ram_map.h"

extern "C" char _kernel_start[], _kernel_end[];

namespace quartz {
namespace {
constexpr size_t kLimitPage = kIdentityLimit / kPageSize;
constexpr size_t kFirstMiBPages = 0x100000 / kPageSize;
constexpr size_t kMaxRegions = sizeof(BootInfo::mmap) / sizeof(BootInfo::mmap[0]) + 1;
constexpr size_t kMaxReserved = sizeof(BootInfo::modules) / sizeof(BootInfo::modules[0]) + 2;
PageBitmap frames;  // interrupts off
size_t usable_pages = 0;
PageSpan bitmap_span;  // the frames that hold the bitmap's words

size_t page_of(uint64_t addr) { return size_t(addr / kPageSize); }
size_t page_up(uint64_t addr) { return size_t((addr + kPageSize - 1) / kPageSize); }
}  // namespace

// Costs a few steps per memory map entry and per reserved range, and writes the bitmap
// only up to the highest range marked here (the first MiBs): the rest is written as
// allocation reaches it (see page_bitmap.h). No loop over the frames, so boot takes as
// long with 3 GiB as with 8 MiB.
uintptr_t pmm_init(const BootInfo& info) {
  RamRegion avail[kMaxRegions];
  size_t navail = 0;
  for (int i = 0; i < info.mmap_count; ++i)
    if (info.mmap[i].type == 1) avail[navail++] = {info.mmap[i].base, info.mmap[i].length};
  if (info.mmap_count == 0 && info.mem_upper_kib)  // no memory map: KiB of RAM above 1 MiB
    avail[navail++] = {0x100000, uint64_t(info.mem_upper_kib) * 1024};
  uint64_t beyond = 0;  // bytes of RAM at or above kIdentityLimit
  for (size_t i = 0; i < navail; ++i) {
    const uint64_t base = avail[i].base, end = base + avail[i].length;
    if (end > kIdentityLimit) beyond += end - (base > kIdentityLimit ? base : kIdentityLimit);
  }
  if (beyond)  // as Linux 2.4 without highmem: "Warning only 896MB will be used."
    kprintf("memory: %u MiB of RAM above %u MiB left unused (docs/memory.md)\n",
            unsigned(beyond >> 20), unsigned(kIdentityLimit >> 20));
  PageSpan ram[kMaxRegions];
  const size_t nram = ram_spans(avail, navail, kLimitPage, ram);
  if (nram == 0)
    panic("pmm: the memory map shows no RAM below %u MiB", unsigned(kIdentityLimit >> 20));
  const size_t npages = ram[nram - 1].end;

  // Never handed out: the first MiB (real-mode vectors, BIOS data, VGA memory), the
  // kernel image and the boot modules.
  static PageSpan reserved[kMaxReserved];  // boot runs this once; off the boot stack
  size_t nreserved = 0;
  reserved[nreserved++] = {0, kFirstMiBPages};
  reserved[nreserved++] = {page_of(reinterpret_cast<uintptr_t>(_kernel_start)),
                           page_up(reinterpret_cast<uintptr_t>(_kernel_end))};
  for (int i = 0; i < info.module_count; ++i) {
    const BootModule& m = info.modules[i];
    if (m.end > m.start) reserved[nreserved++] = {page_of(m.start), page_up(m.end)};
  }

  // The bitmap is sized to the RAM found and lives in the first free frames above 1 MiB
  // that hold it, as Linux 2.4's bootmem bitmap did: a small machine pays for a small
  // bitmap, and the kernel image does not grow with the largest machine it supports.
  const size_t bitmap_pages = page_up(PageBitmap::words_for(npages) * sizeof(uint32_t));
  size_t at = 0;
  if (!ram_first_fit(ram, nram, reserved, nreserved, kFirstMiBPages, bitmap_pages, &at))
    panic("pmm: no room for the page bitmap (%u pages)", unsigned(bitmap_pages));
  bitmap_span = {at, at + bitmap_pages};

  // Start from "all free" and take out the few small ranges that are not: the holes of
  // the memory map, what is reserved, the bitmap itself.
  frames.init_free(reinterpret_cast<uint32_t*>(at * kPageSize), npages);
  size_t prev = 0;
  for (size_t i = 0; i < nram; ++i) {
    frames.mark_used(prev, ram[i].begin - prev);
    prev = ram[i].end;
  }
  for (size_t i = 0; i < nreserved; ++i) {
    const size_t end = reserved[i].end < npages ? reserved[i].end : npages;
    if (reserved[i].begin < end) frames.mark_used(reserved[i].begin, end - reserved[i].begin);
  }
  frames.mark_used(bitmap_span.begin, bitmap_span.count());
  usable_pages = frames.free_count();
  return npages * kPageSize;
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

PmmLayout pmm_layout() { return {frames.total(), bitmap_span.begin, bitmap_span.end}; }
bool pmm_page_is_free(size_t page) { return frames.is_free(page); }

}  // namespace quartz
