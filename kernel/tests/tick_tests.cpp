// In-kernel self-tests of the tick: jiffies advance with interrupts on, once per IRQ 0.
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/selftest.h"
#include "kernel/timer.h"

namespace quartz {
namespace {

SELFTEST(jiffies_advance_with_interrupts_on) {
  ST_EXPECT(cpu::interrupts_enabled());
  const unsigned long start = jiffies;
  wait_ticks(3);
  ST_EXPECT(jiffies - start >= 3);
  ST_EXPECT(irq_stats().count[0] >= jiffies);
  return true;
}

}  // namespace
}  // namespace quartz
