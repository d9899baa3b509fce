// In-kernel self-tests of the page allocator: frames come from RAM outside the first MiB,
// the kernel image and the bitmap, go back, and the highest free frame is real RAM.
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/pmm.h"
#include "kernel/selftest.h"

extern "C" char _kernel_start[], _kernel_end[];

namespace quartz {
namespace {

SELFTEST(pmm_alloc_free_roundtrip) {
  const size_t before = pmm_free_pages();
  const PmmLayout layout = pmm_layout();
  uintptr_t frames_got[8];
  for (auto& f : frames_got) {
    f = pmm_alloc();
    ST_EXPECT(f != 0 && (f & (kPageSize - 1)) == 0);
    ST_EXPECT(f >= 0x100000);  // never the first MiB
    const auto ks = reinterpret_cast<uintptr_t>(_kernel_start),
               ke = reinterpret_cast<uintptr_t>(_kernel_end);
    ST_EXPECT(f + kPageSize <= ks || f >= ke);  // never the kernel image
    const size_t page = f / kPageSize;
    ST_EXPECT(page < layout.bitmap_begin || page >= layout.bitmap_end);  // nor the bitmap
  }
  ST_EXPECT(pmm_free_pages() == before - 8);
  for (auto f : frames_got) pmm_free(f);
  ST_EXPECT(pmm_free_pages() == before);
  return true;
}

// The highest free frame, the one the allocator hands out last: RAM at its physical
// address (through the identity map's large pages on a big machine).
SELFTEST(pmm_highest_free_frame_is_ram) {
  bool found = false, same = false;
  size_t managed = 0;
  {
    InterruptDisabler guard;  // nobody allocates it while we borrow it
    managed = pmm_layout().managed_pages;
    size_t page = managed;
    while (page > 0 && !pmm_page_is_free(page - 1)) --page;
    if (page > 0) {
      found = true;
      auto* word = reinterpret_cast<volatile uint32_t*>(page * kPageSize) - 1;  // its last word
      const uint32_t saved = *word;
      *word = 0x51A7E5u;
      same = *word == 0x51A7E5u;
      *word = saved;
    }
  }
  ST_EXPECT(found && same);
  ST_EXPECT(pmm_total_pages() <= managed);
  return true;
}

}  // namespace
}  // namespace quartz
