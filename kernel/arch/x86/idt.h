// The Interrupt Descriptor Table and the dispatch of vectors 0-47 to exception and IRQ
// handlers. Contract: handlers run with interrupts off (interrupt gates), on the stack of
// whatever was interrupted, and must not sleep.
#pragma once
#include <cstdint>
#include "interrupt_frame.h"

namespace quartz {

constexpr int kIrqBase = 0x20;  // PIC remapped to 0x20-0x2F
constexpr int kIrqCount = 16;

using IrqHandler = void (*)(InterruptFrame&);

// Boot only: fill the IDT (exceptions, IRQ stubs, the double-fault task gate) and load it.
void idt_init();
void idt_set_double_fault_task(uint16_t tss_selector);
// Installs the handler for legacy IRQ line `irq` (0-15) and unmasks the line.
void irq_register(int irq, IrqHandler handler);
// A hook run after the EOI of IRQ0 with interrupts enabled (the tick's bottom half).
void irq_set_tick_bottom_half(void (*fn)());

// Nesting depth of interrupt handlers (0 = thread context). IRQ paths and fault
// handlers use it to decide what is safe; written only with interrupts off.
extern volatile uint32_t g_interrupt_depth;
inline bool in_interrupt() { return g_interrupt_depth != 0; }

struct IrqStats {
  uint64_t count[kIrqCount];
  uint64_t spurious[kIrqCount];
};
const IrqStats& irq_stats();

}  // namespace quartz
