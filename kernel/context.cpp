// might_sleep(): the check every blocking function makes first, and msleep().
#include "context.h"
#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "kallsyms.h"
#include "panic.h"
#include "timer.h"
#include "tqueue.h"

namespace quartz {

void might_sleep(const char* what) {
  if (void (*routine)(void*) = tq_current_routine()) [[unlikely]] {
    const char* name = "?";
    uint32_t off = 0;
    ksyms_lookup(reinterpret_cast<uintptr_t>(routine), &name, &off);
    panic("%s called from task-queue routine %s (%p): routines run in interrupt context "
          "and must not sleep", what, name, reinterpret_cast<void*>(routine));
  }
  if (in_interrupt()) [[unlikely]]
    panic("%s called from interrupt context: interrupt handlers must not sleep", what);
}

}  // namespace quartz

extern "C" void msleep(unsigned int ms) {
  quartz::might_sleep("msleep");
  const unsigned long hz = quartz::timer_hz();
  const unsigned long target = jiffies + (ms * hz + 999) / 1000;
  while (long(jiffies - target) < 0) quartz::cpu::sti_and_hlt();
}
