// The Interrupt Descriptor Table and the dispatch of vectors 0-47 to exception and IRQ
// handlers. Contract: handlers run with interrupts off (interrupt gates), on the stack of
// whatever was interrupted, and must not sleep.
#pragma once
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"

namespace quartz {

constexpr int kIrqBase = 0x20;  // PIC remapped to 0x20-0x2F
constexpr int kIrqCount = 16;
constexpr int kSyscallVector = 0x80;  // int $0x80, as Linux i386 (kernel/process/syscall.cpp)

using IrqHandler = void (*)(InterruptFrame&);

// Boot only: fill the IDT (exceptions, IRQ stubs, the double-fault task gate) and load it.
void idt_init();
void idt_set_double_fault_task(uint16_t tss_selector);
// Installs the handler for legacy IRQ line `irq` (0-15) and unmasks the line.
void irq_register(int irq, IrqHandler handler);

// Nesting depth of interrupt handlers (0 = thread context). IRQ paths and fault
// handlers use it to decide what is safe; written only with interrupts off.
// Changed only by interrupt entry/exit (and the fault path's recovery), each of which
// leaves it as it found it, so plain atomic reads see a consistent value.
extern uint32_t g_interrupt_depth;
inline bool in_interrupt() { return __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) != 0; }

struct IrqStats {
  uint32_t count[kIrqCount];  // 32 bits: one instruction on the tick path
  uint32_t spurious[kIrqCount];
};
const IrqStats& irq_stats();
void idt_register_proc();  // /proc/interrupts: counts and spurious IRQs per line

}  // namespace quartz
