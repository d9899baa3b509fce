// The kernel's workqueues: worker threads that run the work items of kernel/lib/work_core
// in process context, the C API of quartz/workqueue.h, system_wq, /proc/workqueues and the
// `wq` command, and what kfree and the module unloader ask of them.
//
// Contract (besides the C API's, in quartz/workqueue.h):
//   workqueue_init, workqueue_start_workers   boot (see below).
//   wq_find_in_range        any context (one interrupts-off section); fn runs with
//                           interrupts off and must not sleep.
//   wq_free_items_in_range  kfree, thread context: items in the freed block are reported
//                           and taken off (never waits).
//   wq_create_for           thread context (may sleep).
//   wq_undo_in_range        thread context (may sleep): a module whose init failed, or
//                           that failed: its items are cancelled (never run again) and
//                           its queues torn down without running what they hold.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/lib/work_core.h"

namespace quartz {
// The registry of workqueues (interrupts off to change; see kernel/workqueue.cpp).
extern wq::Registry g_wq_registry;
// Is any work item pending or running anywhere? kfree asks before wq_free_items_in_range:
// one load and a compare on its path when none is.
[[gnu::always_inline]] inline bool wq_any_active() {
  return __atomic_load_n(&g_wq_registry.active, __ATOMIC_RELAXED) != 0;
}

// Boot, after sched_init: system_wq (static, usable at once), /proc/workqueues.
void workqueue_init();
// Boot, after workqueue_init: system_wq's worker kworker/0:0.
void workqueue_start_workers();
// alloc_workqueue for another API (kernel/compat/workqueue26.cpp): a queue named `name`
// (copied) with its worker, created on behalf of the code at `owner` (rmmod's check
// names it if that module does not destroy it). Thread context; null after one line.
workqueue_struct* wq_create_for(const char* name, unsigned flags, uintptr_t owner);
// queue_delayed_work; with timer_for_zero, a delay of 0 arms the timer too (it fires
// after the next tick: Linux 2.6.19's queue_delayed_work) instead of queueing at once.
bool wq_queue_delayed(workqueue_struct* q, delayed_work* dw, unsigned long delay,
                      bool timer_for_zero);
// Linux 2.6.19's cancel_delayed_work: true if dw's timer was armed (disarmed, dw no longer
// pending); an item already queued or running is left alone. Any context, never waits.
bool wq_cancel_timer(delayed_work* dw, const char* op);
// What of the workqueues lies in [lo, hi) (see wq::find_in_range): pending or running
// items whose memory or function is there, and live queues created from code there.
size_t wq_find_in_range(uintptr_t lo, uintptr_t hi, wq::RangeFn fn, void* ctx);
// kfree's check: pending items in [lo, hi) are reported ("free of an active work item")
// and taken off their queues, a running one (by another thread) reported. Returns how many.
size_t wq_free_items_in_range(uintptr_t lo, uintptr_t hi);
// Cancels every item whose memory or function lies in [lo, hi) and tears down every
// queue created from there, without running anything more; `who` names the module in
// the lines printed. Returns how many items and queues it took away.
size_t wq_undo_in_range(uintptr_t lo, uintptr_t hi, const char* who);
}  // namespace quartz
