// Kernel-side task-queue services around the C API of quartz/tqueue.h: the tick's bottom
// half, holding it off, the views the module loader and the shell use, and the cleanup
// entry points for freed memory, unloaded modules and faults.
//
// Contract (besides the C API's, in quartz/tqueue.h):
//   tq_timer_drain          the bottom-half layer only (kernel/bottom_half.h), interrupts on.
//   tq_current_routine      any context: the routine running in THIS context (thread and
//                           interrupt level), for might_sleep.
//   tq_find_in_range, tq_forget_queues_in_range, tq_cancel_in_range, tq_free_queues_in_range
//                           any context, interrupts on or off (each is one interrupts-off
//                           section); never wait, never allocate. Callable from the fault
//                           path. Callbacks run with interrupts off and must not sleep or
//                           touch task queues.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/bottom_half.h"
#include "kernel/lib/task_queue.h"

extern "C" {
// Debug-objects: stamp a task as freed (kfree). A task that is still pending is reported
// ("free of an active task") and unlinked first. Kernel-private: not in the module API.
void tq_debug_mark_freed(struct tq_struct* task);
}

namespace quartz {
// Boot: /proc/tq, the `tq` command, tq_timer on the registry, and the fault-recovery hook
// that abandons a faulting thread's drains (see tq_abandon_drains_of_current_thread).
void tqueue_init();
// The TQUEUE_BH part of the bottom-half layer (kernel/bottom_half.h): drains tq_timer
// (with trace points when `traced`), or counts a tick it held off.
void tq_timer_drain(bool traced);
void tq_note_skipped_tick();
// The IMMEDIATE_BH part: drains tq_immediate (mark_bh(IMMEDIATE_BH) asked for it).
void tq_immediate_drain(bool traced);
// The routine running right now in a drain in the current context (this thread at this
// interrupt level), or null (for might_sleep). The process-context drainer's routines
// (keventd's, which may sleep) are not reported: null there.
void (*tq_current_routine())(void*);
// The same without the exception: whatever routine runs in this context (for messages).
void (*tq_routine_running_here())(void*);
// The thread whose thread-level drains run routines in process context, where they may
// sleep and take mutexes (Linux 2.4's keventd). Boot, once.
void tq_set_process_context_drainer(const struct Thread* thread);
// What in the task queues lies in [lo, hi) (see TaskQueue::find_in_range): pending tasks
// whose memory, routine or data is there, the running routine, and the head of a BUSY
// queue (kTqHitQueue; hit.queue->queued and ->draining say why). An idle, empty queue
// there is no leftover and is not reported. A pure view: whoever frees [lo, hi) takes
// such queues off the registry itself (tq_forget_queues_in_range, tq_free_queues_in_range).
size_t tq_find_in_range(uintptr_t lo, uintptr_t hi, TqRangeFn fn, void* ctx);
// Copies into out (at most cap) the tasks tq_find_in_range reports with any of the
// `what` bits (TqRangeWhat), for a caller that acts on them after the guard (cancel,
// mark freed): acting during the scan would cut its walk short. Returns how many.
size_t tq_collect_in_range(uintptr_t lo, uintptr_t hi, unsigned what, tq_struct** out, size_t cap);
// Unregisters every idle, empty queue whose head lies in [lo, hi); busy ones stay.
// The module loader calls it before freeing a module's memory. Returns how many.
size_t tq_forget_queues_in_range(uintptr_t lo, uintptr_t hi);
// Unlinks every pending task whose memory, routine or data lies in [lo, hi), so none of
// them ever runs; returns how many. No waiting, no report: a routine running right now
// is not stopped. For detaching a module that faulted.
size_t tq_cancel_in_range(uintptr_t lo, uintptr_t hi);
// kfree's check: every queue in [lo, hi) leaves the registry; a busy one is reported
// ("free of an active queue") and its tasks are taken off. Returns how many were busy.
size_t tq_free_queues_in_range(uintptr_t lo, uintptr_t hi);
// Whether freeing [lo, hi) concerns the task queues (TaskQueue::range_matters): kfree's
// cheap first question; when false, neither a pending task nor a busy or registered queue
// can be in the range.
bool tq_range_matters(uintptr_t lo, uintptr_t hi);
bool tq_is_pending(const tq_struct* task);
TqStats tq_stats(const task_queue* q);
bool tq_forget_queue(task_queue* q);
// The task-queue context of a thread at an interrupt depth (what Hooks::context() returns
// when that thread runs at that depth): the fault path and tests use it.
uintptr_t tq_context_of(const struct Thread* thread, uint32_t depth);
}  // namespace quartz
