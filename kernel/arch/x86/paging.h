// Two-level x86 paging (no PAE): the kernel's half of every address space (RAM
// identity-mapped below 1 GiB, in 4 MiB pages where nothing needs a 4 KiB page of its own;
// the heap, modules and thread stacks in the last GiB) and the user half of each process's
// address space (AddressSpace: its own page directory, the kernel's entries shared).
//
// Contract: map/unmap from thread context or boot (they take interrupts off inside);
// never from an interrupt handler, since a new page table comes from the page
// allocator. Facts: Intel SDM Vol. 3A §4.3, Figures 4-4 and 4-5.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/page_size.h"
#include "kernel/uapi/quartz/abi.h"

namespace quartz {

// RAM below this is identity-mapped (physical == virtual); the page allocator only
// hands out frames below it. Above it, up to kUserLimit, is user memory (each process's
// own); the three kernel areas below fill the last GiB. So 1 GiB is as far as the
// identity map can go (why, and RAM above it: docs/memory.md).
constexpr uintptr_t kIdentityLimit = QUARTZ_USER_BASE;  // 1 GiB
constexpr uintptr_t kUserBase = QUARTZ_USER_BASE, kUserLimit = QUARTZ_USER_LIMIT;
static_assert(kUserLimit == 0xC0000000);
constexpr uintptr_t kHeapBase = 0xC0000000, kHeapSize = 0x10000000;
constexpr uintptr_t kModuleBase = 0xD0000000, kModuleSize = 0x10000000;
constexpr uintptr_t kStackAreaBase = 0xE0000000, kStackAreaSize = 0x10000000;

namespace pte {
constexpr uint32_t kPresent = 1u << 0, kWritable = 1u << 1, kUser = 1u << 2;
constexpr uint32_t kLargePage = 1u << 7;  // PS in a directory entry: it maps 4 MiB itself
constexpr uint32_t kFrameMask = 0xFFFFF000u;
}  // namespace pte

// Whether [addr, addr + len) lies in user memory (and does not wrap): what every pointer
// a system call takes is checked against before it is touched.
inline bool user_range_ok(uintptr_t addr, size_t len) {
  return addr >= kUserBase && addr <= kUserLimit && len <= kUserLimit - addr;
}

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
// In the active address space (kernel addresses are the same in all of them).
bool paging_translate(uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out = nullptr);
inline bool paging_is_mapped(uintptr_t va) { return paging_translate(va, nullptr); }
uint32_t paging_cr3();
// Changes the flags of a mapped 4 KiB page, keeping its frame (e.g. module text to
// read-only). False if the page is not mapped or lies in a 4 MiB page.
bool paging_protect(uintptr_t va, uint32_t flags);
// Kernel areas: maps [va, va + bytes) (whole pages) to fresh frames with `flags`, cleared
// if `zero`; on failure (no memory, or a page already mapped) unmaps and frees what it
// mapped and returns false, so nothing changes.
bool paging_map_fresh(uintptr_t va, size_t bytes, uint32_t flags, bool zero);
// Unmaps [lo, hi) and frees the frames; pages not mapped are skipped.
void paging_unmap_free(uintptr_t lo, uintptr_t hi);

// A process's address space: a page directory whose kernel entries are the kernel's (so
// the kernel is mapped in every process, without the user bit), and whose user half,
// [kUserBase, kUserLimit), belongs to the process alone. Page tables and frames come
// from the page allocator, so they are reachable at their physical address.
struct AddressSpace {
  uint32_t* pd = nullptr;  // the page directory (its physical address is CR3's value)
  size_t pages = 0;        // user pages mapped (frames owned), page tables not counted
  size_t tables = 0;       // page tables of the user half
  IntrusiveListNode node;  // on the list of address spaces (kernel entries kept in step)
};
// Null if out of memory. The new space has no user pages.
AddressSpace* as_create();
// Frees every user page, table and the directory. Not the active space.
void as_destroy(AddressSpace* as);
// fork: a new space with a copy of every user page of `src` (same flags). Null if out
// of memory (nothing leaks).
AddressSpace* as_clone(const AddressSpace* src);
// Loads CR3 with the space (null: the kernel's own directory) if it is not loaded already.
// Inline: the scheduler calls it at every switch. g_loaded_cr3 mirrors CR3 (interrupts off
// wherever it changes), so the common case, no change, reads no control register.
extern uint32_t g_loaded_cr3;
extern uint32_t g_kernel_cr3;
inline void as_activate(const AddressSpace* as) {
  const uint32_t cr3 = as ? reinterpret_cast<uint32_t>(as->pd) : g_kernel_cr3;
  if (cr3 == g_loaded_cr3) return;
  g_loaded_cr3 = cr3;
  asm volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}
// User half only (false for an address outside it): fresh, zeroed pages at [va, va+bytes)
// with `flags` | user; undone on failure. Pages already mapped are an error. With
// zero = false the pages are not cleared: the caller must write every byte of them
// before the process runs (exec does, so that no old data reaches a program).
bool as_map_fresh(AddressSpace* as, uintptr_t va, size_t bytes, uint32_t flags, bool zero = true);
void as_unmap_free(AddressSpace* as, uintptr_t lo, uintptr_t hi);
// The frame behind a user address (for loading a program into a space that is not
// active). False if not mapped.
bool as_translate(const AddressSpace* as, uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out);
// Changes the flags of a mapped user page (keeps it a user page).
bool as_protect(AddressSpace* as, uintptr_t va, uint32_t flags);

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
