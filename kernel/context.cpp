// might_sleep(): the check every blocking function makes first, and msleep().
#include "context.h"
#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "kallsyms.h"
#include "panic.h"
#include "sched.h"
#include "time_conv.h"
#include "timer.h"
#include "tqueue.h"

namespace quartz {
namespace {
const char* symbol_of(const void* addr, uint32_t* off) {
  const char* name = "?";
  *off = 0;
  ksyms_lookup(reinterpret_cast<uintptr_t>(addr), &name, off);
  return name;
}
}  // namespace

void might_sleep(const char* what, const void* caller) {
  if (void (*routine)(void*) = tq_current_routine()) [[unlikely]] {
    uint32_t off;
    const char* name = symbol_of(reinterpret_cast<const void*>(routine), &off);
    panic("%s called from task-queue routine %s (%p): routines run in interrupt context "
          "and must not sleep", what, name, reinterpret_cast<void*>(routine));
  }
  if (in_interrupt()) [[unlikely]] {
    uint32_t off;
    const char* name = symbol_of(caller, &off);
    panic("%s called from interrupt context by %s+0x%x: interrupt handlers must not sleep",
          what, name, off);
  }
}

}  // namespace quartz

// The conversion is 64-bit (kernel/lib/time_conv.h): ms * hz overflowed 32 bits from
// 4294967 ms at HZ=1000. sleep_ticks takes the 64-bit count and chunks what lies beyond
// one deadline's horizon.
extern "C" void msleep(unsigned int ms) {
  quartz::might_sleep("msleep", __builtin_return_address(0));
  quartz::sleep_ticks(quartz::ms_to_ticks(ms, quartz::timer_hz()));
}
