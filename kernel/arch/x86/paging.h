// Two-level x86 paging (no PAE): the kernel's one address space, with RAM identity-mapped
// (4 MiB pages where nothing in them needs a 4 KiB page of its own) and separate virtual
// areas, in 4 KiB pages, for the heap, modules and thread stacks.
//
// Contract: map/unmap from thread context or boot (they take interrupts off inside);
// never from an interrupt handler, since a new page table comes from the page
// allocator. Facts: Intel SDM Vol. 3A §4.3, Figures 4-4 and 4-5.
#pragma once
#include <cstdint>
#include "kernel/lib/page_size.h"

namespace quartz {

// RAM below this is identity-mapped (physical == virtual); the page allocator only
// hands out frames below it. Everything above is ours to lay out: the three areas
// below fill the last GiB of the 32-bit address space, so 3 GiB is as far as the
// identity map can go (RAM above it: docs/memory.md).
constexpr uintptr_t kIdentityLimit = 0xC0000000;  // 3 GiB
constexpr uintptr_t kHeapBase = 0xC0000000, kHeapSize = 0x10000000;
constexpr uintptr_t kModuleBase = 0xD0000000, kModuleSize = 0x10000000;
constexpr uintptr_t kStackAreaBase = 0xE0000000, kStackAreaSize = 0x10000000;

namespace pte {
constexpr uint32_t kPresent = 1u << 0, kWritable = 1u << 1, kUser = 1u << 2;
constexpr uint32_t kLargePage = 1u << 7;  // PS in a directory entry: it maps 4 MiB itself
constexpr uint32_t kFrameMask = 0xFFFFF000u;
}  // namespace pte

// Boot only: identity-maps [0, ram_top) except page 0 (so NULL faults) and the boot
// stack's guard page; maps the kernel's text and rodata read-only (CR0.WP on, so the
// kernel itself faults on a stray write there); turns paging on. Every whole 4 MiB of
// RAM above those pages is one 4 MiB page (CR4.PSE; 4 KiB tables if the CPU lacks PSE),
// so the cost does not grow with RAM beyond one directory entry per 4 MiB.
void paging_init(uintptr_t ram_top);
// The identity map's 4 MiB pages are never split: map refuses an address inside one (it
// is mapped), unmap and protect leave it alone and return false.
bool paging_map(uintptr_t va, uintptr_t pa, uint32_t flags);  // false: no memory, or mapped
bool paging_unmap(uintptr_t va, uintptr_t* pa_out);           // false: not mapped, or 4 MiB
// flags_out: the entry's low 12 bits; a 4 MiB page reports them as a 4 KiB entry would
// (no kLargePage), so callers need not know which kind maps the address.
bool paging_translate(uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out = nullptr);
inline bool paging_is_mapped(uintptr_t va) { return paging_translate(va, nullptr); }
uint32_t paging_cr3();
// Changes the flags of a mapped 4 KiB page, keeping its frame (e.g. module text to
// read-only). False if the page is not mapped or lies in a 4 MiB page.
bool paging_protect(uintptr_t va, uint32_t flags);

// For tests (kernel/tests/paging_tests.cpp): what paging_init chose, and the CPU state it set.
struct PagingLayout {
  uintptr_t identity_top;     // the identity map ends here (RAM, capped at kIdentityLimit)
  uintptr_t fine_end;         // the 4 MiB chunks below this have 4 KiB page tables
  uintptr_t large_page_size;  // what one directory entry covers (4 MiB)
  bool cpu_has_pse;           // CPUID.01H:EDX.PSE
  bool cr4_pse;               // CR4.PSE is on
  bool cr0_write_protect;     // CR0.WP is on
};
PagingLayout paging_layout();
uint32_t paging_directory_entry(uintptr_t va);  // the raw entry (pte::kLargePage: a 4 MiB page)

}  // namespace quartz
