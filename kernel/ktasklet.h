// Tasklets in the kernel: the one TaskletBase, the tasklet parts of the bottom half, and
// the views for might_sleep, kfree and the unloader.
//
// Contract (besides the C API's, in quartz/interrupt.h):
//   tasklets_bottom_half        the bottom-half layer only (kernel/bottom_half.h).
//   tasklet_current_function    any context: the function running in THIS context.
//   tasklet_find_in_range, tasklet_drop_in_range, tasklet_debug_free_range
//                               any context; interrupts-off sections; never wait.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/lib/tasklet_core.h"

namespace quartz {
extern TaskletBase g_tasklet_base;

// Nothing scheduled, running or recorded after a kill: kfree's check has nothing to find.
inline bool tasklets_idle() {
  return !g_tasklet_base.scheduled && !__atomic_load_n(&g_tasklet_base.running, __ATOMIC_RELAXED) &&
         !g_tasklet_base.after_kill_count;
}

void tasklets_init();
// Runs the hi list (hi) or the normal one; a run refused (nested) marks itself again.
void tasklets_bottom_half(bool hi, bool traced);
uintptr_t tasklet_current_function();
size_t tasklet_find_in_range(uintptr_t lo, uintptr_t hi, TaskletRangeFn fn, void* ctx);
size_t tasklet_drop_in_range(uintptr_t lo, uintptr_t hi);
// kfree's check: scheduled tasklets in [lo, hi) are reported and taken off; returns how many.
size_t tasklet_debug_free_range(uintptr_t lo, uintptr_t hi);
}  // namespace quartz
