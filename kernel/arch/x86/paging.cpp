// The kernel page directory and the map/unmap/translate operations on it.
#include "paging.h"
#include "cpu.h"
#include "irq_guard.h"
#include "../../panic.h"
#include "../../pmm.h"
#include "../../selftest.h"

extern "C" char _kernel_start[], _text_end[], boot_stack_guard[];


namespace quartz {
namespace {
alignas(4096) uint32_t page_directory[1024];
constexpr uint32_t kCr0Paging = 1u << 31, kCr0WriteProtect = 1u << 16;
bool enabled = false;

uint32_t* table_for(uintptr_t va, bool create) {
  uint32_t& pde = page_directory[va >> 22];
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
}  // namespace

extern "C" char __ro_end[];

void paging_init(uintptr_t ram_top) {
  if (ram_top > kIdentityLimit) ram_top = kIdentityLimit;
  const uintptr_t ro_begin = reinterpret_cast<uintptr_t>(_kernel_start);
  const uintptr_t ro_end = reinterpret_cast<uintptr_t>(__ro_end);
  const uintptr_t guard = reinterpret_cast<uintptr_t>(boot_stack_guard);
  // Fill the tables directly, one 4 MiB table at a time: paging_map per page would cost
  // a guard and a directory walk for each of tens of thousands of pages at boot.
  for (uintptr_t table_va = 0; table_va < ram_top; table_va += 1024 * kPageSize) {
    uint32_t* table = table_for(table_va, true);
    if (!table) panic("paging: out of memory for the identity map's page tables");
    for (uint32_t i = 0; i < 1024; ++i) {
      const uintptr_t pa = table_va + i * kPageSize;
      if (pa >= ram_top) break;
      if (pa == 0 || pa == guard) continue;  // NULL and the boot stack's guard stay unmapped
      const bool read_only = pa >= ro_begin && pa < ro_end;
      table[i] = uint32_t(pa) | pte::kPresent | (read_only ? 0 : pte::kWritable);
    }
  }
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
  const uint32_t e = reinterpret_cast<const uint32_t*>(pde & pte::kFrameMask)[(va >> 12) & 0x3FF];
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

}  // namespace quartz

namespace quartz {
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
  ST_EXPECT(cpu::read_cr0() & kCr0WriteProtect);
  static int data_word;
  ST_EXPECT(paging_translate(reinterpret_cast<uintptr_t>(&data_word), nullptr, &flags));
  ST_EXPECT(flags & pte::kWritable);
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
}  // namespace quartz
