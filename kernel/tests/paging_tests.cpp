// In-kernel self-tests of paging: the unmapped NULL and guard pages, read-only kernel text,
// the identity map's extent and 4 MiB pages, and a map/unmap round trip.
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/pmm.h"
#include "kernel/selftest.h"

extern "C" char boot_stack_guard[];

namespace quartz {
namespace {

SELFTEST(paging_null_page_and_guard_unmapped) {
  ST_EXPECT(!paging_is_mapped(0));
  ST_EXPECT(!paging_is_mapped(0xFFF));
  ST_EXPECT(!paging_is_mapped(reinterpret_cast<uintptr_t>(boot_stack_guard)));
  ST_EXPECT(paging_is_mapped(kPageSize));
  return true;
}

SELFTEST(paging_kernel_text_read_only) {
  uint32_t flags = 0;
  ST_EXPECT(paging_translate(reinterpret_cast<uintptr_t>(&paging_init), nullptr, &flags));
  ST_EXPECT(!(flags & pte::kWritable));
  ST_EXPECT(paging_layout().cr0_write_protect);
  static int data_word;
  ST_EXPECT(paging_translate(reinterpret_cast<uintptr_t>(&data_word), nullptr, &flags));
  ST_EXPECT(flags & pte::kWritable);
  return true;
}

// The identity map reaches the last page of RAM and stops there; every whole 4 MiB
// above the kernel is one large page (with PSE), which map/unmap/protect never split.
SELFTEST(paging_identity_map_covers_ram_in_large_pages) {
  const PagingLayout layout = paging_layout();
  uintptr_t pa = 0;
  uint32_t flags = 0;
  const uintptr_t last = layout.identity_top - kPageSize;
  ST_EXPECT(paging_translate(last + 0x123, &pa, &flags) && pa == last + 0x123);
  ST_EXPECT((flags & pte::kWritable) && !(flags & pte::kLargePage));
  if (layout.identity_top < kIdentityLimit) ST_EXPECT(!paging_is_mapped(layout.identity_top));
  const bool pse = layout.cpu_has_pse;
  ST_EXPECT(!pse || layout.cr4_pse);
  size_t large = 0, expected = 0;
  for (size_t c = 0; c < layout.identity_top / layout.large_page_size; ++c) {
    const uintptr_t base = c * layout.large_page_size;
    if (pse && base >= layout.fine_end) ++expected;
    if (!(paging_directory_entry(base) & pte::kLargePage)) continue;
    ++large;
    const uintptr_t va = base + layout.large_page_size - kPageSize + 0x10;
    ST_EXPECT(paging_translate(va, &pa, &flags) && pa == va && (flags & pte::kWritable));
    ST_EXPECT(!paging_map(va & pte::kFrameMask, kPageSize, pte::kWritable));  // mapped already
    ST_EXPECT(!paging_unmap(va, &pa) && !paging_protect(va, 0));              // not split
    ST_EXPECT(paging_translate(va, &pa, &flags) && pa == va && (flags & pte::kWritable));
  }
  ST_EXPECT(large == expected);
  return true;
}

SELFTEST(paging_map_unmap_roundtrip) {
  const uintptr_t va = kStackAreaBase + kStackAreaSize - kPageSize;  // a spare high page
  const uintptr_t frame = pmm_alloc();
  ST_EXPECT(frame != 0);
  ST_EXPECT(!paging_is_mapped(va));
  ST_EXPECT(paging_map(va, frame, pte::kWritable));
  ST_EXPECT(!paging_map(va, frame, pte::kWritable));  // already mapped: refused
  *reinterpret_cast<volatile uint32_t*>(va) = 0xC0FFEE;
  ST_EXPECT(*reinterpret_cast<volatile uint32_t*>(frame) == 0xC0FFEE);  // same frame
  uintptr_t pa = 0;
  ST_EXPECT(paging_translate(va + 12, &pa) && pa == frame + 12);
  ST_EXPECT(paging_unmap(va, &pa) && pa == frame);
  ST_EXPECT(!paging_is_mapped(va));
  ST_EXPECT(!paging_unmap(va, &pa));
  pmm_free(frame);
  return true;
}

// A kernel page remapped while a process's address space is active: the kernel half is
// shared, so the change must reach the TLB even though the active directory is not the
// kernel's. (A stale entry once sent a new thread's first stack frame to the freed page
// of the thread that had the slot before.)
SELFTEST(paging_kernel_remap_seen_from_a_process_space) {
  const uintptr_t va = kStackAreaBase + kStackAreaSize - kPageSize;  // a spare high page
  const uintptr_t a = pmm_alloc(), b = pmm_alloc();
  AddressSpace* as = as_create();
  ST_EXPECT(a && b && as);
  bool ok;
  {
    InterruptDisabler guard;  // no switch: the process's space stays loaded throughout
    as_activate(as);
    paging_map(va, a, pte::kWritable);
    *reinterpret_cast<volatile uint32_t*>(va) = 1;  // the TLB now holds va -> a
    uintptr_t pa;
    paging_unmap(va, &pa);
    paging_map(va, b, pte::kWritable);
    *reinterpret_cast<volatile uint32_t*>(va) = 2;  // must land in b
    paging_unmap(va, &pa);
    as_activate(nullptr);
    ok = *reinterpret_cast<volatile uint32_t*>(a) == 1 &&
         *reinterpret_cast<volatile uint32_t*>(b) == 2;
  }
  as_destroy(as);
  pmm_free(a);
  pmm_free(b);
  ST_EXPECT(ok);
  return true;
}

}  // namespace
}  // namespace quartz
