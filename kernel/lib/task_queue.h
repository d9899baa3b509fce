// Task queues (Linux 2.2/2.4 tq_struct/tq_timer) as a pure library: queue, drain, cancel,
// debug-objects checks, the registry of queues, and the read-only views behind the `tq`
// command and /proc/tq.
//
// The queue is intrusive: the links live in struct tq_struct (quartz/tqueue.h, C-compatible)
// and nothing is ever allocated. Interrupt masking is a template parameter (a guard type)
// so host tests can record it; everything the kernel supplies besides the guard comes in
// through a Hooks type (see TaskQueueHooksBase).
//
// Contract (who may call what, in which state). "Context" is Hooks::context(): in the
// kernel the pair (current thread, interrupt depth), so a drain in one thread and a
// drain in an interrupt handler on top of it are two contexts, and so are two threads.
//   queue_task        any context, interrupts on or off; takes the guard once.
//   run               any context. Takes the guard to take the whole list over, then once
//                     per task to claim it (see "Why one short guard per task" below) and
//                     calls each routine with the guard RELEASED, i.e. with the caller's
//                     interrupt state. The kernel calls it for tq_timer after IRQ0 with
//                     interrupts on, so routines run with interrupts ON (as in Linux).
//                     A run on a queue that is already draining in the same context (a
//                     nested tick), or from a caller that cannot wait
//                     (Hooks::may_wait_for_drain), returns at once and counts one
//                     `delayed`: no nested drain ever starts; tasks queued meanwhile run
//                     at the next drain. A run on a queue another context drains waits
//                     (Hooks::wait_for_drain, guard released) for that drain to end and
//                     then drains the queue itself.
//                     A task found corrupt at the head of the batch (freed, overwritten,
//                     re-initialised while pending) is reported and dropped alone; the
//                     rest of the batch, found again from `batch_tail`, runs in order.
//   cancel_sync       thread context. If the task's routine runs in ANOTHER context (a
//                     thread-drained queue whose thread was preempted), it waits through
//                     Hooks::wait_while_running(), which may sleep or yield; it never waits
//                     otherwise. Called while the routine runs in the SAME context (from
//                     the routine itself) it could never complete: Hooks::fault(OwnRoutine)
//                     instead, nothing changed.
//   poison            wherever memory holding a task is freed; reports a still-pending
//                     task ("free of an active task"), unlinking it first, and a task whose
//                     routine runs in another context. A routine may free its own task.
//   free_queues_in_range  wherever memory is freed (kfree): forgets the idle, empty queues
//                     in it and reports a busy one ("free of an active queue"), taking its
//                     tasks off first.
//   forget_queues_in_range, cancel_in_range, abandon_drains
//                     the module loader and the fault path: no waiting, no Hooks::fault,
//                     safe with interrupts off (one guard section each).
//   views             stats/snapshot/queues/list/find_in_range copy under the guard into
//                     caller storage; nobody walks a live list with interrupts on.
//
// The registry of queues and transient queues. Every queue ever queued on or drained is
// on a registry (for the views, current_routine and the unloader) until it is forgotten.
// A queue for which Hooks::transient() is true (in the kernel: its head is on a thread's
// stack) is kept there only while it has tasks or a drain: the core forgets it as soon
// as it is empty and idle (end of a drain, cancel or unlink of its last task, a refused
// queue_task), so a function's returned frame never stays on the registry. Its owner must
// empty it before returning; a busy queue on a dead frame is the owner's bug.
//
// Every `*_locked` helper runs with the guard held and says so through
// Hooks::assert_guard_held(name) (the kernel checks that interrupts are off; host tests
// check their fake guard's depth). The per-task claim (claim_next) does not assert: it
// sits inside the Claim guard block in run() and is the drain's hot path.
//
// Why one short guard per task (Linux 2.4 walked the taken-over list with interrupts on):
// Linux had no cancel. Here cancel_sync may unlink a task that is still waiting in the
// taken-over batch (from a routine earlier in the batch, or from an interrupt). The batch
// therefore stays reachable from the queue head (`batch`, `batch_tail`) and each task is
// popped and claimed (next remembered, routine/data copied, pending cleared) in one
// indivisible step. The cost is one pushf/cli/popf per task; the routine itself never
// runs under the guard.
//
// A routine may free its own task: after calling the routine the drain never touches it.
// Its "running" state therefore lives in the queue head (`running`), not in the task.
//
// Kernel glue (kernel/tq_kernel.cpp; in short):
//   struct KernelTqHooks : quartz::TaskQueueHooksBase {
//     static uint64_t now() { return cpu::rdtsc(); }
//     static uintptr_t context() { return (uintptr_t)current_thread() + g_interrupt_depth; }
//     static bool transient(const task_queue* q) { return on_a_thread_stack(q); }
//     static void wait_while_running(const tq_struct*) { might_sleep(...); thread_yield(); }
//     static bool may_wait_for_drain() { return g_interrupt_depth == 0 && current_thread(); }
//     static void wait_for_drain(const task_queue*) { thread_yield(); }
//     static void assert_guard_held(const char* f) { if (interrupts_enabled()) panic(f); }
//     static void fault(const quartz::TqFault& f) {
//       char name[96], buf[256];
//       ksyms_describe((uintptr_t)f.routine, name, sizeof name);
//       quartz::format_tq_fault(f, name, buf, sizeof buf);
//       ... panic("%s", buf) for OwnRoutine, else print it with a backtrace ...
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

#include <quartz/tqueue.h>

namespace quartz {

// Where the core takes the guard. A guard type constructible from TqSite receives it
// (host tests record it); otherwise the guard is default-constructed (the kernel's).
enum class TqSite : std::uint8_t {
  Queue,       // queue_task
  Takeover,    // run: take the whole list over
  Claim,       // run: pop and claim one task, or finish the drain
  Cancel,      // cancel_sync: unlink and mark cancelling; cancel_in_range
  CancelWait,  // cancel_sync: is the routine still running?
  Poison,      // poison, free_queues_in_range
  Inspect,     // stats, snapshot, queues, list, find_in_range, is_pending, is_running, ...
  Registry,    // forget_queue, forget_queues_in_range, register_queue, note_skipped
  Recover,     // abandon_drains (the fault path)
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
  NullPointer,      // task or queue is null
  UseAfterFree,     // task stamped freed (or slab poison 0x6b6b6b6b)
  BadMagic,         // debug state is none of the known values: uninitialised or corrupted
  BadSync,          // sync word has unknown bits
  BadState,         // pending bit disagrees with the debug state
  BadLink,          // links or queue pointer inconsistent
  OwnRoutine,       // cancel_sync from the task's own routine (deadlock)
  FreeActive,       // poison of a task still pending
  FreeRunning,      // poison of a task whose routine is running
  QueueBusy,        // forget_queue of a queue with tasks or a drain in progress
  Reinitialised,    // a drain found a task idle (INIT_TQUEUE'd) while it was pending
  FreeActiveQueue,  // free_queues_in_range of a queue with tasks or a drain in progress
};
constexpr TqFaultKind kTqLastFaultKind = TqFaultKind::FreeActiveQueue;

struct TqFault {
  TqFaultKind kind;
  const char* op;          // "queue_task", "run_task_queue", ...
  const tq_struct* task;   // may be null (QueueBusy, FreeActiveQueue, NullPointer)
  void (*routine)(void*);  // the task's routine when it could be read (never called)
  // The queue involved, or null. For a task that failed a check (UseAfterFree ..
  // BadLink, Reinitialised) it is set only when a drain found the task in its batch: the
  // task was dropped from that queue and the rest of the batch runs.
  const task_queue* queue;
  std::uintptr_t a;  // kind-specific: bad magic/sync value, next link, count
  std::uintptr_t b;  // kind-specific: prev link, draining
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
  // Identity of the current execution context: a drain records it; cancel_sync compares
  // it to detect being called from inside the routine it would wait for, and
  // current_routine() to tell whose routine runs. Must differ between threads and
  // between interrupt levels of one thread (the kernel: thread + interrupt depth).
  static std::uintptr_t context() { return 0; }
  // cancel_sync found the routine running in another context: wait a little (sleep,
  // yield). May return early; the core re-checks under the guard and calls it again.
  // Called only when there really is something to wait for.
  static void wait_while_running(const tq_struct*) {}
  // A misuse was detected. The kernel panics; if this returns, the operation is refused
  // (returns 0) and no queue was changed (see each kind for the exceptions).
  static void fault(const TqFault&) {}
  // Is this queue transient (on a stack frame that will be gone)? See the registry rule
  // at the top of this file. Asked only when a queue becomes empty and idle, or is
  // registered while empty.
  static bool transient(const task_queue*) { return false; }
  // run() found its queue drained in another context: may this caller wait for that
  // drain to end (a thread), or must it count a delayed drain (an interrupt)? And how it
  // waits: give the CPU to others (it may return early; run() checks again).
  static bool may_wait_for_drain() { return false; }
  static void wait_for_drain(const task_queue*) {}
  // Called by every `*_locked` helper with its name: the guard must be held here.
  static void assert_guard_held(const char*) {}
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
  kTqHitQueue = 1,     // the head of a BUSY queue (tasks pending or a drain running);
                       // an idle, empty queue is no leftover and is not reported
  kTqHitTask = 2,      // a pending task's memory
  kTqHitRoutine = 4,   // a pending task's routine
  kTqHitData = 8,      // a pending task's data pointer
  kTqHitRunning = 16,  // the routine running right now
};

struct TqRangeHit {
  const task_queue* queue;  // the callback may read queue->queued and ->draining
  const tq_struct* task;    // null for kTqHitQueue / kTqHitRunning
  void (*routine)(void*);
  void* data;
  unsigned what;  // TqRangeWhat bits
};
using TqRangeFn = void (*)(void* ctx, const TqRangeHit& hit);

// abandon_drains: one drain given up after a fault in its context.
struct TqAbandoned {
  const task_queue* queue;
  void (*routine)(void*);  // the routine that was running (where the fault was), or null
  unsigned long tasks;     // rest of the batch: requeued at the front, or dropped
  bool dropped;            // transient queue: its tasks were taken off, it was forgotten
};

// The listing behind `tq` and /proc/tq (TaskQueue::list): at most kTqListQueues queues
// and kTqListTasks tasks per queue are printed; the rest are counted ("... and N more").
constexpr std::size_t kTqListQueues = 16;
constexpr std::size_t kTqListTasks = 32;
constexpr std::size_t kTqLineMax = 192;
using TqLineFn = void (*)(void* ctx, const char* line);  // one line, without '\n'
// Names a code address into buf ("sched_tick+0x0 [sched]"); returns 0 to print it as hex.
using TqNameFn = int (*)(std::uintptr_t addr, char* buf, std::size_t len);

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
// The batch head failed the claim check: report it (faults[0]), drop it alone, and find
// the rest of the batch again by walking back from batch_tail through tq_prev. A second
// bad task met on that walk is reported too (faults[1]) and the batch restarts after it.
// Returns the number of faults filled (1 or 2); `queued` is recounted.
unsigned drop_corrupt_batch(task_queue* queue, TqFault faults[2]);
// Moves the rest of the batch to the front of the queue's list; returns how many.
unsigned long requeue_batch_front(task_queue* queue);
// Unlinks every pending task (list and batch); returns how many.
unsigned long unlink_all(task_queue* queue);
// Unlinks every pending task whose memory, routine or data lies in [lo, hi).
std::size_t unlink_in_range(task_queue* queue, std::uintptr_t lo, std::uintptr_t hi);
std::size_t copy_tasks(const task_queue* queue, TqTaskInfo* out, std::size_t cap);
TqStats read_stats(const task_queue* queue);
std::size_t scan_range(const task_queue* queue, std::uintptr_t lo, std::uintptr_t hi, TqRangeFn fn,
                       void* ctx);
// The lines of the listing (no guard needed: they format copies).
int format_queue_line(const TqStats& stats, char* buf, std::size_t size);
int format_task_line(const TqTaskInfo& info, const char* routine_name, char* buf, std::size_t size);
// "  ... and N more" (tasks) or "... and N more queues".
int format_more_line(unsigned long more, bool queues, char* buf, std::size_t size);

inline bool in_range(const void* p, std::uintptr_t lo, std::uintptr_t hi) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  return a >= lo && a < hi;
}
inline bool idle_and_empty(const task_queue* q) { return q->queued == 0 && !q->draining; }

inline tq_struct* load_running(const task_queue* q) {
  return __atomic_load_n(&q->running, __ATOMIC_RELAXED);
}

// Pop the first task of the batch and claim it: remember next, copy routine and data,
// then clear pending, so from here on queue_task may link it again (a self-requeue lands
// on queue->head: the next drain). Returns null when the batch is empty, or with
// *corrupt set when its head was freed or overwritten while queued (e.g. a module freed
// after a failed init, a task on a stack frame that is gone): the caller then drops that
// task alone (drop_corrupt_batch), reports it and claims again. Inline: this is the
// per-task cost of a drain (no guard assertion here, see the top of the file).
inline tq_struct* claim_next(task_queue* queue, void (**routine)(void*), void** data,
                             bool* corrupt) {
  tq_struct* task = queue->batch;
  if (!task) return nullptr;
  // Only the debug state is checked here (one compare per task): it is what a free, the
  // slab poison, INIT_TQUEUE or a stray overwrite destroys. Links are checked by
  // queue_task and cancel.
  if (task->tq_magic != TQ_MAGIC_PENDING) [[unlikely]] {
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
    int result;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Queue);
      result = queue_locked(task, queue, &fault);
      // Refused: a transient queue registered on the way must not stay registered empty.
      if (result <= 0 && queue && queue->queued == 0) [[unlikely]]
        forget_if_transient_locked(queue);
    }
    if (result < 0) {
      Hooks::fault(fault);
      return 0;
    }
    return result;
  }

  // run_task_queue(): see the contract at the top of this file.
  static void run(task_queue* queue) {
    {
      // The common empty tick: one guard, no timestamps, nothing saved. Everything else
      // takes the guard again out of line (once per drain, not per task).
      auto guard = make_tq_guard<Guard>(TqSite::Takeover);
      if (!queue->draining && !queue->head) [[likely]] {
        count_empty_drain_locked(queue);
        return;
      }
    }
    run_slow(queue);
  }

  // run() for a queue that has tasks or a drain in progress.
  [[gnu::noinline]] static void run_slow(task_queue* queue) {
    std::uint64_t start = 0;
    bool wait = false;
    {
      auto guard = make_tq_guard<Guard>(TqSite::Takeover);
      if (queue->draining) [[unlikely]] {
        // Nested on the drain (an interrupt on top of it, a routine draining its own
        // queue), or a caller that cannot wait: delayed. Another thread draining it (a
        // private queue read by two threads): wait for that drain to end, then drain
        // what is left, so that what the caller queued runs before its call returns (as
        // a second CPU's run_task_queue took its own batch in Linux 2.4).
        if (queue->drain_ctx == Hooks::context() || !Hooks::may_wait_for_drain()) {
          ++queue->delayed;
          return;
        }
        wait = true;
      } else {
        if (!queue->head) {  // emptied since run() looked (a cancel from an interrupt)
          count_empty_drain_locked(queue);
          return;
        }
        register_locked(queue);
        // The one link of the batch a drain can trust when its head turns out corrupt:
        // each task's tq_next is in the task, its memory may be gone; the tail's is here.
        queue->batch_tail = queue->tail;
        // LAB(3) BEGIN: take the whole list over: mark the queue draining in this context, move it to `batch`, leave the queue empty
        queue->draining = 1;
        queue->drain_ctx = Hooks::context();
        queue->batch = queue->head;
        queue->head = queue->tail = nullptr;
        // LAB(3) END
        start = Hooks::now();
      }
    }
    if (wait) [[unlikely]] {
      wait_for_other_drain(queue);
      return;
    }
    drain(queue, start);
  }

  // run() found the queue drained by another thread: yields until that drain is over,
  // then runs the queue (which may find yet another drain, and wait again).
  [[gnu::noinline]] static void wait_for_other_drain(task_queue* queue) {
    for (;;) {
      Hooks::wait_for_drain(queue);
      auto guard = make_tq_guard<Guard>(TqSite::Inspect);
      if (!queue->draining) break;
    }
    run(queue);
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
        fault = TqFault{TqFaultKind::OwnRoutine,
                        "cancel_task_sync",
                        task,
                        runner->running_routine,
                        runner,
                        0,
                        0};
        refused = true;
      } else {
        if (task->sync & TQ_SYNC_PENDING) {
          unlink_locked(task);
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
      // Running in another context (another thread, or a level below this one).
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
          fault = TqFault{TqFaultKind::FreeActive,
                          "tq_debug_mark_freed",
                          task,
                          task->routine,
                          task->tq_queue,
                          0,
                          0};
          unlink_locked(task);
          report = active = true;
        } else if (task_queue* runner = running_queue_locked(task);
                   runner && runner->drain_ctx != Hooks::context()) {
          // Freed by another context while its routine runs. (A routine freeing its own
          // task is fine: the drain never touches a task after calling its routine.)
          fault = TqFault{TqFaultKind::FreeRunning,
                          "tq_debug_mark_freed",
                          task,
                          runner->running_routine,
                          runner,
                          0,
                          0};
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

  // Memory [lo, hi) is about to be freed (kfree): every registered queue whose head lies
  // in it leaves the registry. An idle, empty one silently; a busy one is reported
  // (Hooks::fault FreeActiveQueue, "free of an active queue") after its tasks were taken
  // off (they become idle and never run). Returns the number of busy queues reported.
  static std::size_t free_queues_in_range(std::uintptr_t lo, std::uintptr_t hi) {
    std::size_t reported = 0;
    for (;;) {  // one busy queue per round: each report is made with the guard released
      TqFault fault;
      {
        auto guard = make_tq_guard<Guard>(TqSite::Poison);
        forget_idle_in_range_locked(lo, hi);
        task_queue* busy = registry();
        while (busy && !tq_detail::in_range(busy, lo, hi)) busy = busy->next_queue;
        if (!busy) return reported;
        fault = TqFault{TqFaultKind::FreeActiveQueue,
                        "kfree",
                        nullptr,
                        tq_detail::load_running(busy) ? busy->running_routine : nullptr,
                        busy,
                        busy->queued,
                        static_cast<std::uintptr_t>(busy->draining != 0)};
        tq_detail::unlink_all(busy);
        forget_locked(busy);
      }
      Hooks::fault(fault);
      ++reported;
    }
  }

  // ---- for the module loader and the fault path: no waiting, no reports ----

  // Unregisters every idle, empty queue whose head lies in [lo, hi) (a module's own
  // queues before its memory is freed). Busy ones stay. Returns how many were forgotten.
  static std::size_t forget_queues_in_range(std::uintptr_t lo, std::uintptr_t hi) {
    auto guard = make_tq_guard<Guard>(TqSite::Registry);
    return forget_idle_in_range_locked(lo, hi);
  }

  // Unlinks every pending task whose memory, routine or data lies in [lo, hi), on every
  // queue, so none of them ever runs (a module that faulted). Never waits: a routine
  // running right now is left to finish (or to abandon_drains). Returns how many.
  static std::size_t cancel_in_range(std::uintptr_t lo, std::uintptr_t hi) {
    auto guard = make_tq_guard<Guard>(TqSite::Cancel);
    std::size_t n = 0;
    for (task_queue *q = registry(), *next; q; q = next) {
      next = q->next_queue;  // q may be forgotten below
      n += tq_detail::unlink_in_range(q, lo, hi);
      forget_if_transient_locked(q);
    }
    return n;
  }

  // The fault path: a routine (or the drain) faulted in context `ctx` and that context is
  // being unwound. Every drain owned by ctx is given up: the rest of its batch goes back
  // to the FRONT of its queue (in order, before anything queued meanwhile) to run at the
  // next drain, and running/draining are cleared. A transient queue's frame is being
  // unwound with it: its tasks are taken off instead and it is forgotten. Fills up to
  // `cap` entries of `out`; returns how many drains were abandoned.
  static std::size_t abandon_drains(std::uintptr_t ctx, TqAbandoned* out, std::size_t cap) {
    auto guard = make_tq_guard<Guard>(TqSite::Recover);
    std::size_t n = 0;
    for (task_queue *q = registry(), *next; q; q = next) {
      next = q->next_queue;
      if (!q->draining || q->drain_ctx != ctx) continue;
      TqAbandoned a{q, tq_detail::load_running(q) ? q->running_routine : nullptr, 0, false};
      if (Hooks::transient(q)) {
        a.tasks = tq_detail::unlink_all(q);
        a.dropped = true;
      } else {
        a.tasks = tq_detail::requeue_batch_front(q);
      }
      __atomic_store_n(&q->running, nullptr, __ATOMIC_RELAXED);
      q->running_routine = nullptr;
      q->draining = 0;
      q->drain_ctx = 0;
      forget_if_transient_locked(q);
      if (n < cap) out[n] = a;
      ++n;
    }
    return n;
  }

  // ---- read-only views (all under the guard, into caller storage) ----

  // Whether freeing [lo, hi) concerns the task queues at all: false only if every queue
  // on the registry is idle and empty (so no task is pending, in a batch or running
  // anywhere) and none has its head in the range. One short walk of the registry: kfree
  // asks it first and skips the scans (poison, free_queues_in_range) when it is false.
  static bool range_matters(std::uintptr_t lo, std::uintptr_t hi) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    for (const task_queue* q = registry(); q; q = q->next_queue)
      if (!tq_detail::idle_and_empty(q) || tq_detail::in_range(q, lo, hi)) return true;
    return false;
  }

  static bool is_pending(const tq_struct* task) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    return (task->sync & TQ_SYNC_PENDING) != 0;
  }

  static bool is_running(const tq_struct* task) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    return running_queue_locked(task) != nullptr;
  }

  // The routine running in the current context, if any: the kernel's sleep path asks
  // this to panic with the routine's name ("routines may not sleep"). A routine running
  // in another context (another thread's drain) is none of the caller's business.
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
  // drain in progress first) and the stats. Returns how many are queued in all (which
  // may be more than were copied).
  static std::size_t snapshot(const task_queue* queue, TqTaskInfo* out, std::size_t cap,
                              TqStats* stats_out) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    if (stats_out) *stats_out = tq_detail::read_stats(queue);
    tq_detail::copy_tasks(queue, out, cap);
    return queue->queued;
  }

  // Copies up to `cap` registered queues. Returns how many there are (maybe more).
  static std::size_t queues(task_queue** out, std::size_t cap) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    std::size_t n = 0;
    for (task_queue* q = registry(); q; q = q->next_queue, ++n) {
      if (n < cap) out[n] = q;
    }
    return n;
  }

  // The listing of `tq` and /proc/tq, one line at a time through `line`: for each queue
  // its statistics, then its tasks in run order. At most kTqListQueues queues and
  // kTqListTasks tasks each, then "... and N more". Each queue is copied in one guard
  // section, and only if it is still registered then (it may have been freed since the
  // list of queues was taken). `name` (may be null) names routines. Uses ~800 bytes of
  // stack; `line` runs with the guard released.
  static void list(TqLineFn line, void* ctx, TqNameFn name) {
    task_queue* qs[kTqListQueues];
    const std::size_t total = queues(qs, kTqListQueues);
    const std::size_t shown = total < kTqListQueues ? total : kTqListQueues;
    char buf[kTqLineMax];
    for (std::size_t i = 0; i < shown; ++i) {
      TqTaskInfo tasks[kTqListTasks];
      TqStats s;
      std::size_t copied;
      {
        auto guard = make_tq_guard<Guard>(TqSite::Inspect);
        if (!is_registered_locked(qs[i])) continue;
        s = tq_detail::read_stats(qs[i]);
        copied = tq_detail::copy_tasks(qs[i], tasks, kTqListTasks);
        // Formatted under the guard: the name lives in the queue's owner (a module's
        // .rodata), which may be freed as soon as the queue leaves the registry.
        tq_detail::format_queue_line(s, buf, sizeof buf);
      }
      line(ctx, buf);
      for (std::size_t t = 0; t < copied; ++t) {
        char routine[96];
        const auto addr = reinterpret_cast<std::uintptr_t>(tasks[t].routine);
        const bool named = name && tasks[t].routine && name(addr, routine, sizeof routine) > 0;
        tq_detail::format_task_line(tasks[t], named ? routine : nullptr, buf, sizeof buf);
        line(ctx, buf);
      }
      if (s.queued > copied) {
        tq_detail::format_more_line(s.queued - copied, false, buf, sizeof buf);
        line(ctx, buf);
      }
    }
    if (total > shown) {
      tq_detail::format_more_line(total - shown, true, buf, sizeof buf);
      line(ctx, buf);
    }
  }

  // Does any queue hold, or run, anything inside [lo, hi)? For the module unloader and
  // kfree's debug check. fn (may be null) runs under the guard for each offending entry:
  // it must not sleep or touch task queues. A queue head in range counts only while it
  // is busy (kTqHitQueue). Returns the number of offending entries.
  static std::size_t find_in_range(std::uintptr_t lo, std::uintptr_t hi, TqRangeFn fn, void* ctx) {
    auto guard = make_tq_guard<Guard>(TqSite::Inspect);
    std::size_t hits = 0;
    for (task_queue* q = registry(); q; q = q->next_queue) {
      hits += tq_detail::scan_range(q, lo, hi, fn, ctx);
    }
    return hits;
  }

  // Makes a queue visible to the views (queues(), current_routine(), find_in_range())
  // before its first queue_task or drain; both register it anyway. A transient queue is
  // registered only while it has tasks.
  static void register_queue(task_queue* queue) {
    auto guard = make_tq_guard<Guard>(TqSite::Registry);
    register_lasting_locked(queue);
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
      if (tq_detail::idle_and_empty(queue)) {
        forget_locked(queue);
        return true;
      }
      fault = TqFault{
          TqFaultKind::QueueBusy, "forget_queue", nullptr, nullptr, queue, queue->queued, 0};
    }
    Hooks::fault(fault);
    return false;
  }

 private:
  // A drain that found nothing to run: counted; a queue drained (not only queued on) for
  // the first time joins the registry for good. Guard held.
  static void count_empty_drain_locked(task_queue* queue) {
    ++queue->drains;
    if (!queue->registered) [[unlikely]]
      register_lasting_locked(queue);
  }

  // queue_task's work under the guard: 1 queued, 0 refused quietly, -1 report *fault.
  static int queue_locked(tq_struct* task, task_queue* queue, TqFault* fault) {
    Hooks::assert_guard_held("queue_locked");
    if (!task || !queue) {
      *fault = TqFault{TqFaultKind::NullPointer, "queue_task", task, nullptr, queue, 0, 0};
      return -1;
    }
    if (!tq_detail::check_task(task, "queue_task", fault)) return -1;
    // LAB(3) BEGIN: already pending: 0 (after check_links; on a bad link fall through to report); else register the queue, refuse (0) while a cancel is in progress, link at the tail, 1
    if (task->sync & TQ_SYNC_PENDING) {
      if (tq_detail::check_links(task, "queue_task", fault)) return 0;
    } else {
      register_locked(queue);
      if (task->sync & TQ_SYNC_CANCEL_MASK) return 0;  // cancel_sync in progress
      tq_detail::link_tail(queue, task);
      return 1;
    }
    // LAB(3) STUB: return 0;
    // LAB(3) END
    return -1;  // check_links failed: report it
  }

  // The second half of run(): claim and run the batch taken over, task by task. Out of
  // line so that its registers are allocated for the claim loop alone (the takeover
  // calls Hooks::context(), which would otherwise cost the loop a spill per task).
  [[gnu::noinline]] static void drain(task_queue* queue, std::uint64_t start) {
    Hooks::step(TqStep::AfterTakeover, queue, nullptr);
    unsigned long ran = 0;
    for (;;) {
      void (*routine)(void*) = nullptr;
      void* data = nullptr;
      tq_struct* task;
      bool corrupt = false;
      {
        auto guard = make_tq_guard<Guard>(TqSite::Claim);
        task = tq_detail::claim_next(queue, &routine, &data, &corrupt);
        if (!task && !corrupt) finish_drain_locked(queue, ran, start);
      }
      if (!task) [[unlikely]] {
        if (!corrupt) break;
        drop_corrupt_head(queue);  // then carry on with the rest of the batch
        continue;
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

  // The head of the batch failed the claim check: drop it alone (the rest of the batch
  // is found again from batch_tail) and report it, and a second bad task met on the way,
  // with the guard released. Out of line: it is rare and the claim loop is hot.
  [[gnu::noinline, gnu::cold]] static void drop_corrupt_head(task_queue* queue) {
    TqFault faults[2];
    unsigned n = 0;
    {
      // Taken again since the claim: an interrupt in between could only have queued
      // (onto the list, not the batch) or unlinked batch tasks behind the bad head.
      auto guard = make_tq_guard<Guard>(TqSite::Claim);
      Hooks::assert_guard_held("drop_corrupt_head");
      if (queue->batch && queue->batch->tq_magic != TQ_MAGIC_PENDING)
        n = tq_detail::drop_corrupt_batch(queue, faults);
    }
    for (unsigned i = 0; i < n; ++i) Hooks::fault(faults[i]);
  }

  // The batch is empty: the drain is over. Out of line, so that the claim loop keeps
  // its values in registers (inlined, it cost the per-task path two spills).
  [[gnu::noinline]] static void finish_drain_locked(task_queue* queue, unsigned long ran,
                                                    std::uint64_t start) {
    Hooks::assert_guard_held("finish_drain_locked");
    queue->draining = 0;
    queue->drain_ctx = 0;
    queue->running_routine = nullptr;
    ++queue->drains;
    queue->tasks_run += ran;
    const std::uint64_t took = Hooks::now() - start;
    if (took > queue->longest_drain) queue->longest_drain = took;
    if (queue->queued == 0) forget_if_transient_locked(queue);
  }

  // Appends: the registry lists queues oldest first, so `tq` shows tq_timer (registered at
  // boot) first however many queues come later. The walk happens once per registration.
  static void register_locked(task_queue* queue) {
    Hooks::assert_guard_held("register_locked");
    if (!queue->registered) {
      queue->registered = 1;
      queue->next_queue = nullptr;
      task_queue** p = &registry();
      while (*p) p = &(*p)->next_queue;
      *p = queue;
    }
  }

  // Registers a queue that may be empty and idle: a transient one stays out.
  static void register_lasting_locked(task_queue* queue) {
    Hooks::assert_guard_held("register_lasting_locked");
    if (!queue->registered && !(tq_detail::idle_and_empty(queue) && Hooks::transient(queue)))
      register_locked(queue);
  }

  static void forget_locked(task_queue* queue) {
    Hooks::assert_guard_held("forget_locked");
    if (queue->registered) {
      for (task_queue** p = &registry(); *p; p = &(*p)->next_queue) {
        if (*p == queue) {
          *p = queue->next_queue;
          break;
        }
      }
    }
    queue->next_queue = nullptr;
    queue->registered = 0;
  }

  // The registry rule for transient queues: out as soon as empty and idle.
  static void forget_if_transient_locked(task_queue* queue) {
    Hooks::assert_guard_held("forget_if_transient_locked");
    if (queue->registered && tq_detail::idle_and_empty(queue) && Hooks::transient(queue))
      forget_locked(queue);
  }

  static std::size_t forget_idle_in_range_locked(std::uintptr_t lo, std::uintptr_t hi) {
    Hooks::assert_guard_held("forget_idle_in_range_locked");
    std::size_t n = 0;
    for (task_queue *q = registry(), *next; q; q = next) {
      next = q->next_queue;
      if (tq_detail::in_range(q, lo, hi) && tq_detail::idle_and_empty(q)) {
        forget_locked(q);
        ++n;
      }
    }
    return n;
  }

  static void unlink_locked(tq_struct* task) {
    Hooks::assert_guard_held("unlink_locked");
    task_queue* queue = task->tq_queue;
    tq_detail::unlink(task);
    forget_if_transient_locked(queue);
  }

  static bool is_registered_locked(const task_queue* queue) {
    Hooks::assert_guard_held("is_registered_locked");
    for (const task_queue* q = registry(); q; q = q->next_queue) {
      if (q == queue) return true;
    }
    return false;
  }

  // The draining queue whose routine for `task` is running now, if any.
  static task_queue* running_queue_locked(const tq_struct* task) {
    Hooks::assert_guard_held("running_queue_locked");
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
