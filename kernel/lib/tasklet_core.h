// Tasklets (Linux's struct tasklet_struct) as a pure library: the two lists of scheduled
// tasklets (hi and normal), the schedule/run/disable/enable/kill state machine, the
// debug-objects checks, the record of tasklets scheduled after tasklet_kill, and the
// views behind /proc/tasklets, might_sleep and the module unloader.
//
// Intrusive (links in struct tasklet_struct, quartz/interrupt.h); nothing is allocated.
// Guard and Hooks as in kernel/lib/timer_core.h.
//
// Contract (who may call what). "Context" is Hooks::context().
//   init, setup      any context; a scheduled tasklet is reported and taken off first.
//   schedule         any context, interrupts on or off. Returns true when the caller must
//                    mark the bottom half (newly scheduled and enabled).
//   run              the bottom half (interrupts on). Takes the whole list (hi or normal)
//                    and runs it in order, claiming each tasklet under the guard and
//                    calling its function with the guard released. A disabled tasklet goes
//                    back on its list, still scheduled. A run nested on a run returns
//                    kRefused (the caller marks the bottom half again).
//   disable          any context; count + 1; with `wait`, waits for a function running in
//                    another context (Hooks::wait).
//   enable           any context; count - 1; returns true when the tasklet is scheduled
//                    and now enabled (the caller marks the bottom half).
//   kill             thread context: from interrupt context Hooks::fault(KillInInterrupt;
//                    the kernel panics). Waits (Hooks::wait) while scheduled or running.
//   poison, drop_in_range, find_in_range, views   as for timers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <quartz/interrupt.h>

namespace quartz {

using TaskletCallback = void (*)(tasklet_struct*);
using TaskletFunc = void (*)(unsigned long);

enum class TaskletSite : std::uint8_t {
  Setup,
  Schedule,
  Run,
  Claim,
  Enable,
  Kill,
  Poison,
  Inspect
};
enum class TaskletStep : std::uint8_t {
  AfterTakeover,  // list moved to the batch (tasklet == nullptr)
  AfterClaim,     // claimed, function not yet called
  AfterFunction,  // function returned (identity only)
  AfterRun,       // run over (tasklet == nullptr)
  KillWaiting,    // tasklet_kill waits for it to run or finish
};

enum class TaskletFaultKind : std::uint8_t {
  NullPointer,
  UseAfterFree,
  BadMagic,
  BadState,
  BadLink,
  NoFunction,          // scheduling a tasklet without a function
  KillInInterrupt,     // tasklet_kill from interrupt context (could never wait)
  KillDisabled,        // tasklet_kill of a scheduled, disabled tasklet: taken off
  Unbalanced,          // tasklet_enable without tasklet_disable
  FreeScheduled,       // poison of a scheduled tasklet
  FreeRunning,         // poison of a tasklet whose function runs in another context
  SetupScheduled,      // init/setup of a scheduled tasklet
  ScheduledAfterKill,  // scheduled again after tasklet_kill (debug info, once)
  CorruptInRun,        // a run found its batch head overwritten; dropped
};

struct TaskletFault {
  TaskletFaultKind kind;
  const char* op;
  const tasklet_struct* tasklet;
  std::uintptr_t function;  // callback or func, whichever the tasklet uses
  std::uintptr_t a, b;
};
int format_tasklet_fault(const TaskletFault& fault, const char* function_name, char* buf,
                         std::size_t size);
const char* tasklet_fault_kind_name(TaskletFaultKind kind);

struct TaskletHooksBase {
  static std::uintptr_t context() { return 0; }
  static bool in_interrupt() { return false; }
  static void wait(const tasklet_struct*) {}
  static void fault(const TaskletFault&) {}
  static void assert_guard_held(const char*) {}
  static void step(TaskletStep, const tasklet_struct*) {}
};

constexpr std::size_t kTaskletAfterKillMax = 8;

struct TaskletList {
  tasklet_struct* head = nullptr;
  tasklet_struct* tail = nullptr;
};

struct TaskletBase {
  TaskletList hi, normal;             // scheduled, in scheduling order
  TaskletList batch;                  // taken by the run in progress
  tasklet_struct* running = nullptr;  // whose function runs now (identity only)
  std::uintptr_t running_fn = 0;
  std::uintptr_t run_ctx = 0;
  bool in_run = false;
  unsigned long scheduled = 0;  // on hi + normal + batch
  unsigned long ran = 0, runs = 0, delayed = 0;
  // Tasklets scheduled again after their tasklet_kill, until killed again, re-initialised
  // or freed (the unloader reports those in a module). `after_kill_lost` counts records
  // that did not fit.
  const tasklet_struct* after_kill[kTaskletAfterKillMax] = {};
  std::uintptr_t after_kill_fn[kTaskletAfterKillMax] = {};
  unsigned long after_kill_lost = 0;
  unsigned long after_kill_count = 0;  // records in use
};

struct TaskletInfo {
  const tasklet_struct* tasklet;
  std::uintptr_t function;
  int count;
  bool hi;
  bool use_callback;
};
struct TaskletStats {
  unsigned long scheduled, ran, runs, delayed;
  std::uintptr_t running_fn;
};

enum TaskletRangeWhat : unsigned {
  kTaskletHitTasklet = 1,    // a scheduled tasklet's memory
  kTaskletHitFunction = 2,   // a scheduled tasklet's function
  kTaskletHitRunning = 4,    // the running function, or its tasklet
  kTaskletHitAfterKill = 8,  // a tasklet scheduled again after tasklet_kill
};
struct TaskletRangeHit {
  const tasklet_struct* tasklet;
  std::uintptr_t function;
  unsigned what;
};
using TaskletRangeFn = void (*)(void* ctx, const TaskletRangeHit& hit);

namespace tasklet_detail {
bool check_tasklet(const tasklet_struct* t, const char* op, TaskletFault* fault);
bool check_links(const TaskletBase& b, const tasklet_struct* t, const char* op,
                 TaskletFault* fault);
void link_tail(TaskletList& l, tasklet_struct* t);
void unlink(TaskletList& l, tasklet_struct* t);
TaskletList& list_of(TaskletBase& b, const tasklet_struct* t);
void forget_after_kill(TaskletBase& b, const tasklet_struct* t);
void record_after_kill(TaskletBase& b, const tasklet_struct* t);
unsigned long drop_corrupt_head(TaskletBase& b, TaskletFault* fault);
std::size_t scan_range(const TaskletBase& b, std::uintptr_t lo, std::uintptr_t hi,
                       TaskletRangeFn fn, void* ctx);
std::size_t copy_tasklets(const TaskletBase& b, TaskletInfo* out, std::size_t cap);
int format_tasklet_line(const TaskletInfo& info, const char* fn_name, char* buf, std::size_t size);
int format_stats_line(const TaskletStats& s, char* buf, std::size_t size);

inline std::uintptr_t fn_addr(const tasklet_struct* t) {
  return t->use_callback ? reinterpret_cast<std::uintptr_t>(t->callback)
                         : reinterpret_cast<std::uintptr_t>(t->func);
}
inline tasklet_struct* load_running(const TaskletBase& b) {
  return __atomic_load_n(&b.running, __ATOMIC_RELAXED);
}
}  // namespace tasklet_detail

template <class Guard>
Guard make_tasklet_guard([[maybe_unused]] TaskletSite site) {
  if constexpr (std::is_constructible_v<Guard, TaskletSite>) {
    return Guard(site);
  } else {
    return Guard();
  }
}

template <class Guard, class Hooks = TaskletHooksBase>
class TaskletCore {
 public:
  static constexpr int kRefused = -1;

  // tasklet_init (old form) and tasklet_setup (today's).
  static void init(TaskletBase& b, tasklet_struct* t, TaskletFunc func, unsigned long data) {
    if (!t) return null_fault("tasklet_init");
    TaskletFault fault;
    bool report;
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Setup);
      report = reinit_locked(b, t, "tasklet_init", &fault);
      t->use_callback = 0;
      t->func = func;
      t->callback = nullptr;
      t->data = data;
    }
    if (report) Hooks::fault(fault);
  }
  static void setup(TaskletBase& b, tasklet_struct* t, TaskletCallback callback) {
    if (!t) return null_fault("tasklet_setup");
    TaskletFault fault;
    bool report;
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Setup);
      report = reinit_locked(b, t, "tasklet_setup", &fault);
      t->use_callback = 1;
      t->callback = callback;
      t->func = nullptr;
      t->data = 0;
    }
    if (report) Hooks::fault(fault);
  }

  // tasklet_schedule / tasklet_hi_schedule: true when the bottom half must be marked.
  static bool schedule(TaskletBase& b, tasklet_struct* t, bool hi) {
    const char* op = hi ? "tasklet_hi_schedule" : "tasklet_schedule";
    if (!t) return null_fault(op), false;
    TaskletFault fault;
    int r;
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Schedule);
      r = schedule_locked(b, t, hi, op, &fault);
    }
    if (r < 0 || r == 2) Hooks::fault(fault);  // 2: scheduled, and said once after kill
    return r > 0 && t->count == 0;
  }

  // Runs the hi list or the normal one. Returns how many functions ran, or kRefused.
  static int run(TaskletBase& b, bool hi) {
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Run);
      Hooks::assert_guard_held("run");
      if (b.in_run) {
        ++b.delayed;
        return kRefused;
      }
      TaskletList& l = hi ? b.hi : b.normal;
      if (!l.head) {
        ++b.runs;
        return 0;
      }
      b.in_run = true;
      b.run_ctx = Hooks::context();
      for (tasklet_struct* t = l.head; t; t = t->next) t->state |= TASKLET_STATE_BATCH;
      b.batch = l;
      l = TaskletList{};
    }
    Hooks::step(TaskletStep::AfterTakeover, nullptr);
    int ran = 0;
    for (;;) {
      std::uintptr_t fn = 0;
      unsigned long data = 0;
      bool callback = false, corrupt = false;
      tasklet_struct* t;
      {
        auto guard = make_tasklet_guard<Guard>(TaskletSite::Claim);
        t = claim_locked(b, hi, &fn, &data, &callback, &corrupt);
        if (!t && !corrupt) {
          b.in_run = false;
          b.run_ctx = 0;
          ++b.runs;
        }
      }
      if (!t) {
        if (!corrupt) break;
        TaskletFault fault;
        {
          auto guard = make_tasklet_guard<Guard>(TaskletSite::Claim);
          tasklet_detail::drop_corrupt_head(b, &fault);
        }
        Hooks::fault(fault);
        continue;
      }
      if (!fn) continue;  // disabled: back on its list, still scheduled
      Hooks::step(TaskletStep::AfterClaim, t);
      if (callback)
        reinterpret_cast<TaskletCallback>(fn)(t);
      else
        reinterpret_cast<TaskletFunc>(fn)(data);
      ++ran;
      __atomic_store_n(&b.running, nullptr, __ATOMIC_RELAXED);
      __atomic_signal_fence(__ATOMIC_SEQ_CST);
      Hooks::step(TaskletStep::AfterFunction, t);
    }
    Hooks::step(TaskletStep::AfterRun, nullptr);
    return ran;
  }

  // tasklet_disable (wait = true) and tasklet_disable_nosync.
  static void disable(TaskletBase& b, tasklet_struct* t, bool wait) {
    const char* op = wait ? "tasklet_disable" : "tasklet_disable_nosync";
    if (!t) return null_fault(op);
    TaskletFault fault;
    bool ok;
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Enable);
      Hooks::assert_guard_held("disable");
      ok = tasklet_detail::check_tasklet(t, op, &fault);
      if (ok) ++t->count;
    }
    if (!ok) return Hooks::fault(fault);
    // On one CPU a function runs in another context only if it was preempted: wait.
    while (wait && runs_elsewhere(b, t)) {
      Hooks::step(TaskletStep::KillWaiting, t);
      Hooks::wait(t);
    }
  }

  // tasklet_enable: true when the bottom half must be marked.
  static bool enable([[maybe_unused]] TaskletBase& b, tasklet_struct* t) {
    if (!t) return null_fault("tasklet_enable"), false;
    TaskletFault fault;
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Enable);
      Hooks::assert_guard_held("enable");
      if (tasklet_detail::check_tasklet(t, "tasklet_enable", &fault)) {
        if (t->count > 0) {
          --t->count;
          return t->count == 0 && (t->state & TASKLET_STATE_SCHED);
        }
        fault = TaskletFault{TaskletFaultKind::Unbalanced, "tasklet_enable",         t,
                             tasklet_detail::fn_addr(t),   std::uintptr_t(t->count), 0};
      }
    }
    Hooks::fault(fault);
    return false;
  }

  // tasklet_kill: see the contract.
  static void kill(TaskletBase& b, tasklet_struct* t) {
    if (!t) return null_fault("tasklet_kill");
    for (;;) {
      TaskletFault fault;
      int r;
      {
        auto guard = make_tasklet_guard<Guard>(TaskletSite::Kill);
        r = kill_locked(b, t, &fault);
      }
      if (r == kKillDone) return;
      if (r == kKillFault || r == kKillReport) {
        Hooks::fault(fault);
        if (r == kKillFault) return;
        continue;  // taken off: kill again
      }
      Hooks::step(TaskletStep::KillWaiting, t);
      Hooks::wait(t);
    }
  }

  static bool is_scheduled(const tasklet_struct* t) {
    auto guard = make_tasklet_guard<Guard>(TaskletSite::Inspect);
    return t && (t->state & TASKLET_STATE_SCHED) && t->tl_magic == TASKLET_MAGIC_SCHED;
  }

  // kfree of memory holding t.
  static void poison(TaskletBase& b, tasklet_struct* t) {
    TaskletFault faults[2];
    unsigned n = 0;
    {
      auto guard = make_tasklet_guard<Guard>(TaskletSite::Poison);
      Hooks::assert_guard_held("poison");
      if (t->tl_magic == TASKLET_MAGIC_SCHED && (t->state & TASKLET_STATE_SCHED) &&
          tasklet_detail::check_links(b, t, "kfree", &faults[n])) {
        faults[n++] = TaskletFault{TaskletFaultKind::FreeScheduled, "kfree", t,
                                   tasklet_detail::fn_addr(t),      0,       0};
        unlink_locked(b, t);
      }
      if (tasklet_detail::load_running(b) == t && b.run_ctx != Hooks::context())
        faults[n++] = TaskletFault{TaskletFaultKind::FreeRunning, "kfree", t, b.running_fn, 0, 0};
      tasklet_detail::forget_after_kill(b, t);
      if (t->tl_magic != TASKLET_MAGIC_SCHED) t->tl_magic = TASKLET_MAGIC_FREED;
    }
    for (unsigned i = 0; i < n; ++i) Hooks::fault(faults[i]);
  }

  // Takes off, without a report, every scheduled tasklet whose memory or function lies
  // in [lo, hi), and forgets their after-kill records (a module that failed). Returns
  // how many were scheduled.
  static std::size_t drop_in_range(TaskletBase& b, std::uintptr_t lo, std::uintptr_t hi) {
    auto guard = make_tasklet_guard<Guard>(TaskletSite::Kill);
    auto in = [&](std::uintptr_t a) { return a >= lo && a < hi; };
    std::size_t n = 0;
    TaskletList* lists[3] = {&b.hi, &b.normal, &b.batch};
    for (TaskletList* l : lists) {
      for (tasklet_struct *t = l->head, *next; t; t = next) {
        next = t->next;
        if (in(reinterpret_cast<std::uintptr_t>(t)) || in(tasklet_detail::fn_addr(t))) {
          unlink_locked(b, t);
          ++n;
        }
      }
    }
    for (std::size_t i = 0; i < kTaskletAfterKillMax; ++i) {
      if (b.after_kill[i] &&
          (in(reinterpret_cast<std::uintptr_t>(b.after_kill[i])) || in(b.after_kill_fn[i]))) {
        b.after_kill[i] = nullptr;
        b.after_kill_fn[i] = 0;
        --b.after_kill_count;
      }
    }
    return n;
  }

  static std::size_t find_in_range(const TaskletBase& b, std::uintptr_t lo, std::uintptr_t hi,
                                   TaskletRangeFn fn, void* ctx) {
    auto guard = make_tasklet_guard<Guard>(TaskletSite::Inspect);
    return tasklet_detail::scan_range(b, lo, hi, fn, ctx);
  }

  static std::uintptr_t current_function(const TaskletBase& b) {
    auto guard = make_tasklet_guard<Guard>(TaskletSite::Inspect);
    if (tasklet_detail::load_running(b) && b.run_ctx == Hooks::context()) return b.running_fn;
    return 0;
  }

  static std::size_t snapshot(const TaskletBase& b, TaskletInfo* out, std::size_t cap,
                              TaskletStats* s) {
    auto guard = make_tasklet_guard<Guard>(TaskletSite::Inspect);
    if (s) {
      *s = TaskletStats{b.scheduled, b.ran, b.runs, b.delayed,
                        tasklet_detail::load_running(b) ? b.running_fn : 0};
    }
    tasklet_detail::copy_tasklets(b, out, cap);
    return b.scheduled;
  }

 private:
  static void null_fault(const char* op) {
    Hooks::fault(TaskletFault{TaskletFaultKind::NullPointer, op, nullptr, 0, 0, 0});
  }

  static bool runs_elsewhere(TaskletBase& b, const tasklet_struct* t) {
    auto guard = make_tasklet_guard<Guard>(TaskletSite::Inspect);
    return tasklet_detail::load_running(b) == t && b.run_ctx != Hooks::context();
  }

  static bool reinit_locked(TaskletBase& b, tasklet_struct* t, const char* op,
                            TaskletFault* fault) {
    Hooks::assert_guard_held("reinit_locked");
    bool report = false;
    if (t->tl_magic == TASKLET_MAGIC_SCHED && (t->state & TASKLET_STATE_SCHED)) {
      TaskletFault ignored;
      if (tasklet_detail::check_links(b, t, op, &ignored)) {
        *fault =
            TaskletFault{TaskletFaultKind::SetupScheduled, op, t, tasklet_detail::fn_addr(t), 0, 0};
        unlink_locked(b, t);
        report = true;
      }
    }
    tasklet_detail::forget_after_kill(b, t);
    t->next = t->tl_prev = nullptr;
    t->state = 0;
    t->count = 0;
    t->tl_magic = TASKLET_MAGIC_IDLE;
    return report;
  }

  // 1 scheduled, 2 scheduled and *fault says so (after kill), 0 already scheduled,
  // -1 refused (*fault).
  static int schedule_locked(TaskletBase& b, tasklet_struct* t, bool hi, const char* op,
                             TaskletFault* fault) {
    Hooks::assert_guard_held("schedule_locked");
    if (!tasklet_detail::check_tasklet(t, op, fault)) return -1;
    if (t->state & TASKLET_STATE_SCHED) return 0;
    if (!tasklet_detail::fn_addr(t)) {
      *fault = TaskletFault{TaskletFaultKind::NoFunction, op, t, 0, 0, 0};
      return -1;
    }
    int r = 1;
    if (t->state & TASKLET_STATE_KILLED) {
      // Linux lets it run; the unloader will name it.
      tasklet_detail::record_after_kill(b, t);
      if (!(t->state & TASKLET_STATE_AFTER_KILL)) {
        t->state |= TASKLET_STATE_AFTER_KILL;
        *fault = TaskletFault{TaskletFaultKind::ScheduledAfterKill, op, t,
                              tasklet_detail::fn_addr(t),           0,  0};
        r = 2;
      }
    }
    t->state |= TASKLET_STATE_SCHED | (hi ? TASKLET_STATE_HI : 0);
    t->tl_magic = TASKLET_MAGIC_SCHED;
    tasklet_detail::link_tail(hi ? b.hi : b.normal, t);
    ++b.scheduled;
    return r;
  }

  // Pops the batch head. Disabled: relinked at the tail of its list, *fn left 0.
  static tasklet_struct* claim_locked(TaskletBase& b, bool hi, std::uintptr_t* fn,
                                      unsigned long* data, bool* callback, bool* corrupt) {
    tasklet_struct* t = b.batch.head;
    if (!t) return nullptr;
    if (t->tl_magic != TASKLET_MAGIC_SCHED) [[unlikely]] {
      *corrupt = true;
      return nullptr;
    }
    tasklet_detail::unlink(b.batch, t);
    t->state &= ~TASKLET_STATE_BATCH;
    if (t->count > 0) {
      tasklet_detail::link_tail(hi ? b.hi : b.normal, t);
      return t;
    }
    *fn = tasklet_detail::fn_addr(t);
    *data = t->data;
    *callback = t->use_callback != 0;
    t->state &= ~(TASKLET_STATE_SCHED | TASKLET_STATE_HI);
    t->tl_magic = TASKLET_MAGIC_IDLE;
    --b.scheduled;
    ++b.ran;
    b.running_fn = *fn;
    __atomic_store_n(&b.running, t, __ATOMIC_RELAXED);
    return t;
  }

  static constexpr int kKillDone = 0, kKillWait = 1, kKillFault = -1, kKillReport = -2;
  static int kill_locked(TaskletBase& b, tasklet_struct* t, TaskletFault* fault) {
    Hooks::assert_guard_held("kill_locked");
    if (!tasklet_detail::check_tasklet(t, "tasklet_kill", fault)) return kKillFault;
    if (Hooks::in_interrupt()) {
      *fault = TaskletFault{
          TaskletFaultKind::KillInInterrupt, "tasklet_kill", t, tasklet_detail::fn_addr(t), 0, 0};
      return kKillFault;
    }
    if (t->state & TASKLET_STATE_SCHED) {
      if (t->count > 0) {  // disabled: it would never run, and we would wait forever
        *fault = TaskletFault{TaskletFaultKind::KillDisabled, "tasklet_kill",           t,
                              tasklet_detail::fn_addr(t),     std::uintptr_t(t->count), 0};
        unlink_locked(b, t);
        return kKillReport;
      }
      return kKillWait;  // Linux: a scheduled tasklet runs first
    }
    if (tasklet_detail::load_running(b) == t) return kKillWait;
    tasklet_detail::forget_after_kill(b, t);
    t->state = (t->state & ~TASKLET_STATE_AFTER_KILL) | TASKLET_STATE_KILLED;
    if (t->tl_magic == TASKLET_MAGIC_NONE) t->tl_magic = TASKLET_MAGIC_IDLE;
    return kKillDone;
  }

  static void unlink_locked(TaskletBase& b, tasklet_struct* t) {
    Hooks::assert_guard_held("unlink_locked");
    tasklet_detail::unlink(tasklet_detail::list_of(b, t), t);
    t->state &= ~(TASKLET_STATE_SCHED | TASKLET_STATE_HI | TASKLET_STATE_BATCH);
    t->tl_magic = TASKLET_MAGIC_IDLE;
    --b.scheduled;
  }
};

}  // namespace quartz
