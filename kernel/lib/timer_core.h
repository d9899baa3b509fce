// Kernel timers (Linux's struct timer_list) as a pure library: the armed list sorted by
// expiry, the arm/disarm/expire/running state machine, the debug-objects checks and the
// views behind /proc/timers, might_sleep and the module unloader.
//
// The list is intrusive (links in struct timer_list, quartz/timer.h) and nothing is
// allocated. One TimerBase holds every armed timer of the machine (the kernel has one;
// host tests make one per test). Interrupt masking is the Guard template parameter and
// everything else the kernel supplies comes through Hooks (see TimerHooksBase), as in
// kernel/lib/task_queue.h.
//
// Contract (who may call what). "Context" is Hooks::context(): in the kernel the pair
// (current thread, interrupt depth).
//   setup, init_data_form   any context; the timer must not be armed (an armed one is
//                     reported, disarmed, then initialised: Linux's debug-objects fixup).
//   add, mod, del     any context, interrupts on or off; one guard section each.
//   del_sync, shutdown_sync   thread context: from interrupt context (a timer function,
//                     a task-queue routine, an IRQ handler) Hooks::fault(SyncInInterrupt
//                     or OwnFunction; the kernel panics), nothing changed. Waits through
//                     Hooks::wait_while_running while the function runs in another
//                     context, and disarms what the function re-armed.
//   run               the tick's bottom half (interrupts on); Hooks::jiffies() is "now".
//                     Takes every timer due at `now` into a batch and calls each function
//                     with the guard RELEASED. A run nested on a run (a tick arriving
//                     during a timer function) returns at once (`delayed`); the outer run
//                     takes the newly due timers after its batch, so none waits for
//                     another tick. A timer re-armed by its function for `now` or earlier
//                     runs at the next tick, never twice in one pass.
//   poison, disarm_in_range   wherever memory holding a timer is freed (kfree) or a
//                     module's init failed: report and disarm, never wait.
//   views             find_in_range, snapshot, stats, current_function: under the guard,
//                     into caller storage.
//
// Every `*_locked` helper runs with the guard held and says so through
// Hooks::assert_guard_held(name).
//
// A function may free its own timer: after calling it the run never touches the timer.
// Its "running" state therefore lives in the base (`running`), not in the timer, as
// Linux's base->running_timer does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <quartz/timer.h>

namespace quartz {

using TimerFn = void (*)(timer_list*);
using TimerDataFn = void (*)(unsigned long);

// Where the core takes the guard (host tests record it).
enum class TimerSite : std::uint8_t { Setup, Arm, Disarm, Sync, Run, Claim, Poison, Inspect };

// Points of a run or a sync where the core calls Hooks::step(), guard released: where an
// interrupt could arrive. The kernel's plain hooks do nothing; its traced ones record.
enum class TimerStep : std::uint8_t {
  AfterTakeover,  // due timers moved to the batch (timer == nullptr)
  AfterClaim,     // timer claimed, function not yet called
  AfterFunction,  // function returned; the timer is an identity only (it may be freed)
  AfterRun,       // the run is over (timer == nullptr)
  SyncWaiting,    // del_timer_sync found the function running elsewhere, about to wait
};

enum class TimerFaultKind : std::uint8_t {
  NullPointer,      // timer is null
  UseAfterFree,     // timer stamped freed (or slab poison 0x6b6b6b6b)
  BadMagic,         // debug state none of the known values: uninitialised or corrupted
  BadState,         // state bits unknown, or disagreeing with the debug state
  BadLink,          // links inconsistent with the list
  AddPending,       // add_timer of a timer that is already armed
  NoFunction,       // arming a timer without a function
  OwnFunction,      // del_timer_sync from the timer's own function (deadlock)
  SyncInInterrupt,  // del_timer_sync from interrupt context (could never wait)
  FreeActive,       // poison of an armed timer
  FreeRunning,      // poison of a timer whose function runs in another context
  SetupPending,     // timer_setup/init_timer of an armed timer
  Shutdown,         // arming a timer after timer_shutdown_sync (debug info, once)
  CorruptInRun,     // a run found its batch head overwritten; dropped
};

struct TimerFault {
  TimerFaultKind kind;
  const char* op;  // "add_timer", "mod_timer", ...
  const timer_list* timer;
  std::uintptr_t function;  // the function when it could be read (never called)
  std::uintptr_t a;         // kind-specific: bad magic/state value, links
  std::uintptr_t b;
};

// "del_timer_sync called from its own timer function my_fn (timer 0x...): deadlock".
// function_name may be null (the address is printed). Returns the full length.
int format_timer_fault(const TimerFault& fault, const char* function_name, char* buf,
                       std::size_t size);
const char* timer_fault_kind_name(TimerFaultKind kind);

struct TimerHooksBase {
  static std::uintptr_t context() { return 0; }
  // Is the caller in interrupt context (IRQ handler, bottom half)? del_timer_sync refuses.
  static bool in_interrupt() { return false; }
  static unsigned long jiffies() { return 0; }
  static void wait_while_running(const timer_list*) {}
  // A misuse was detected. The kernel panics for OwnFunction and SyncInInterrupt and
  // reports the rest; if this returns, the operation was refused (or, for FreeActive,
  // SetupPending and CorruptInRun, the timer taken off first).
  static void fault(const TimerFault&) {}
  static void assert_guard_held(const char*) {}
  static void step(TimerStep, const timer_list*) {}
};

// The armed timers of one machine. All-zero is a valid empty base.
struct TimerBase {
  timer_list* head = nullptr;  // armed, by expiry (wrap-aware), FIFO among equal expiries
  timer_list* tail = nullptr;
  timer_list* batch = nullptr;  // due, taken by the run in progress, in expiry order
  timer_list* batch_tail = nullptr;
  timer_list* running = nullptr;  // whose function runs right now (identity only)
  TimerFn running_fn = nullptr;   // ...its function (meaningful while running is set)
  std::uintptr_t run_ctx = 0;     // context of the run in progress
  bool in_run = false;            // a run is in progress
  // Expiry of the earliest armed timer, or a point far ahead when none is: the tick
  // compares jiffies against it ("no timer due" costs one compare).
  unsigned long next = 0;
  unsigned long armed = 0;    // list + batch
  unsigned long fired = 0;    // functions called
  unsigned long runs = 0;     // runs completed
  unsigned long delayed = 0;  // runs refused: nested on a run in progress
};

constexpr unsigned long kTimerIdleHorizon = 0x3fffffffUL;  // `next` with nothing armed

struct TimerInfo {
  const timer_list* timer;
  unsigned long expires;
  std::uintptr_t function;
  unsigned long data;
  bool data_form;
  bool due;  // in the batch of the run in progress
};

struct TimerStats {
  unsigned long armed, fired, runs, delayed, next;
  bool in_run;
  std::uintptr_t running_fn;  // 0 when none runs
};

enum TimerRangeWhat : unsigned {
  kTimerHitTimer = 1,     // an armed timer's memory lies in the range
  kTimerHitFunction = 2,  // an armed timer's function lies in the range
  kTimerHitRunning = 4,   // the function running now (or its timer) lies in the range
};
struct TimerRangeHit {
  const timer_list* timer;  // the running timer for kTimerHitRunning (identity only)
  std::uintptr_t function;
  unsigned long expires;
  unsigned what;
};
using TimerRangeFn = void (*)(void* ctx, const TimerRangeHit& hit);

namespace timer_detail {
bool check_timer(const timer_list* t, const char* op, TimerFault* fault);
bool check_links(const TimerBase& b, const timer_list* t, const char* op, TimerFault* fault);
void link_sorted(TimerBase& b, timer_list* t);
void unlink(TimerBase& b, timer_list* t);
// Moves every armed timer due at `now` from the list to the batch; returns how many.
unsigned long take_due(TimerBase& b, unsigned long now);
// The batch head failed the claim check: drop it, find the rest of the batch again from
// batch_tail through tl_prev. Fills *fault; returns the number of timers lost with it.
unsigned long drop_corrupt_head(TimerBase& b, TimerFault* fault);
void update_next(TimerBase& b, unsigned long now);
std::size_t scan_range(const TimerBase& b, std::uintptr_t lo, std::uintptr_t hi, TimerRangeFn fn,
                       void* ctx);
std::size_t copy_timers(const TimerBase& b, TimerInfo* out, std::size_t cap);
int format_timer_line(const TimerInfo& info, unsigned long now, const char* fn_name, char* buf,
                      std::size_t size);
int format_stats_line(const TimerStats& s, unsigned long now, char* buf, std::size_t size);

inline timer_list* load_running(const TimerBase& b) {
  return __atomic_load_n(&b.running, __ATOMIC_RELAXED);
}
inline std::uintptr_t fn_addr(const timer_list* t) {
  return reinterpret_cast<std::uintptr_t>(t->function);
}
inline bool before(unsigned long a, unsigned long b) { return long(a - b) < 0; }

// Pops the first timer of the batch and claims it: copies the function, its form and
// data, marks the timer idle and publishes it as running. Null when the batch is empty,
// or with *corrupt set when its head was overwritten while armed.
inline timer_list* claim_next(TimerBase& b, TimerFn* fn, unsigned long* data, bool* data_form,
                              bool* corrupt) {
  timer_list* t = b.batch;
  if (!t) return nullptr;
  if (t->tl_magic != TIMER_MAGIC_PENDING) [[unlikely]] {
    *corrupt = true;
    return nullptr;
  }
  timer_list* next = t->tl_next;
  b.batch = next;
  if (next)
    next->tl_prev = nullptr;
  else
    b.batch_tail = nullptr;
  *fn = t->function;
  *data = t->data;
  *data_form = (t->flags & TIMER_DATA_FORM) != 0;
  t->tl_next = t->tl_prev = nullptr;
  t->tl_magic = TIMER_MAGIC_IDLE;
  t->tl_state &= ~(TIMER_STATE_PENDING | TIMER_STATE_BATCH);
  --b.armed;
  ++b.fired;
  b.running_fn = *fn;
  __atomic_store_n(&b.running, t, __ATOMIC_RELAXED);
  return t;
}
}  // namespace timer_detail

template <class Guard>
Guard make_timer_guard([[maybe_unused]] TimerSite site) {
  if constexpr (std::is_constructible_v<Guard, TimerSite>) {
    return Guard(site);
  } else {
    return Guard();
  }
}

template <class Guard, class Hooks = TimerHooksBase>
class TimerCore {
 public:
  // timer_setup(): function, flags; idle. An armed timer is reported and disarmed first.
  static void setup(TimerBase& b, timer_list* t, TimerFn fn, unsigned flags) {
    if (!t) return null_fault("timer_setup");
    TimerFault fault;
    bool report;
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Setup);
      report = reinit_locked(b, t, "timer_setup", &fault);
      t->function = fn;
      t->flags = flags & ~TIMER_DATA_FORM;
    }
    if (report) Hooks::fault(fault);
  }

  // init_timer() of Linux 2.4: idle, the 2.4 form; function, data, expires untouched.
  static void init_data_form(TimerBase& b, timer_list* t) {
    if (!t) return null_fault("init_timer");
    TimerFault fault;
    bool report;
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Setup);
      report = reinit_locked(b, t, "init_timer", &fault);
      t->flags |= TIMER_DATA_FORM;
    }
    if (report) Hooks::fault(fault);
  }

  // add_timer(): arms a timer that is not armed at t->expires. Returns 1 if armed.
  static int add(TimerBase& b, timer_list* t) {
    if (!t) return null_fault("add_timer"), 0;
    TimerFault fault;
    int r;
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Arm);
      r = arm_locked(b, t, t->expires, "add_timer", false, &fault);
    }
    if (r < 0) Hooks::fault(fault);
    return r > 0 ? 1 : 0;
  }

  // mod_timer(): (re)arms at `expires`; 1 if it was armed before.
  static int mod(TimerBase& b, timer_list* t, unsigned long expires) {
    if (!t) return null_fault("mod_timer"), 0;
    TimerFault fault;
    int r;
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Arm);
      r = arm_locked(b, t, expires, "mod_timer", true, &fault);
    }
    if (r < 0) Hooks::fault(fault);
    return r == 2 ? 1 : 0;
  }

  // del_timer(): 1 if it was armed. Never waits.
  static int del(TimerBase& b, timer_list* t) {
    if (!t) return null_fault("del_timer"), 0;
    TimerFault fault;
    int r;
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Disarm);
      r = disarm_locked(b, t, "del_timer", &fault);
    }
    if (r < 0) Hooks::fault(fault);
    return r > 0 ? 1 : 0;
  }

  // del_timer_sync() (shutdown = false) and timer_shutdown_sync() (true).
  static int del_sync(TimerBase& b, timer_list* t, bool shutdown) {
    const char* op = shutdown ? "timer_shutdown_sync" : "del_timer_sync";
    if (!t) return null_fault(op), 0;
    int result = 0;
    for (;;) {
      TimerFault fault;
      int r;
      {
        auto guard = make_timer_guard<Guard>(TimerSite::Sync);
        r = sync_locked(b, t, op, shutdown, &fault);
      }
      if (r == kSyncFault) {
        Hooks::fault(fault);
        return 0;
      }
      if (r != kSyncWait) return result | r;
      // Linux's try_to_del_timer_sync: not while it runs. What the function re-arms
      // meanwhile is disarmed once it has returned.
      Hooks::step(TimerStep::SyncWaiting, t);
      Hooks::wait_while_running(t);
    }
  }

  static bool pending(const timer_list* t) {
    auto guard = make_timer_guard<Guard>(TimerSite::Inspect);
    return t && (t->tl_state & TIMER_STATE_PENDING) && t->tl_magic == TIMER_MAGIC_PENDING;
  }

  // The tick's bottom half: calls the function of every timer due now.
  static void run(TimerBase& b) {
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Run);
      Hooks::assert_guard_held("run");
      if (b.in_run) {
        ++b.delayed;
        return;
      }
      b.in_run = true;
      b.run_ctx = Hooks::context();
    }
    unsigned long now = 0;
    bool first = true;
    for (;;) {
      {
        auto guard = make_timer_guard<Guard>(TimerSite::Run);
        const unsigned long j = Hooks::jiffies();
        // Again only when time moved on during the batch (a tick nested in a function
        // was delayed): what it made due runs now. Not for the same `now`: a function
        // re-arming its timer for now runs at the next tick, never twice in one pass.
        if (!first && j == now) {
          finish_locked(b, j);
          break;
        }
        now = j;
        first = false;
        if (!timer_detail::take_due(b, now)) {
          finish_locked(b, now);
          break;
        }
      }
      Hooks::step(TimerStep::AfterTakeover, nullptr);
      run_batch(b);
    }
    Hooks::step(TimerStep::AfterRun, nullptr);
  }

  // kfree of memory holding `t`: an armed timer is reported ("free of an active timer")
  // and disarmed; a function running in another context is reported. Stamped freed.
  static void poison(TimerBase& b, timer_list* t) {
    TimerFault faults[2];
    unsigned n = 0;
    {
      auto guard = make_timer_guard<Guard>(TimerSite::Poison);
      Hooks::assert_guard_held("poison");
      if (t->tl_magic == TIMER_MAGIC_PENDING && (t->tl_state & TIMER_STATE_PENDING) &&
          timer_detail::check_links(b, t, "kfree", &faults[n])) {
        faults[n++] = TimerFault{TimerFaultKind::FreeActive, "kfree",    t,
                                 timer_detail::fn_addr(t),   t->expires, 0};
        unlink_locked(b, t);
      }
      if (timer_detail::load_running(b) == t && b.run_ctx != Hooks::context()) {
        faults[n++] = TimerFault{TimerFaultKind::FreeRunning,
                                 "kfree",
                                 t,
                                 reinterpret_cast<std::uintptr_t>(b.running_fn),
                                 0,
                                 0};
      }
      if (t->tl_magic != TIMER_MAGIC_PENDING) t->tl_magic = TIMER_MAGIC_FREED;
    }
    for (unsigned i = 0; i < n; ++i) Hooks::fault(faults[i]);
  }

  // Disarms, without a report, every armed timer whose memory or function lies in
  // [lo, hi) (a module whose init failed, or that faulted). Returns how many.
  static std::size_t disarm_in_range(TimerBase& b, std::uintptr_t lo, std::uintptr_t hi) {
    std::size_t n = 0;
    auto guard = make_timer_guard<Guard>(TimerSite::Disarm);
    timer_list* lists[2] = {b.head, b.batch};
    for (timer_list* list : lists) {
      for (timer_list *t = list, *next; t; t = next) {
        next = t->tl_next;
        const auto a = reinterpret_cast<std::uintptr_t>(t);
        const auto f = timer_detail::fn_addr(t);
        if ((a >= lo && a < hi) || (f >= lo && f < hi)) {
          unlink_locked(b, t);
          ++n;
        }
      }
    }
    return n;
  }

  static std::size_t find_in_range(const TimerBase& b, std::uintptr_t lo, std::uintptr_t hi,
                                   TimerRangeFn fn, void* ctx) {
    auto guard = make_timer_guard<Guard>(TimerSite::Inspect);
    return timer_detail::scan_range(b, lo, hi, fn, ctx);
  }

  // The function running in the current context, if any (for might_sleep).
  static TimerFn current_function(const TimerBase& b) {
    auto guard = make_timer_guard<Guard>(TimerSite::Inspect);
    if (timer_detail::load_running(b) && b.run_ctx == Hooks::context()) return b.running_fn;
    return nullptr;
  }

  static TimerStats stats(const TimerBase& b) {
    auto guard = make_timer_guard<Guard>(TimerSite::Inspect);
    return stats_locked(b);
  }

  // Copies up to `cap` armed timers (the due batch first, then by expiry) and the stats.
  // Returns how many are armed.
  static std::size_t snapshot(const TimerBase& b, TimerInfo* out, std::size_t cap, TimerStats* s) {
    auto guard = make_timer_guard<Guard>(TimerSite::Inspect);
    if (s) *s = stats_locked(b);
    timer_detail::copy_timers(b, out, cap);
    return b.armed;
  }

 private:
  static void null_fault(const char* op) {
    Hooks::fault(TimerFault{TimerFaultKind::NullPointer, op, nullptr, 0, 0, 0});
  }

  static TimerStats stats_locked(const TimerBase& b) {
    const bool r = timer_detail::load_running(b) != nullptr;
    return TimerStats{b.armed,
                      b.fired,
                      b.runs,
                      b.delayed,
                      b.next,
                      b.in_run,
                      r ? reinterpret_cast<std::uintptr_t>(b.running_fn) : 0};
  }

  static constexpr int kSyncWait = 2, kSyncFault = -1;
  // One pass of del_sync: 0/1 (was armed) when done, kSyncWait, or kSyncFault.
  static int sync_locked(TimerBase& b, timer_list* t, const char* op, bool shutdown,
                         TimerFault* fault) {
    Hooks::assert_guard_held("sync_locked");
    if (!timer_detail::check_timer(t, op, fault)) return kSyncFault;
    const bool runs = timer_detail::load_running(b) == t;
    if (runs && b.run_ctx == Hooks::context()) {
      *fault = TimerFault{TimerFaultKind::OwnFunction, op, t, timer_detail::fn_addr(t), 0, 0};
      return kSyncFault;
    }
    if (Hooks::in_interrupt()) {
      *fault = TimerFault{TimerFaultKind::SyncInInterrupt, op, t, timer_detail::fn_addr(t), 0, 0};
      return kSyncFault;
    }
    if (shutdown) {
      t->tl_state |= TIMER_STATE_SHUTDOWN;
      if (t->tl_magic == TIMER_MAGIC_NONE) t->tl_magic = TIMER_MAGIC_IDLE;  // state bits now
    }
    if (runs) return kSyncWait;
    if (!(t->tl_state & TIMER_STATE_PENDING)) return 0;
    if (!timer_detail::check_links(b, t, op, fault)) return kSyncFault;
    unlink_locked(b, t);
    return 1;
  }

  // Makes t idle (never armed). Returns true with *fault filled when it was armed (it is
  // disarmed first).
  static bool reinit_locked(TimerBase& b, timer_list* t, const char* op, TimerFault* fault) {
    Hooks::assert_guard_held("reinit_locked");
    bool report = false;
    if (t->tl_magic == TIMER_MAGIC_PENDING && (t->tl_state & TIMER_STATE_PENDING)) {
      TimerFault ignored;
      if (timer_detail::check_links(b, t, op, &ignored)) {
        *fault = TimerFault{TimerFaultKind::SetupPending, op,         t,
                            timer_detail::fn_addr(t),     t->expires, 0};
        unlink_locked(b, t);
        report = true;
      }
    }
    t->tl_next = t->tl_prev = nullptr;
    t->tl_state = 0;
    t->tl_magic = TIMER_MAGIC_IDLE;
    return report;
  }

  // 1 armed, 2 re-armed (was armed), 0 refused quietly, -1 report *fault.
  static int arm_locked(TimerBase& b, timer_list* t, unsigned long expires, const char* op,
                        bool modify, TimerFault* fault) {
    Hooks::assert_guard_held("arm_locked");
    if (!timer_detail::check_timer(t, op, fault)) return -1;
    if (t->tl_state & TIMER_STATE_SHUTDOWN) {
      if (t->tl_state & TIMER_STATE_TOLD) return 0;
      t->tl_state |= TIMER_STATE_TOLD;
      *fault = TimerFault{TimerFaultKind::Shutdown, op, t, timer_detail::fn_addr(t), 0, 0};
      return -1;
    }
    if (!t->function) {
      *fault = TimerFault{TimerFaultKind::NoFunction, op, t, 0, 0, 0};
      return -1;
    }
    int result = 1;
    if (t->tl_state & TIMER_STATE_PENDING) {
      if (!timer_detail::check_links(b, t, op, fault)) return -1;
      if (!modify) {
        *fault =
            TimerFault{TimerFaultKind::AddPending, op, t, timer_detail::fn_addr(t), t->expires, 0};
        return -1;
      }
      unlink_locked(b, t);
      result = 2;
    }
    t->expires = expires;
    timer_detail::link_sorted(b, t);
    return result;
  }

  static int disarm_locked(TimerBase& b, timer_list* t, const char* op, TimerFault* fault) {
    Hooks::assert_guard_held("disarm_locked");
    if (!timer_detail::check_timer(t, op, fault)) return -1;
    if (!(t->tl_state & TIMER_STATE_PENDING)) return 0;
    if (!timer_detail::check_links(b, t, op, fault)) return -1;
    unlink_locked(b, t);
    return 1;
  }

  static void unlink_locked(TimerBase& b, timer_list* t) {
    Hooks::assert_guard_held("unlink_locked");
    timer_detail::unlink(b, t);
    timer_detail::update_next(b, Hooks::jiffies());
  }

  static void finish_locked(TimerBase& b, unsigned long now) {
    Hooks::assert_guard_held("finish_locked");
    b.in_run = false;
    b.run_ctx = 0;
    ++b.runs;
    timer_detail::update_next(b, now);
  }

  // Claims and runs the batch, timer by timer, the guard released around each function.
  [[gnu::noinline]] static void run_batch(TimerBase& b) {
    for (;;) {
      TimerFn fn = nullptr;
      unsigned long data = 0;
      bool data_form = false, corrupt = false;
      timer_list* t;
      {
        auto guard = make_timer_guard<Guard>(TimerSite::Claim);
        t = timer_detail::claim_next(b, &fn, &data, &data_form, &corrupt);
      }
      if (!t) {
        if (!corrupt) return;
        TimerFault fault;
        {
          auto guard = make_timer_guard<Guard>(TimerSite::Claim);
          Hooks::assert_guard_held("drop_corrupt_head");
          if (!b.batch || b.batch->tl_magic == TIMER_MAGIC_PENDING) continue;
          timer_detail::drop_corrupt_head(b, &fault);
        }
        Hooks::fault(fault);
        continue;
      }
      Hooks::step(TimerStep::AfterClaim, t);
      // Linux 4.14's cast: a 2.4-form function was stored in the same field.
      if (data_form)
        reinterpret_cast<TimerDataFn>(reinterpret_cast<void*>(fn))(data);
      else
        fn(t);
      __atomic_store_n(&b.running, nullptr, __ATOMIC_RELAXED);
      __atomic_signal_fence(__ATOMIC_SEQ_CST);
      Hooks::step(TimerStep::AfterFunction, t);
    }
  }
};

}  // namespace quartz
