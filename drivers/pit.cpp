// Programs PIT channel 0 (logic in kernel/lib/pit8253.h) with interrupts off.
#include "drivers/pit.h"
#include "kernel/lib/pit8253.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"

namespace quartz {
void pit_set_hz(uint32_t hz) {
  InterruptDisabler guard;
  pit_program<cpu::PortIo>(hz);
}
}  // namespace quartz
