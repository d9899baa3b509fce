// Kernel-side task-queue services around the C API of tqueue_api.h: the tick's bottom
// half, holding it off, and the views the module loader and the shell use.
#pragma once
#include <cstddef>
#include <cstdint>
#include "task_queue.h"

namespace quartz {
void tqueue_init();  // boot: /proc/tq and the `tq` command
// IRQ 0's bottom half: drains tq_timer (or counts a skipped tick). Called by the IRQ 0
// path after the EOI, with interrupts on.
void tq_timer_bottom_half();
void tq_timer_bottom_half_traced();  // the same with trace points (tracing on)
// Holds off the tq_timer drain (like Linux's local_bh_disable): ticks still count
// jiffies, and each tick that could not drain is counted as skipped. Nests.
void bh_disable();
void bh_enable();
// The routine running right now in a drain, or null (for might_sleep).
void (*tq_current_routine())(void*);
size_t tq_find_in_range(uintptr_t lo, uintptr_t hi, TqRangeFn fn, void* ctx);
bool tq_is_pending(const tq_struct* task);
TqStats tq_stats(const task_queue* q);
bool tq_forget_queue(task_queue* q);
}  // namespace quartz
