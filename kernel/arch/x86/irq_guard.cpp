// The failure path of assert_irqs_off (irq_guard.h): a contract said "interrupts off".
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/panic.h"

namespace quartz {
void irqs_on_bug(const char* where) { panic("BUG: %s called with interrupts on", where); }
}  // namespace quartz
