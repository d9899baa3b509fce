// The kernel page directory and the map/unmap/translate operations on it.
#include "kernel/arch/x86/paging.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/panic.h"
#include "kernel/pmm.h"

extern "C" char _kernel_start[], _text_end[], __ro_end[], boot_stack_guard[];

namespace quartz {
namespace {
alignas(4096) uint32_t page_directory[1024];
constexpr uint32_t kCr0Paging = 1u << 31, kCr0WriteProtect = 1u << 16;
constexpr uint32_t kCr4PageSizeExtensions = 1u << 4;    // SDM Vol. 3A §2.5: CR4.PSE
constexpr uint32_t kCpuidPse = 1u << 3;                 // CPUID.01H:EDX bit 3
constexpr uintptr_t kLargePageSize = 1024 * kPageSize;  // what one directory entry covers
bool enabled = false;
uintptr_t identity_top = 0;  // the identity map ends here (for the self-tests)

// Pages that must differ from their neighbours (NULL, the boot stack's guard page, the
// read-only text and rodata) all lie below this address.
uintptr_t fine_end() {
  const uintptr_t ro_end = reinterpret_cast<uintptr_t>(__ro_end);
  const uintptr_t guard_end = reinterpret_cast<uintptr_t>(boot_stack_guard) + kPageSize;
  return ro_end > guard_end ? ro_end : guard_end;
}

uint32_t* table_for(uintptr_t va, bool create) {
  uint32_t& pde = page_directory[va >> 22];
  if (pde & pte::kLargePage) return nullptr;  // a 4 MiB page: there is no table to walk
  if (!(pde & pte::kPresent)) {
    if (!create) return nullptr;
    const uintptr_t frame = pmm_alloc();
    if (!frame) return nullptr;
    // Frames are identity-mapped, so the new table is reachable at its physical address.
    __builtin_memset(reinterpret_cast<void*>(frame), 0, kPageSize);
    pde = uint32_t(frame) | pte::kPresent | pte::kWritable;
  }
  return reinterpret_cast<uint32_t*>(pde & pte::kFrameMask);
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
  cpu::write_cr3(reinterpret_cast<uint32_t>(page_directory));
  cpu::write_cr0(cpu::read_cr0() | kCr0Paging | kCr0WriteProtect);
  enabled = true;
}

bool paging_map(uintptr_t va, uintptr_t pa, uint32_t flags) {
  InterruptDisabler guard;
  uint32_t* table = table_for(va, true);
  if (!table) return false;
  uint32_t& e = table[(va >> 12) & 0x3FF];
  if (e & pte::kPresent) return false;
  e = uint32_t(pa & pte::kFrameMask) | (flags & 0xFFF) | pte::kPresent;
  if (enabled) cpu::invlpg(va);
  return true;
}

bool paging_unmap(uintptr_t va, uintptr_t* pa_out) {
  InterruptDisabler guard;
  uint32_t* table = table_for(va, false);
  if (!table) return false;
  uint32_t& e = table[(va >> 12) & 0x3FF];
  if (!(e & pte::kPresent)) return false;
  if (pa_out) *pa_out = e & pte::kFrameMask;
  e = 0;
  if (enabled) cpu::invlpg(va);
  return true;
}

bool paging_translate(uintptr_t va, uintptr_t* pa_out, uint32_t* flags_out) {
  if (!enabled) {
    if (pa_out) *pa_out = va;
    return true;
  }
  const uint32_t pde = page_directory[va >> 22];
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

bool paging_protect(uintptr_t va, uint32_t flags) {
  InterruptDisabler guard;
  uint32_t* table = table_for(va, false);
  if (!table) return false;
  uint32_t& e = table[(va >> 12) & 0x3FF];
  if (!(e & pte::kPresent)) return false;
  e = (e & pte::kFrameMask) | (flags & 0xFFF) | pte::kPresent;
  cpu::invlpg(va);
  return true;
}

uint32_t paging_cr3() { return reinterpret_cast<uint32_t>(page_directory); }

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
