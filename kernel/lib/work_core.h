// Workqueues (Linux's work_struct/workqueue_struct) as a pure state machine: queueing,
// the worker's claim and finish, cancelling, flush tickets, delayed items, destroying,
// the debug-objects checks, the registry of queues, and the views behind `wq` and
// /proc/workqueues and the module unloader's check.
//
// Every function here runs with the caller's guard held (interrupts off in the kernel:
// kernel/workqueue.cpp wraps each call in one InterruptDisabler section). None of them
// waits, sleeps or allocates: each answers what the kernel glue must do next (wake the
// worker, wait on a queue's `done` wait queue until a condition holds, report a fault).
// So the only points where an interrupt (or another thread) can come in are BETWEEN two
// calls, which is exactly what the host model test interleaves.
//
// The model. One worker per queue runs its items one at a time, in FIFO order.
//   pending   an item is pending from queue() (or queue_delayed()) until the worker
//             claims it (or a cancel takes it off): WORK_FLAG_PENDING, magic PENDING,
//             linked on wq's list (or, delayed, on wq's delayed list until fire()).
//   running   the worker claimed it: pending cleared (it may be queued again at once, and
//             then runs again after this run), wq->current names it until finish(). The
//             item's memory is never touched after the claim: a function may free it.
//   tickets   each queueing onto a list takes wq->next_seq++. Everything below
//             low_water(wq) has run (or was taken off): the running item's ticket, else
//             the head's, else next_seq. flush_workqueue waits for next_seq at the call,
//             flush_work for the item's own ticket + 1.
//   cancel    cancel_begin takes a pending item off and counts a cancel in progress
//             (queue() refuses it meanwhile); the caller waits until is_running() is
//             false, then cancel_end.
//   non-reentrancy  claim() refuses (Busy) an item that runs on another queue's worker
//             right now: the worker waits for that run to end.
//   self-waits  cancel_sync/flush_work of the item running in the caller's worker, and
//             flush/destroy of the caller's own queue, would wait forever: refused with
//             a fault (the kernel panics, naming it).
//   contexts  `ctx` is the caller's identity (the kernel: its thread); wq->worker_ctx is
//             the worker's. An interrupt never calls the waiting functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include <quartz/workqueue.h>

// The queue itself, opaque to modules. The kernel embeds it first in a bigger struct
// (wait queues, thread); the core sees only this.
struct workqueue_struct {
  char name[24];
  unsigned int flags;
  int max_active;
  unsigned long magic;               // kWqMagicLive while usable
  struct work_struct *head, *tail;   // pending, FIFO
  struct work_struct* delayed_head;  // timers armed (any order)
  unsigned long queued;              // on head..tail
  unsigned long delayed;             // on delayed_head
  unsigned long next_seq;            // ticket of the next queueing
  struct work_struct* current;       // running item (identity)
  work_func_t current_func;          // ...and its function
  unsigned long current_seq;         // ...and its ticket
  std::uintptr_t worker_ctx;         // the worker's context
  std::uintptr_t owner;              // creator's return address
  bool running;                      // current is valid
  bool draining;                     // destroy_workqueue drains
  bool stopping;                     // the worker must exit
  bool registered;
  struct workqueue_struct* next_wq;  // registry link
  unsigned long* active;             // the registry's count of active items
  unsigned long total_queued, items_run, refused, max_depth;  // statistics
};

namespace quartz {
namespace wq {

// Linux 2.6.19's work item as <linux/workqueue.h> lays it out for --linux 2.6 modules
// (kernel/compat/workqueue26.cpp checks the two agree): Quartz's delayed_work, its func
// really a void (*)(void *) (WORK_FLAG_DATA_FORM), then the argument it is called with.
struct DataFormWork {
  delayed_work dw;
  void* data;
};

constexpr unsigned long kWqMagicLive = 0x77711ae0UL;
constexpr unsigned long kWqMagicDead = 0x77710dedUL;
constexpr unsigned int kKnownFlags = WQ_UNBOUND | WQ_FREEZABLE | WQ_MEM_RECLAIM | WQ_HIGHPRI |
                                     WQ_CPU_INTENSIVE | WQ_SYSFS | WQ_POWER_EFFICIENT |
                                     __WQ_ORDERED | __WQ_LEGACY;
constexpr int kDrainRounds = 100;  // destroy_workqueue: flushes before it gives up

enum class FaultKind : std::uint8_t {
  NullPointer,    // item or queue is null
  Uninitialised,  // magic 0: never INIT_WORK'ed
  UseAfterFree,   // stamped freed, or the slab poison 0x6b6b6b6b
  BadMagic,       // magic none of the known values: corrupted
  BadState,       // pending flag disagrees with the magic
  BadLink,        // links or queue pointer inconsistent
  BadQueue,       // the workqueue is not live (destroyed, freed, garbage)
  Reinitialised,  // the worker found an item idle (INIT_WORK'ed) on its list
  CancelSelf,     // cancel_work_sync from the item's own function
  FlushSelf,      // flush_work of an item the caller's own worker must run
  FlushOwnQueue,  // flush_workqueue / destroy_workqueue from a work item of that queue
  FreeActive,     // kfree of a pending item
  FreeRunning,    // kfree of an item running in another context
  Draining,       // queue_work on a queue being destroyed, from outside it
  DrainLimit,     // destroy_workqueue: still requeuing after kDrainRounds flushes
};

struct Fault {
  FaultKind kind;
  const char* op;  // "queue_work", "cancel_work_sync", ...
  const work_struct* work;
  work_func_t func;  // the item's function when it could be read (never called)
  const workqueue_struct* wq;
  std::uintptr_t a;  // kind-specific: bad magic value, flags, items cancelled
  std::uintptr_t b;  // kind-specific: items lost behind a corrupt head
};

// "cancel_work_sync called from the work's own function f (work 0x...): deadlock".
// func_name may be null (the address is printed). Returns the full length, like snprintf.
int format_fault(const Fault& fault, const char* func_name, char* buf, std::size_t size);
const char* fault_kind_name(FaultKind kind);

// Every queue that was created and not yet destroyed, oldest first, and how many items
// are pending or running on them all (kfree's check reads it first: one compare when
// no item is active anywhere).
struct Registry {
  workqueue_struct* head = nullptr;
  unsigned long active = 0;
};

// ---- queues ----
// Initialises wq (its memory may be garbage) and appends it to the registry.
void init_queue(Registry& reg, workqueue_struct* wq, const char* name, unsigned flags,
                int max_active, std::uintptr_t owner);
void set_worker(workqueue_struct* wq, std::uintptr_t worker_ctx);
// Is wq a live queue on the registry? (A freed or destroyed one is not.)
bool is_live(const Registry& reg, const workqueue_struct* wq);
// Takes wq off the registry and stamps it dead (after its worker stopped).
void forget_queue(Registry& reg, workqueue_struct* wq);

// ---- items ----
// Debug-objects check before `op` touches an item. False and *fault filled if bad.
bool check_work(const work_struct* w, const char* op, Fault* fault);

// queue_work: 1 queued at the tail, 0 already pending or being cancelled, -1 *fault.
// `from_ctx` is the caller's context: a queue being destroyed takes only what its own
// worker queues.
int queue(const Registry& reg, workqueue_struct* wq, work_struct* w, std::uintptr_t from_ctx,
          Fault* fault);
// queue_delayed_work's first half: pending, linked on wq's delayed list (the kernel arms
// the timer). Same results as queue().
int queue_delayed(const Registry& reg, workqueue_struct* wq, work_struct* w,
                  std::uintptr_t from_ctx, Fault* fault);
// The delayed item's timer fired: moves it to the tail of its queue's list with a fresh
// ticket. False (nothing done) if it is no longer delayed (cancelled meanwhile).
bool fire(work_struct* w);
// Linux 2.6.19's cancel_delayed_work: only an item whose timer is armed (on the delayed
// list) is taken off; one already queued to run (its timer fired) stays. True if taken.
// Item already checked.
bool take_delayed(work_struct* w);
// A pending item leaves its list (cancelled): true if it was pending. *was_delayed says
// whether its timer was armed (the kernel deletes it). Item already checked.
bool take_pending(work_struct* w, bool* was_delayed);

// ---- the worker ----
enum class Claim : std::uint8_t { None, Ok, Busy, Corrupt };
struct Claimed {
  work_struct* work;
  work_func_t func;
  const workqueue_struct* busy_on;  // Busy: the queue whose worker runs this item now
  bool data_form;                   // Ok: call ((void (*)(void*))func)(arg), 2.6.19's form
  void* arg;                        // Ok: the item, or (data form) its data, read at the claim
};
// Takes the head of wq's list and marks it running. Corrupt: the head failed its check
// (*fault filled) and was dropped alone. Busy: the head runs on another queue's worker;
// it stays at the head.
Claim claim(const Registry& reg, workqueue_struct* wq, Claimed* out, Fault* fault);
// The running item's function returned.
void finish(workqueue_struct* wq);
// Has the worker anything to do (or must it stop)?
bool worker_has_work(const workqueue_struct* wq);

// ---- cancel and flush ----
// Is w running on any queue's worker right now?
const workqueue_struct* running_on(const Registry& reg, const work_struct* w);
struct CancelBegin {
  bool refused;  // *fault filled (CancelSelf, or a bad item)
  bool was_pending;
  bool was_delayed;  // its timer was armed: the kernel deletes it
};
CancelBegin cancel_begin(const Registry& reg, work_struct* w, std::uintptr_t ctx, const char* op,
                         Fault* fault);
void cancel_end(work_struct* w);

// All tickets of wq below this have run or were taken off.
unsigned long low_water(const workqueue_struct* wq);
inline bool seq_reached(const workqueue_struct* wq, unsigned long target) {
  return static_cast<long>(low_water(wq) - target) >= 0;
}
struct FlushTarget {
  const workqueue_struct* wq;  // null: nothing to wait for
  unsigned long seq;           // wait until seq_reached(wq, seq)
  bool refused;                // *fault filled
};
// flush_work: the last queueing of w (pending, else running). A delayed item is not
// waited for here: the kernel fires its timer first (flush_delayed_work).
FlushTarget flush_work_target(const Registry& reg, const work_struct* w, std::uintptr_t ctx,
                              Fault* fault);
// flush_workqueue: everything queued on wq so far.
FlushTarget flush_queue_target(workqueue_struct* wq, std::uintptr_t ctx, const char* op,
                               Fault* fault);

// ---- destroy ----
// Starts draining: refused (FlushOwnQueue) from wq's own worker.
bool begin_drain(workqueue_struct* wq, std::uintptr_t ctx, Fault* fault);
// Is the drain done: nothing queued, nothing running?
bool drained(const workqueue_struct* wq);
// Takes every pending item off (delayed ones too). Returns how many; the first up to
// `cap` are copied to out (for the report), delayed ones flagged in *delayed_out bits.
std::size_t take_all(workqueue_struct* wq, work_struct** out, bool* delayed_out, std::size_t cap);
// The worker must exit once it has nothing left to run.
void stop_worker(workqueue_struct* wq);

// ---- memory that is freed (kfree, stacks) ----
// Stamps an item freed. Pending: taken off and reported (FreeActive). Running in another
// context: reported (FreeRunning). Returns true if *fault was filled.
bool poison(const Registry& reg, work_struct* w, std::uintptr_t ctx, Fault* fault);

// ---- views ----
enum RangeWhat : unsigned {
  kHitWork = 1,     // a pending item's memory lies in the range
  kHitFunc = 2,     // a pending item's function lies in the range
  kHitRunning = 4,  // the running item's memory or function lies in the range
  kHitQueue = 8,    // a live queue created from code in the range (owner)
};
struct RangeHit {
  const workqueue_struct* wq;
  const work_struct* work;  // null for kHitQueue
  work_func_t func;
  unsigned what;
  bool delayed;
};
using RangeFn = void (*)(void* ctx, const RangeHit& hit);
// Calls fn (may be null) for each hit; returns how many. Guard held, fn must not block.
std::size_t find_in_range(const Registry& reg, std::uintptr_t lo, std::uintptr_t hi, RangeFn fn,
                          void* ctx);

struct QueueInfo {
  char name[24];
  unsigned flags;
  unsigned long queued, delayed, total_queued, items_run, max_depth;
  work_func_t running;  // null if idle
  bool draining;
};
QueueInfo queue_info(const workqueue_struct* wq);
// Copies up to cap pending items of wq (list order, then the delayed ones).
struct ItemInfo {
  const work_struct* work;
  work_func_t func;
  bool delayed;
};
std::size_t copy_items(const workqueue_struct* wq, ItemInfo* out, std::size_t cap);

}  // namespace wq
}  // namespace quartz
