// might_sleep(): the check every blocking function makes first, and msleep().
#include "kernel/might_sleep.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/kallsyms.h"
#include "kernel/ktasklet.h"
#include "kernel/ktimer.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/lib/time_conv.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"

namespace quartz {

// Names come from ksyms_describe: "sleepy_routine+0x0" in the kernel, "sched_tick+0x0
// [sched]" in a module (live or unloaded), else the address.
void might_sleep(const char* what, const void* caller) {
  if (void (*routine)(void*) = tq_current_routine()) [[unlikely]] {
    char name[96];
    ksyms_describe(reinterpret_cast<uintptr_t>(routine), name, sizeof name);
    panic(
        "%s called from task-queue routine %s (%p): routines run in interrupt context "
        "and must not sleep",
        what, name, reinterpret_cast<void*>(routine));
  }
  if (TimerFn fn = timer_current_function()) [[unlikely]] {
    char name[96];
    ksyms_describe(reinterpret_cast<uintptr_t>(fn), name, sizeof name);
    panic(
        "%s called from timer function %s (%p): timer functions run in interrupt context "
        "and must not sleep",
        what, name, reinterpret_cast<void*>(fn));
  }
  if (const uintptr_t fn = tasklet_current_function()) [[unlikely]] {
    char name[96];
    ksyms_describe(fn, name, sizeof name);
    panic(
        "%s called from tasklet function %s (%p): tasklets run in interrupt context and "
        "must not sleep",
        what, name, reinterpret_cast<void*>(fn));
  }
  if (in_interrupt()) [[unlikely]] {
    char name[96];
    ksyms_describe(reinterpret_cast<uintptr_t>(caller), name, sizeof name);
    panic("%s called from interrupt context by %s: interrupt handlers must not sleep", what, name);
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
