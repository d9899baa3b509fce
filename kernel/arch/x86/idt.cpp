// The IDT and interrupt_dispatch: routes vectors 0-31 to the fault handler and 32-47 to
// the registered IRQ handlers, filters spurious IRQs 7/15 and sends the EOI, between the
// generic irq_enter and irq_exit (kernel/irq.h).
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/irq.h"
#include "kernel/procfs.h"
#include "drivers/pic.h"

extern "C" const uint32_t isr_stub_table[48];
extern "C" char syscall_entry[];

namespace quartz {

uint32_t g_interrupt_depth = 0;

namespace {

struct [[gnu::packed]] IdtEntry {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t zero;
  uint8_t type_attr;
  uint16_t offset_high;
};
struct [[gnu::packed]] IdtPointer {
  uint16_t limit;
  uint32_t base;
};
// Intel SDM Vol. 3A §6.11, Figure 6-2.
constexpr uint8_t kInterruptGate32 = 0x8E;      // present, ring 0, 32-bit interrupt gate
constexpr uint8_t kTaskGate = 0x85;             // present, ring 0, task gate
constexpr uint8_t kUserInterruptGate32 = 0xEE;  // present, ring 3 may `int` to it

alignas(8) IdtEntry idt[256];
IrqHandler handlers[kIrqCount];
IrqStats stats;

void set_gate(int vector, uint32_t handler, uint16_t selector, uint8_t type) {
  idt[vector] = {uint16_t(handler & 0xFFFF), selector, 0, type, uint16_t(handler >> 16)};
}

}  // namespace

void idt_init() {
  for (int v = 0; v < 48; ++v)
    set_gate(v, isr_stub_table[v], kKernelCodeSelector, kInterruptGate32);
  set_gate(kSyscallVector, reinterpret_cast<uint32_t>(syscall_entry), kKernelCodeSelector,
           kUserInterruptGate32);
  g_pic.remap(kIrqBase, kIrqBase + 8);
  static IdtPointer idtr;
  idtr = {sizeof(idt) - 1, reinterpret_cast<uint32_t>(&idt)};
  asm volatile("lidt %0" ::"m"(idtr));
}

void idt_set_double_fault_task(uint16_t tss_selector) { set_gate(8, 0, tss_selector, kTaskGate); }

void irq_register(int irq, IrqHandler handler) {
  if (irq < 0 || irq >= kIrqCount) return;
  const bool was_on = cpu::interrupts_enabled();
  cpu::raw_cli();
  handlers[irq] = handler;
  g_pic.set_masked(irq, handler == nullptr);
  if (was_on) cpu::raw_sti();
}

const IrqStats& irq_stats() { return stats; }

namespace {
constexpr const char* kIrqNames[kIrqCount] = {
    "timer (PIT)", "keyboard", "cascade", "COM2", "COM1",       "-",   "-",     "LPT1 / spurious",
    "RTC",         "-",        "-",       "-",    "PS/2 mouse", "FPU", "ATA 1", "ATA 2 / spurious"};
void show_interrupts(ProcFile* out, void*) {
  proc_printf(out, "IRQ vector %10s %9s  device\n", "count", "spurious");
  for (int i = 0; i < kIrqCount; ++i)
    proc_printf(out, "%3d   0x%02x %10u %9u  %s\n", i, kIrqBase + i, stats.count[i],
                stats.spurious[i], kIrqNames[i]);
}
}  // namespace

void idt_register_proc() { proc_create("interrupts", show_interrupts, nullptr, nullptr); }

}  // namespace quartz

using namespace quartz;

namespace {
// Every vector: the generic kernel enters and leaves interrupt context (kernel/irq.h);
// the arch part only routes the vector and talks to the PIC. Two builds (see irq.h).
template <bool Traced>
[[gnu::always_inline]] inline void dispatch(InterruptFrame* frame) {
  const uint32_t vector = frame->vector;
  irq_enter<Traced>(vector);
  if (vector < kIrqBase) {
    fault_handle(*frame);
    exception_exit<Traced>(vector);
    return;
  }
  const int irq = int(vector) - kIrqBase;
  if ((irq == 7 || irq == 15) && g_pic.is_spurious(irq)) {
    ++stats.spurious[irq];
  } else {
    ++stats.count[irq];
    if (IrqHandler h = handlers[irq]) h(*frame);
    g_pic.eoi(irq);
  }
  irq_exit<Traced>(vector);
}
[[gnu::noinline]] void dispatch_traced(InterruptFrame* frame) { dispatch<true>(frame); }
}  // namespace

// isr.asm calls this for every vector. An interrupt from user mode goes back through
// exit_to_user_mode (called by isr.asm on that path: signals, rescheduling).
extern "C" void interrupt_dispatch(InterruptFrame* frame) {
  if (g_trace_enabled) [[unlikely]] {
    dispatch_traced(frame);
    return;
  }
  dispatch<false>(frame);
}
