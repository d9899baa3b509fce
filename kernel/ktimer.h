// Kernel timers in the kernel: the one TimerBase, the tick's "is one due" compare, the
// bottom half that runs them, and the views for might_sleep, kfree and the unloader.
//
// Contract (besides the C API's, in quartz/timer.h):
//   timer_due                   the tick (interrupts off): one compare.
//   timers_bottom_half*         the bottom-half layer only (kernel/bottom_half.h).
//   timer_current_function      any context: the function running in THIS context.
//   timer_find_in_range, timer_disarm_in_range, timer_debug_free_range
//                               any context; one interrupts-off section each; never wait.
//                               Callbacks run with interrupts off and must not sleep or
//                               touch timers.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/lib/timer_core.h"

namespace quartz {
extern TimerBase g_timer_base;

// Is a timer due at jiffies `j`? (The earliest expiry is cached in the base.)
[[gnu::always_inline]] inline bool timer_due(unsigned long j) {
  // A plain read: one aligned word, written with interrupts off; the compiler may fold
  // it into the compare (the empty tick's figure).
  return long(j - g_timer_base.next) >= 0;
}

// No timer armed and none running: kfree's check has nothing to find (two plain reads,
// inline: every kfree asks).
inline bool timers_idle() {
  return !g_timer_base.armed && !__atomic_load_n(&g_timer_base.running, __ATOMIC_RELAXED);
}

void timers_init();
void timers_bottom_half();
void timers_bottom_half_traced();
TimerFn timer_current_function();
size_t timer_find_in_range(uintptr_t lo, uintptr_t hi, TimerRangeFn fn, void* ctx);
// Disarms (no report) the armed timers whose memory or function is in [lo, hi).
size_t timer_disarm_in_range(uintptr_t lo, uintptr_t hi);
// kfree's check: every armed timer in [lo, hi) is reported ("free of an active timer")
// and disarmed; the block's timers are stamped freed. Returns how many were armed.
size_t timer_debug_free_range(uintptr_t lo, uintptr_t hi);
TimerStats timer_stats();
}  // namespace quartz
