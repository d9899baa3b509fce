// The Global Descriptor Table (flat ring 0 and ring 3 segments) and the two hardware
// task-state segments: the main TSS (its esp0 is the kernel stack an interrupt from user
// mode lands on; the CPU saves the interrupted context there on a double fault) and the
// double-fault TSS, whose own stack lets a kernel stack overflow be reported.
#pragma once
#include <cstdint>

namespace quartz {

constexpr uint16_t kKernelCodeSelector = 0x08;
constexpr uint16_t kKernelDataSelector = 0x10;
constexpr uint16_t kMainTssSelector = 0x18;
constexpr uint16_t kDoubleFaultTssSelector = 0x20;
// Ring 3: GDT entries 5 and 6 with RPL 3 (Intel SDM Vol. 3A §3.4.2).
constexpr uint16_t kUserCodeSelector = 0x28 | 3;
constexpr uint16_t kUserDataSelector = 0x30 | 3;

// 32-bit TSS layout, Intel SDM Vol. 3A §8.2.1 (Figure 8-2).
struct [[gnu::packed]] Tss {
  uint16_t link, link_hi;
  uint32_t esp0;
  uint16_t ss0, ss0_hi;
  uint32_t esp1;
  uint16_t ss1, ss1_hi;
  uint32_t esp2;
  uint16_t ss2, ss2_hi;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint16_t es, es_hi, cs, cs_hi, ss, ss_hi, ds, ds_hi, fs, fs_hi, gs, gs_hi;
  uint16_t ldt, ldt_hi;
  uint16_t trap, iomap_base;
};
static_assert(sizeof(Tss) == 104);

// Loads the GDT, reloads every segment register and loads the main TSS. Boot only.
void gdt_init();
// Points the double-fault TSS at its handler and stack; needs paging's CR3. Boot only.
void gdt_init_double_fault_task(uint32_t cr3, void (*entry)(), uintptr_t stack_top);
// The main TSS: after a double fault it holds the registers of the context that faulted.
const Tss& main_tss();
// The stack an interrupt or system call from user mode starts on (TSS.esp0): the top of
// the running thread's kernel stack. The scheduler sets it at every switch (inline).
extern Tss g_main_tss;
inline void gdt_set_kernel_stack(uintptr_t top) { g_main_tss.esp0 = top; }

}  // namespace quartz
