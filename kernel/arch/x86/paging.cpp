// The page directories (the kernel's and one per process) and every operation on them,
// all through one page-table walk.
#include "kernel/arch/x86/paging.h"
#include <new>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/kheap.h"
#include "kernel/panic.h"
#include "kernel/pmm.h"

extern "C" char _kernel_start[], _text_end[], __ro_end[], boot_stack_guard[];

namespace quartz {
namespace {
alignas(4096) uint32_t page_directory[1024];  // the kernel's: the master of the kernel half
constexpr uint32_t kCr0Paging = 1u << 31, kCr0WriteProtect = 1u << 16;
constexpr uint32_t kCr4PageSizeExtensions = 1u << 4;    // SDM Vol. 3A §2.5: CR4.PSE
constexpr uint32_t kCpuidPse = 1u << 3;                 // CPUID.01H:EDX bit 3
constexpr uintptr_t kLargePageSize = 1024 * kPageSize;  // what one directory entry covers
constexpr size_t kUserFirstPde = kUserBase >> 22, kUserEndPde = kUserLimit >> 22;
bool enabled = false;
uintptr_t identity_top = 0;  // the identity map ends here (for the self-tests)
IntrusiveList<AddressSpace, &AddressSpace::node> spaces;  // interrupts off

// Pages that must differ from their neighbours (NULL, the boot stack's guard page, the
// read-only text and rodata) all lie below this address.
uintptr_t fine_end() {
  const uintptr_t ro_end = reinterpret_cast<uintptr_t>(__ro_end);
  const uintptr_t guard_end = reinterpret_cast<uintptr_t>(boot_stack_guard) + kPageSize;
  return ro_end > guard_end ? ro_end : guard_end;
}

bool is_user(uintptr_t va) { return va >= kUserBase && va < kUserLimit; }

// The next present entry of a page table at index >= j (1024 if none). Four entries per
// step: most of a process's tables are empty, and fork, exec and exit each walk them all.
size_t next_present(const uint32_t* table, size_t j) {
  while (j < 1024 && !(table[j] & pte::kPresent) && (j & 3)) ++j;
  while (j < 1024 && !((table[j] | table[j + 1] | table[j + 2] | table[j + 3]) & pte::kPresent))
    j += 4;
  while (j < 1024 && !(table[j] & pte::kPresent)) ++j;
  return j;
}

// A fresh, cleared frame (reachable at its physical address), or 0.
uintptr_t zeroed_frame() {
  const uintptr_t frame = pmm_alloc();
  if (frame) __builtin_memset(reinterpret_cast<void*>(frame), 0, kPageSize);
  return frame;
}

// The one page-table walk: the entry for `va` in directory `pd`, or null if there is no
// table (none yet and !create, no memory for one, or a 4 MiB page). A table created in
// the kernel half goes into every address space's directory too, so the kernel half
// stays the same in all of them. Interrupts off (the caller's guard).
uint32_t* walk(uint32_t* pd, uintptr_t va, bool create) {
  uint32_t& pde = pd[va >> 22];
  if (pde & pte::kLargePage) return nullptr;  // a 4 MiB page: there is no table to walk
  if (!(pde & pte::kPresent)) {
    if (!create) return nullptr;
    const uintptr_t frame = zeroed_frame();
    if (!frame) return nullptr;
    // User tables carry the user bit in the directory entry (the page entries decide).
    pde = uint32_t(frame) | pte::kPresent | pte::kWritable | (is_user(va) ? pte::kUser : 0);
    if (!is_user(va))
      for (AddressSpace& as : spaces) as.pd[va >> 22] = pde;
  }
  return reinterpret_cast<uint32_t*>(pde & pte::kFrameMask);
}

uint32_t* active_pd() {
  return enabled ? reinterpret_cast<uint32_t*>(g_loaded_cr3) : page_directory;
}

// After a change to pd's entry for va: the TLB forgets va if the change can be seen from
// the active space. The kernel half is shared by every directory, so a kernel address is
// always flushed, whichever space is active (a thread stack mapped while a process's space
// is loaded must not be reached through a stale entry for the page that was there before).
void flush(const uint32_t* pd, uintptr_t va) {
  if (enabled && (!is_user(va) || pd == active_pd())) cpu::invlpg(va);
}

bool map_in(uint32_t* pd, uintptr_t va, uintptr_t pa, uint32_t flags) {
  InterruptDisabler guard;
  uint32_t* e = walk(pd, va, true);
  if (!e) return false;
  e += (va >> 12) & 0x3FF;
  if (*e & pte::kPresent) return false;
  *e = uint32_t(pa & pte::kFrameMask) | (flags & 0xFFF) | pte::kPresent;
  flush(pd, va);
  return true;
}

bool unmap_in(uint32_t* pd, uintptr_t va, uintptr_t* pa_out) {
  InterruptDisabler guard;
  uint32_t* e = walk(pd, va, false);
  if (!e) return false;
  e += (va >> 12) & 0x3FF;
  if (!(*e & pte::kPresent)) return false;
  if (pa_out) *pa_out = *e & pte::kFrameMask;
  *e = 0;
  flush(pd, va);
  return true;
}

bool protect_in(uint32_t* pd, uintptr_t va, uint32_t flags) {
  InterruptDisabler guard;
  uint32_t* e = walk(pd, va, false);
  if (!e) return false;
  e += (va >> 12) & 0x3FF;
  if (!(*e & pte::kPresent)) return false;
  *e = (*e & pte::kFrameMask) | (flags & 0xFFF) | pte::kPresent;
  flush(pd, va);
  return true;
}

bool translate_in(const uint32_t* pd, uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out) {
  const uint32_t pde = pd[va >> 22];
  if (!(pde & pte::kPresent)) return false;
  // A 4 MiB page answers as the 4 KiB entry that would map the same page.
  const uint32_t e =
      (pde & pte::kLargePage)
          ? (pde & ~(kLargePageSize - 1)) | (va & (kLargePageSize - 1) & pte::kFrameMask) |
                (pde & 0xFFF & ~pte::kLargePage)
          : reinterpret_cast<const uint32_t*>(pde & pte::kFrameMask)[(va >> 12) & 0x3FF];
  if (!(e & pte::kPresent)) return false;
  if (pa_out) *pa_out = (e & pte::kFrameMask) | (va & 0xFFF);
  if (flags_out) *flags_out = e & 0xFFF;
  return true;
}

void unmap_free_in(uint32_t* pd, uintptr_t lo, uintptr_t hi, size_t* count) {
  for (uintptr_t va = lo; va < hi; va += kPageSize) {
    uintptr_t pa;
    if (unmap_in(pd, va, &pa)) {
      pmm_free(pa);
      if (count) --*count;
    }
  }
}

// The one "map fresh pages, undo on failure".
bool map_fresh_in(uint32_t* pd, uintptr_t va, size_t bytes, uint32_t flags, bool zero,
                  size_t* count) {
  const uintptr_t end = va + bytes;
  for (uintptr_t p = va; p < end; p += kPageSize) {
    const uintptr_t frame = zero ? zeroed_frame() : pmm_alloc();
    if (!frame || !map_in(pd, p, frame, flags)) {
      if (frame) pmm_free(frame);
      unmap_free_in(pd, va, p, count);
      return false;
    }
    if (count) ++*count;
  }
  return true;
}

// Identity-maps the 4 MiB at chunk * 4 MiB with a page table of its own: pages below
// ram_top writable, except NULL and the boot stack's guard page (left unmapped) and the
// kernel's text and rodata (read-only).
void identity_map_with_table(size_t chunk, uintptr_t ram_top) {
  const uintptr_t frame = pmm_alloc();
  if (!frame) panic("paging: out of memory for the identity map's page tables");
  auto* table = reinterpret_cast<uint32_t*>(frame);  // frames are reachable as they are
  const uintptr_t base = chunk * kLargePageSize;
  const size_t mapped =
      ram_top - base >= kLargePageSize ? 1024 : (ram_top - base + kPageSize - 1) / kPageSize;
  // Every entry is written, so the table needs no clearing first; then the few pages
  // that differ from their neighbours are fixed up.
  for (size_t i = 0; i < mapped; ++i)
    table[i] = uint32_t(base + i * kPageSize) | pte::kPresent | pte::kWritable;
  for (size_t i = mapped; i < 1024; ++i) table[i] = 0;
  const auto in_chunk = [&](uintptr_t pa) { return pa >= base && pa - base < mapped * kPageSize; };
  const uintptr_t guard = reinterpret_cast<uintptr_t>(boot_stack_guard);
  if (in_chunk(0)) table[0] = 0;
  if (in_chunk(guard)) table[(guard - base) / kPageSize] = 0;
  const auto ro_begin = reinterpret_cast<uintptr_t>(_kernel_start);
  const auto ro_end = reinterpret_cast<uintptr_t>(__ro_end);
  for (uintptr_t pa = ro_begin; pa < ro_end; pa += kPageSize)
    if (in_chunk(pa)) table[(pa - base) / kPageSize] &= ~pte::kWritable;
  page_directory[chunk] = uint32_t(frame) | pte::kPresent | pte::kWritable;
}
}  // namespace

void paging_init(uintptr_t ram_top) {
  if (ram_top > kIdentityLimit) ram_top = kIdentityLimit;
  identity_top = ram_top;
  // The 4 MiB chunks below fine_end(), and a last chunk that is RAM only in part, get
  // 4 KiB page tables. Every other chunk is one directory entry with PS set (SDM Vol.
  // 3A §4.3, Table 4-4): no table to allocate or fill, which keeps boot short on a
  // machine with gigabytes.
  const size_t chunks = (ram_top + kLargePageSize - 1) / kLargePageSize;
  size_t large_from = chunks, large_to = chunks;  // [large_from, large_to): 4 MiB pages
  if (cpu::cpuid_features_edx() & kCpuidPse) {
    cpu::write_cr4(cpu::read_cr4() | kCr4PageSizeExtensions);
    large_from = (fine_end() + kLargePageSize - 1) / kLargePageSize;
    large_to = ram_top / kLargePageSize;
    if (large_from > large_to) large_from = large_to;
  }
  for (size_t c = 0; c < large_from; ++c) identity_map_with_table(c, ram_top);
  for (size_t c = large_from; c < large_to; ++c)
    page_directory[c] =
        uint32_t(c * kLargePageSize) | pte::kPresent | pte::kWritable | pte::kLargePage;
  for (size_t c = large_to; c < chunks; ++c) identity_map_with_table(c, ram_top);
  g_kernel_cr3 = g_loaded_cr3 = reinterpret_cast<uint32_t>(page_directory);
  cpu::write_cr3(g_kernel_cr3);
  cpu::write_cr0(cpu::read_cr0() | kCr0Paging | kCr0WriteProtect);
  enabled = true;
}

bool paging_map(uintptr_t va, uintptr_t pa, uint32_t flags) {
  return map_in(page_directory, va, pa, flags);
}
bool paging_unmap(uintptr_t va, uintptr_t* pa_out) { return unmap_in(page_directory, va, pa_out); }
bool paging_protect(uintptr_t va, uint32_t flags) { return protect_in(page_directory, va, flags); }

bool paging_translate(uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out) {
  if (!enabled) {
    if (pa_out) *pa_out = va;
    return true;
  }
  return translate_in(active_pd(), va, pa_out, flags_out);
}

bool paging_map_fresh(uintptr_t va, size_t bytes, uint32_t flags, bool zero) {
  return map_fresh_in(page_directory, va, bytes, flags, zero, nullptr);
}
void paging_unmap_free(uintptr_t lo, uintptr_t hi) {
  unmap_free_in(page_directory, lo, hi, nullptr);
}

uint32_t paging_cr3() { return reinterpret_cast<uint32_t>(page_directory); }

// ---- address spaces ----

AddressSpace* as_create() {
  void* rec = kmalloc(sizeof(AddressSpace));
  if (!rec) return nullptr;
  const uintptr_t frame = pmm_alloc();  // every entry is written below
  if (!frame) {
    kfree(rec);
    return nullptr;
  }
  auto* as = new (rec) AddressSpace;
  as->pd = reinterpret_cast<uint32_t*>(frame);
  __builtin_memset(as->pd + kUserFirstPde, 0, (kUserEndPde - kUserFirstPde) * sizeof(uint32_t));
  InterruptDisabler guard;
  // The kernel's two parts, below and above user memory.
  __builtin_memcpy(as->pd, page_directory, kUserFirstPde * sizeof(uint32_t));
  __builtin_memcpy(as->pd + kUserEndPde, page_directory + kUserEndPde,
                   (1024 - kUserEndPde) * sizeof(uint32_t));
  spaces.push_back(*as);
  return as;
}

void as_destroy(AddressSpace* as) {
  if (!as) return;
  {
    InterruptDisabler guard;
    if (active_pd() == as->pd) panic("as_destroy: the address space is active");
    spaces.remove(*as);
  }
  for (size_t i = kUserFirstPde; i < kUserEndPde; ++i) {
    const uint32_t pde = as->pd[i];
    if (!(pde & pte::kPresent)) continue;
    const auto* table = reinterpret_cast<const uint32_t*>(pde & pte::kFrameMask);
    for (size_t j = next_present(table, 0); j < 1024; j = next_present(table, j + 1))
      pmm_free(table[j] & pte::kFrameMask);
    pmm_free(pde & pte::kFrameMask);
  }
  pmm_free(reinterpret_cast<uintptr_t>(as->pd));
  as->~AddressSpace();
  kfree(as);
}

AddressSpace* as_clone(const AddressSpace* src) {
  AddressSpace* as = as_create();
  if (!as) return nullptr;
  for (size_t i = kUserFirstPde; i < kUserEndPde; ++i) {
    const uint32_t pde = src->pd[i];
    if (!(pde & pte::kPresent)) continue;
    const auto* table = reinterpret_cast<const uint32_t*>(pde & pte::kFrameMask);
    for (size_t j = next_present(table, 0); j < 1024; j = next_present(table, j + 1)) {
      const uint32_t e = table[j];
      const uintptr_t va = (i << 22) | (j << 12);
      const uintptr_t frame = pmm_alloc();
      if (!frame || !map_in(as->pd, va, frame, e & 0xFFF)) {
        if (frame) pmm_free(frame);
        as_destroy(as);
        return nullptr;
      }
      __builtin_memcpy(reinterpret_cast<void*>(frame),
                       reinterpret_cast<const void*>(e & pte::kFrameMask), kPageSize);
      ++as->pages;
    }
  }
  return as;
}

uint32_t g_loaded_cr3 = 0;
uint32_t g_kernel_cr3 = 0;

bool as_map_fresh(AddressSpace* as, uintptr_t va, size_t bytes, uint32_t flags, bool zero) {
  if (!user_range_ok(va, bytes)) return false;
  return map_fresh_in(as->pd, va, bytes, flags | pte::kUser, zero, &as->pages);
}

void as_unmap_free(AddressSpace* as, uintptr_t lo, uintptr_t hi) {
  if (!user_range_ok(lo, hi - lo)) return;
  unmap_free_in(as->pd, lo, hi, &as->pages);
}

bool as_translate(const AddressSpace* as, uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out) {
  return is_user(va) && translate_in(as->pd, va, pa_out, flags_out);
}

bool as_protect(AddressSpace* as, uintptr_t va, uint32_t flags) {
  return is_user(va) && protect_in(as->pd, va, flags | pte::kUser);
}

PagingLayout paging_layout() {
  return {identity_top,
          fine_end(),
          kLargePageSize,
          (cpu::cpuid_features_edx() & kCpuidPse) != 0,
          (cpu::read_cr4() & kCr4PageSizeExtensions) != 0,
          (cpu::read_cr0() & kCr0WriteProtect) != 0};
}

uint32_t paging_directory_entry(uintptr_t va) { return page_directory[va >> 22]; }

}  // namespace quartz
