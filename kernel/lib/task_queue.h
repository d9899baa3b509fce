// Task queues (Linux 2.2/2.4 tq_struct/tq_timer) as a pure library: queue, drain, cancel,
// debug-objects checks, and the read-only views behind the `tq` command and /proc/tq.
//
// The queue is intrusive: the links live in struct tq_struct (tqueue_api.h, C-compatible)
// and nothing is ever allocated. Interrupt masking is a template parameter (a guard type)
// so host tests can record it; everything the kernel supplies besides the guard comes in
// through a Hooks type (see TaskQueueHooksBase).
//
// Contract (who may call what, in which state):
//   queue_task        any context, interrupts on or off; takes the guard once.
//   run               any context. Takes the guard to take the whole list over, then once
//                     per task to claim it (see "Why one short guard per task" below) and
//                     calls each routine with the guard RELEASED, i.e. with the caller's
//                     interrupt state. The kernel calls it for tq_timer after IRQ0 with
//                     interrupts on, so routines run with interrupts ON (as in Linux).
//                     A run on a queue that is already draining (a nested tick) returns at
//                     once and counts one `delayed`: no nested drain ever starts; tasks
//                     queued meanwhile run at the next drain.
//   cancel_sync       thread context. May call Hooks::wait_while_running(), which may sleep.
//                     Called while the task's routine runs in the same context (from the
//                     routine itself, or from an interrupt nested on top of it), it can
//                     never complete: Hooks::fault(OwnRoutine) instead, nothing changed.
//   poison            wherever memory holding a task is freed; reports a still-pending
//                     task ("free of an active task"), unlinking it first, and a task whose
//                     routine runs in another context. A routine may free its own task.
//   views             stats/snapshot/queues/find_in_range copy under the guard into caller
//                     storage; nobody walks a live list with interrupts on.
//
// Why one short guard per task (Linux 2.4 walked the taken-over list with interrupts on):
// Linux had no cancel. Here cancel_sync may unlink a task that is still waiting in the
// taken-over batch (from a routine earlier in the batch, or from an interrupt). The batch
// therefore stays reachable from the queue head (`batch`) and each task is popped and
// claimed (next remembered, routine/data copied, pending cleared) in one indivisible step.
// The cost is one pushf/cli/popf per task; the routine itself never runs under the guard.
//
// A routine may free its own task: after calling the routine the drain never touches it.
// Its "running" state therefore lives in the queue head (`running`), not in the task.
//
// Kernel glue (kernel side, ~20 lines; nothing else is needed):
//   struct KernelTqHooks : quartz::TaskQueueHooksBase {
//     static uint64_t now() { return cpu::rdtsc(); }
//     static uintptr_t context() { return (uintptr_t)current_thread(); }  // or 1 before threads
//     static void wait_while_running(const tq_struct*) { yield(); }       // or cpu::hlt()
//     static void fault(const quartz::TqFault& f) {
//       const char* name = nullptr; uint32_t off;
//       ksyms_lookup((uintptr_t)f.routine, &name, &off);
//       char buf[192];
//       quartz::format_tq_fault(f, name, buf, sizeof buf);
//       panic("%s", buf);
//     }
//   };
//   using Tq = quartz::TaskQueue<quartz::InterruptDisabler, KernelTqHooks>;
//   DECLARE_TASK_QUEUE(tq_timer);
//   extern "C" int queue_task(tq_struct* t, task_queue* q) { return Tq::queue_task(t, q); }
//   extern "C" void run_task_queue(task_queue* q) { Tq::run(q); }
//   extern "C" int cancel_task_sync(tq_struct* t) { return Tq::cancel_sync(t); }
//   extern "C" void tq_debug_mark_freed(tq_struct* t) { Tq::poison(t); }
// The IRQ0 handler: EOI, then cpu::raw_sti() (or an "enable" guard), run_task_queue(&tq_timer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tqueue_api.h"

namespace quartz {

// Where the core takes the guard. A guard type constructible from TqSite receives it
// (host tests record it); otherwise the guard is default-constructed (the kernel's).
enum class TqSite : std::uint8_t {
  Queue,       // queue_task
  Takeover,    // run: take the whole list over
  Claim,       // run: pop and claim one task, or finish the drain
  Cancel,      // cancel_sync: unlink and mark cancelling
  CancelWait,  // cancel_sync: is the routine still running?
  Poison,      // poison
  Inspect,     // stats, snapshot, queues, find_in_range, is_pending, is_running, ...
  Registry,    // forget_queue, note_skipped
};

// Points of a drain or cancel where the core calls Hooks::step(), always with the guard
// released: where an interrupt could arrive. The kernel's step() is empty and vanishes.
enum class TqStep : std::uint8_t {
  AfterTakeover,   // list taken over, no task claimed yet (task == nullptr)
  AfterClaim,      // task claimed and pending cleared, routine not yet called
  AfterRoutine,    // routine returned; task is an identity only (it may be freed)
  AfterFinish,     // drain finished (task == nullptr)
  CancelUnlinked,  // cancel_sync: unlinked and marked cancelling, not yet waited
};

enum class TqFaultKind : std::uint8_t {
  NullPointer,   // task or queue is null
  UseAfterFree,  // task stamped freed (or slab poison 0x6b6b6b6b)
  BadMagic,      // debug state is none of the known values: uninitialised or corrupted
  BadSync,       // sync word has unknown bits
  BadState,      // pending bit disagrees with the debug state
  BadLink,       // links or queue pointer inconsistent
  OwnRoutine,    // cancel_sync from the task's own routine (deadlock)
  FreeActive,    // poison of a task still pending
  FreeRunning,   // poison of a task whose routine is running
  QueueBusy,     // forget_queue of a queue with tasks or a drain in progress
};

struct TqFault {
  TqFaultKind kind;
  const char* op;                  // "queue_task", "run_task_queue", ...
  const tq_struct* task;           // may be null (QueueBusy, NullPointer)
  void (*routine)(void*);          // the task's routine when it could be read safely
  const task_queue* queue;         // may be null
  std::uintptr_t a;                // kind-specific: bad magic/sync value, next link, count
  std::uintptr_t b;                // kind-specific: prev link
};

// "cancel_task_sync called from its own routine my_tick (task 0x...): deadlock".
// routine_name may be null (the routine's address is printed). Returns the full length,
// like snprintf; buf is always NUL-terminated when size > 0.
int format_tq_fault(const TqFault& fault, const char* routine_name, char* buf, std::size_t size);
const char* tq_fault_kind_name(TqFaultKind kind);

// Defaults for every hook; the kernel and the tests derive and hide what they need.
struct TaskQueueHooksBase {
  // Timestamp for the longest-drain statistic (rdtsc in the kernel).
  static std::uint64_t now() { return 0; }
  // Identity of the current execution context. A drain records it; cancel_sync compares
  // it to detect being called from inside the routine it would wait for. On a
  // uniprocessor the current thread is right: an interrupt runs on the thread it hit.
  static std::uintptr_t context() { return 0; }
  // cancel_sync found the routine running in another context: wait a little (sleep,
  // yield). May return early; the core re-checks under the guard and calls it again.
  static void wait_while_running(const tq_struct*) {}
  // A misuse was detected. The kernel panics; if this returns, the operation is refused
  // (returns 0) and no queue was changed.
  static void fault(const TqFault&) {}
  // Test seam: see TqStep.
  static void step(TqStep, task_queue*, const tq_struct*) {}
};

struct TqStats {
  const char* name;
  unsigned long queued;
  unsigned long drains;
  unsigned long tasks_run;
  unsigned long delayed;
  unsigned long skipped;
  std::uint64_t longest_drain;
  bool draining;
  void (*running_routine)(void*);  // routine running right now, or null
};

struct TqTaskInfo {
  const tq_struct* task;
  void (*routine)(void*);
  void* data;
  bool in_batch;  // taken over by the drain in progress, not yet run
};

// find_in_range: what lies inside [lo, hi).
enum TqRangeWhat : unsigned {
  kTqHitQueue = 1,    // the queue head itself (a queue declared in a module)
  kTqHitTask = 2,     // a pending task's memory
  kTqHitRoutine = 4,  // a pending task's routine
  kTqHitData = 8,     // a pending task's data pointer
  kTqHitRunning = 16, // the routine running right now
};

struct TqRangeHit {
  const task_queue* queue;
  const tq_struct* task;  // null for kTqHitQueue / kTqHitRunning
  void (*routine)(void*);
  void* data;
  unsigned what;          // TqRangeWhat bits
};
using TqRangeFn = void (*)(void* ctx, const TqRangeHit& hit);

// Guard-free pieces, callable only with the guard held (or on memory nobody else sees).
// Kept out of the template so the kernel and every test instantiation share them.
namespace tq_detail {
// Debug-objects check of a task before `op` touches it. On failure fills *fault.
bool check_task(const tq_struct* task, const char* op, TqFault* fault);
// Consistency of the queue head against a pending task's links (after check_task).
bool check_links(const tq_struct* task, const char* op, TqFault* fault);
void link_tail(task_queue* queue, tq_struct* task);
// Remove a pending task from its queue's list or from the batch of the drain in progress.
void unlink(tq_struct* task);
// The batch head failed the claim check: report it (fills *fault) and drop the batch.
void drop_corrupt_batch(task_queue* queue, TqFault* fault);
std::size_t copy_tasks(const task_queue* queue, TqTaskInfo* out, std::size_t cap);
TqStats read_stats(const task_queue* queue);
std::size_t scan_range(const task_queue* queue, std::uintptr_t lo, std::uintptr_t hi,
                       TqRangeFn fn, void* ctx);

inline tq_struct* load_running(const task_queue* q) {
  return __atomic_load_n(&q->running, __ATOMIC_RELAXED);
}

// Pop the first task of the batch and claim it: remember next, copy routine and data,
// then clear pending, so from here on queue_task may link it again (a self-requeue lands
// on queue->head: the next drain). Returns null when the batch is empty, or with *corrupt
// set when its head was freed or overwritten while queued (e.g. a module freed after a
// failed init): the rest of the batch cannot be trusted and is dropped. Inline: this is
// the per-task cost of a drain.
inline tq_struct* claim_next(task_queue* queue, void (**routine)(void*), void** data,
                             TqFault* fault, bool* corrupt) {
  tq_struct* task = queue->batch;
  if (!task) return nullptr;
  // Only the debug state is checked here (one compare per task): it is what a free, the
  // slab poison or a stray overwrite destroys. Links are checked by queue_task and cancel.
  if (task->tq_magic != TQ_MAGIC_PENDING) [[unlikely]] {
    drop_corrupt_batch(queue, fault);
    *corrupt = true;
    return nullptr;
  }
  // LAB(3) BEGIN: claim `task`: pop it off the batch, copy routine and data out, clear its links, count it, mark it idle, THEN clear pending; publish it as running
  tq_struct* next = task->tq_next;
  queue->batch = next;
  if (next) next->tq_prev = nullptr;
  *routine = task->routine;
  *data = task->data;
  task->tq_next = nullptr;
  task->tq_queue = nullptr;
  --queue->queued;
  task->tq_magic = TQ_MAGIC_IDLE;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);  // the copies above happen before pending clears
  task->sync &= ~TQ_SYNC_PENDING;
  __atomic_store_n(&queue->running_routine, *routine, __ATOMIC_RELAXED);
  __atomic_store_n(&queue->running, task, __ATOMIC_RELAXED);
  return task;
  // LAB(3) STUB: (void)routine; (void)data;
  // LAB(3) STUB: return nullptr;
  // LAB(3) END
}
}  // namespace tq_detail

template <class Guard>
Guard make_tq_guard([[maybe_unused]] TqSite site) {
  if constexpr (std::is_constructible_v<Guard, TqSite>) {
    return Guard(site);
  } else {
    return Guard();
  }
}

// The queue machinery for one interrupt-guard type and one set of hooks. All members are
// static: the state is in the task_queue heads and in one registry of queues per
// instantiation (the kernel has exactly one instantiation).
template <class Guard>
struct TqRegistry {
  inline static task_queue* head = nullptr;  // IRQs off
};

template <class Guard, class Hooks = TaskQueueHooksBase>
class TaskQueue {
 public:
  // queue_task(): 1 if queued at the tail; 0 if already pending anywhere, being
  // cancelled, or refused by a debug check (Hooks::fault called first).
  static int queue_task(tq_struct* task, task_queue* queue) {
    TqFault fault;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Queue);
      if (!task || !queue) {
        fault = TqFault{TqFaultKind::NullPointer, "queue_task", task, nullptr, queue, 0, 0};
      } else if (tq_detail::check_task(task, "queue_task", &fault)) {
        // LAB(3) BEGIN: already pending: 0 (after check_links; on a bad link fall through to report); else register the queue, refuse (0) while a cancel is in progress, link at the tail, 1
        if (task->sync & TQ_SYNC_PENDING) {
          if (tq_detail::check_links(task, "queue_task", &fault)) return 0;
        } else {
          register_locked(queue);
          if (task->sync & TQ_SYNC_CANCEL_MASK) return 0;  // cancel_sync in progress
          tq_detail::link_tail(queue, task);
          return 1;
        }
        // LAB(3) STUB: return 0;
        // LAB(3) END
      }
      // else check_task failed: fall through to report
    }
    Hooks::fault(fault);
    return 0;
  }

  // run_task_queue(): see the contract at the top of this file.
  static void run(task_queue* queue) {
    std::uint64_t start = 0;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Takeover);
      register_locked(queue);
      if (queue->draining) {
        ++queue->delayed;
        return;
      }
      if (!queue->head) {  // the common empty tick: one guard, no timestamps
        ++queue->drains;
        return;
      }
      // LAB(3) BEGIN: take the whole list over: mark the queue draining in this context, move it to `batch`, leave the queue empty
      queue->draining = 1;
      queue->drain_ctx = Hooks::context();
      queue->batch = queue->head;
      queue->head = queue->tail = nullptr;
      // LAB(3) END
      start = Hooks::now();
    }
    Hooks::step(TqStep::AfterTakeover, queue, nullptr);
    unsigned long ran = 0;
    for (;;) {
      void (*routine)(void*) = nullptr;
      void* data = nullptr;
      tq_struct* task;
      TqFault fault;
      bool corrupt = false;
      {
        auto guard = make_tq_guard<Guard>(TqSite::Claim);
        task = tq_detail::claim_next(queue, &routine, &data, &fault, &corrupt);
        if (!task) {
          queue->draining = 0;
          queue->drain_ctx = 0;
          queue->running_routine = nullptr;
          ++queue->drains;
          queue->tasks_run += ran;
          const std::uint64_t took = Hooks::now() - start;
          if (took > queue->longest_drain) queue->longest_drain = took;
        }
      }
      if (!task) {
        if (corrupt) Hooks::fault(fault);
        break;
      }
      Hooks::step(TqStep::AfterClaim, queue, task);
      if (routine) {
        routine(data);
        ++ran;
      }
      // Not running any more. Only the queue head is written: the task may be gone.
      // `running` alone says whether a routine runs; every reader of running_routine
      // checks it first, so that one is left for the next claim (or the drain's end)
      // to overwrite: one store less per task on the drain's hot path.
      __atomic_store_n(&queue->running, nullptr, __ATOMIC_RELAXED);
      __atomic_signal_fence(__ATOMIC_SEQ_CST);
      Hooks::step(TqStep::AfterRoutine, queue, task);
    }
    Hooks::step(TqStep::AfterFinish, queue, nullptr);
  }

  // cancel_task_sync(): on return the task is neither pending nor running, even if its
  // routine requeues itself (queue_task refuses it while cancelling). 1 if it was pending.
  static int cancel_sync(tq_struct* task) {
    int was_pending = 0;
    TqFault fault;
    bool refused = false;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Cancel);
      if (!task) {
        fault = TqFault{TqFaultKind::NullPointer, "cancel_task_sync", task, nullptr, nullptr, 0, 0};
        refused = true;
      } else if (!tq_detail::check_task(task, "cancel_task_sync", &fault) ||
                 ((task->sync & TQ_SYNC_PENDING) &&
                  !tq_detail::check_links(task, "cancel_task_sync", &fault))) {
        refused = true;
      } else if (task_queue* runner = running_queue_locked(task);
                 runner && runner->drain_ctx == Hooks::context()) {
        fault = TqFault{TqFaultKind::OwnRoutine, "cancel_task_sync", task,
                        runner->running_routine, runner, 0, 0};
        refused = true;
      } else {
        if (task->sync & TQ_SYNC_PENDING) {
          tq_detail::unlink(task);
          was_pending = 1;
        }
        task->sync += TQ_SYNC_CANCEL_ONE;
      }
    }
    if (refused) {
      Hooks::fault(fault);
      return 0;
    }
    Hooks::step(TqStep::CancelUnlinked, nullptr, task);
    for (;;) {
      {
        auto guard = make_tq_guard<Guard>(TqSite::CancelWait);
        if (!running_queue_locked(task)) {
          task->sync -= TQ_SYNC_CANCEL_ONE;
          break;
        }
      }
      Hooks::wait_while_running(task);
    }
    return was_pending;
  }

  // tq_debug_mark_freed(): stamp the task freed. Returns true if it was active (pending
  // or running), which is reported through Hooks::fault (a pending task is unlinked first
  // so the queue stays sound even when the report returns).
  static bool poison(tq_struct* task) {
    TqFault fault;
    bool report = false;
    bool active = false;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Poison);
      if (!task) return false;
      if (!tq_detail::check_task(task, "tq_debug_mark_freed", &fault)) {
        report = true;  // double free or garbage: leave it as it is
      } else {
        if (task->sync & TQ_SYNC_PENDING) {
          if (!tq_detail::check_links(task, "tq_debug_mark_freed", &fault)) {
            Hooks::fault(fault);  // not safe to unlink; leave everything alone
            return true;
          }
          fault = TqFault{TqFaultKind::FreeActive, "tq_debug_mark_freed", task, task->routine,
                          task->tq_queue, 0, 0};
          tq_detail::unlink(task);
          report = active = true;
        } else if (task_queue* runner = running_queue_locked(task);
                   runner && runner->drain_ctx != Hooks::context()) {
          // Freed by another context while its routine runs. (A routine freeing its own
          // task is fine: the drain never touches a task after calling its routine.)
          fault = TqFault{TqFaultKind::FreeRunning, "tq_debug_mark_freed", task,
                          runner->running_routine, runner, 0, 0};
          report = active = true;
        }
        task->tq_next = task->tq_prev = nullptr;
        task->tq_queue = nullptr;
        task->sync = 0;
        task->tq_magic = TQ_MAGIC_FREED;
      }
    }
    if (report) Hooks::fault(fault);
    return active;
  }

  // ---- read-only views (all under the guard, into caller storage) ----

  static bool is_pending(const tq_struct* task) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    return (task->sync & TQ_SYNC_PENDING) != 0;
  }

  static bool is_running(const tq_struct* task) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    return running_queue_locked(task) != nullptr;
  }

  // The routine running in the current context, if any: the kernel's sleep path asks
  // this to panic with the routine's name ("routines may not sleep").
  static auto current_routine() -> void (*)(void*) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    const std::uintptr_t self = Hooks::context();
    for (task_queue* q = registry(); q; q = q->next_queue) {
      if (tq_detail::load_running(q) && q->drain_ctx == self) return q->running_routine;
    }
    return nullptr;
  }

  static TqStats stats(const task_queue* queue) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    return tq_detail::read_stats(queue);
  }

  // Copies up to `cap` queued tasks in the order they will run (rest of the batch of the
  // drain in progress first) and the stats. Returns how many are queued in all.
  static std::size_t snapshot(const task_queue* queue, TqTaskInfo* out, std::size_t cap,
                              TqStats* stats_out) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    if (stats_out) *stats_out = tq_detail::read_stats(queue);
    tq_detail::copy_tasks(queue, out, cap);
    return queue->queued;
  }

  // Copies up to `cap` registered queues (every queue ever queued on or drained, until
  // forget_queue). Returns how many there are.
  static std::size_t queues(task_queue** out, std::size_t cap) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    std::size_t n = 0;
    for (task_queue* q = registry(); q; q = q->next_queue, ++n) {
      if (n < cap) out[n] = q;
    }
    return n;
  }

  // Does any queue hold, or run, anything inside [lo, hi)? For the module unloader and
  // kfree's debug check. fn (may be null) runs under the guard for each offending entry:
  // it must not sleep or touch task queues. Returns the number of offending entries.
  static std::size_t find_in_range(std::uintptr_t lo, std::uintptr_t hi, TqRangeFn fn, void* ctx) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    std::size_t hits = 0;
    for (task_queue* q = registry(); q; q = q->next_queue) {
      hits += tq_detail::scan_range(q, lo, hi, fn, ctx);
    }
    return hits;
  }

  // Makes a queue visible to the views (queues(), current_routine(), find_in_range())
  // before its first queue_task or drain; both register it anyway.
  static void register_queue(task_queue* queue) {
    auto guard = make_tq_guard<Guard>(TqSite::Registry);
    register_locked(queue);
  }

  // The kernel saw ticks on which it could not drain (e.g. lost PIT ticks).
  static void note_skipped(task_queue* queue, unsigned long ticks) {
    auto guard = make_tq_guard<Guard>(TqSite::Registry);
    queue->skipped += ticks;
  }

  // Remove a queue from the registry before its memory goes away (a module's own queue).
  // Refused (Hooks::fault QueueBusy, false) while it has tasks or is draining.
  static bool forget_queue(task_queue* queue) {
    TqFault fault;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Registry);
      if (queue->queued == 0 && !queue->draining) {
        for (task_queue** p = &registry(); *p; p = &(*p)->next_queue) {
          if (*p == queue) {
            *p = queue->next_queue;
            break;
          }
        }
        queue->next_queue = nullptr;
        queue->registered = 0;
        return true;
      }
      fault = TqFault{TqFaultKind::QueueBusy, "forget_queue", nullptr, nullptr, queue,
                      queue->queued, 0};
    }
    Hooks::fault(fault);
    return false;
  }

 private:
  static void register_locked(task_queue* queue) {
    if (!queue->registered) {
      queue->registered = 1;
      queue->next_queue = registry();
      registry() = queue;
    }
  }

  // The draining queue whose routine for `task` is running now, if any.
  static task_queue* running_queue_locked(const tq_struct* task) {
    for (task_queue* q = registry(); q; q = q->next_queue) {
      if (tq_detail::load_running(q) == task) return q;
    }
    return nullptr;
  }

  // Shared by every instantiation with the same Guard (the kernel's traced and plain
  // drains see one set of queues).
  static task_queue*& registry() { return TqRegistry<Guard>::head; }
};

}  // namespace quartz
