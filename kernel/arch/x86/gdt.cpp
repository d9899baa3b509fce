// The GDT (flat 4 GiB code and data segments for rings 0 and 3) and the task-state segments.
#include "kernel/arch/x86/gdt.h"

extern "C" void gdt_load(const void* gdtr, uint32_t code_sel, uint32_t data_sel);
extern "C" void tss_load(uint32_t selector);

namespace quartz {
namespace {

struct [[gnu::packed]] GdtPointer {
  uint16_t limit;
  uint32_t base;
};

// Intel SDM Vol. 3A §3.4.5 (segment descriptor) and §8.2.2 (TSS descriptor).
constexpr uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (uint64_t(limit & 0xFFFF)) | (uint64_t(base & 0xFFFFFF) << 16) | (uint64_t(access) << 40) |
         (uint64_t((limit >> 16) & 0xF) << 48) | (uint64_t(flags & 0xF) << 52) |
         (uint64_t((base >> 24) & 0xFF) << 56);
}
constexpr uint8_t kAccessCode = 0x9A;      // present, ring 0, code, readable
constexpr uint8_t kAccessData = 0x92;      // present, ring 0, data, writable
constexpr uint8_t kAccessUserCode = 0xFA;  // present, ring 3, code, readable
constexpr uint8_t kAccessUserData = 0xF2;  // present, ring 3, data, writable
constexpr uint8_t kAccessTss = 0x89;       // present, ring 0, 32-bit available TSS
constexpr uint8_t kFlags4K32 = 0xC;        // 4 KiB granularity, 32-bit

alignas(8) uint64_t gdt[7];
Tss tss_double_fault;

}  // namespace

Tss g_main_tss;

void gdt_init() {
  gdt[0] = 0;
  gdt[1] = descriptor(0, 0xFFFFF, kAccessCode, kFlags4K32);
  gdt[2] = descriptor(0, 0xFFFFF, kAccessData, kFlags4K32);
  g_main_tss.iomap_base = sizeof(Tss);  // no I/O permission bitmap
  gdt[3] = descriptor(reinterpret_cast<uint32_t>(&g_main_tss), sizeof(Tss) - 1, kAccessTss, 0);
  gdt[4] =
      descriptor(reinterpret_cast<uint32_t>(&tss_double_fault), sizeof(Tss) - 1, kAccessTss, 0);
  gdt[5] = descriptor(0, 0xFFFFF, kAccessUserCode, kFlags4K32);
  gdt[6] = descriptor(0, 0xFFFFF, kAccessUserData, kFlags4K32);
  g_main_tss.ss0 = kKernelDataSelector;
  static GdtPointer gdtr;
  gdtr = {sizeof(gdt) - 1, reinterpret_cast<uint32_t>(&gdt)};
  gdt_load(&gdtr, kKernelCodeSelector, kKernelDataSelector);
  tss_load(kMainTssSelector);
}

void gdt_init_double_fault_task(uint32_t cr3, void (*entry)(), uintptr_t stack_top) {
  Tss& t = tss_double_fault;
  t.cr3 = cr3;
  t.eip = reinterpret_cast<uint32_t>(entry);
  t.eflags = 0x2;  // reserved bit 1 set, interrupts off
  t.esp = stack_top;
  t.ebp = 0;
  t.cs = kKernelCodeSelector;
  t.ds = t.es = t.fs = t.gs = t.ss = kKernelDataSelector;
  t.ss0 = kKernelDataSelector;
  t.esp0 = stack_top;
  t.iomap_base = sizeof(Tss);
}

const Tss& main_tss() { return g_main_tss; }

}  // namespace quartz
