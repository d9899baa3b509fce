// The scheduler's bookkeeping as pure logic: thread states, the round-robin run queue,
// wait queues, timeouts, time slices and the sleep_on watchdog. The context switch, the
// interrupt guard and the clock come in through template parameters, so host tests can
// drive every transition without a CPU.
//
// Contract (one CPU; every entry point takes the guard, so any of them may be called
// with interrupts on or off):
//   schedule()            thread context: gives up the CPU if the current thread is
//                         Blocked or Dead, or round-robins if it is Running. Calls
//                         Hooks::switch_to(from, to) with the guard held; the switched-to
//                         thread returns from its own schedule() and drops its own guard.
//   prepare_to_wait / finish_wait / block_on (sleep_on)  thread context.
//   wake_up / wake        any context, interrupt handlers and task routines included.
//   tick()                IRQ 0 only: slices, timeouts, the watchdog. Returns whether
//                         the interrupted thread should be preempted on the way out.
//   exit_current()        thread context; never returns.
// "Guard held" is asserted, not only written: tick_irqs_off and every *_locked helper
// call Hooks::assert_guard_held (the kernel checks the interrupt flag, host fakes their
// depth). Deadlines compare as signed jiffies differences, so one reaches at most
// QUARTZ_TIMEOUT_HORIZON ticks ahead; sleep_ticks waits longer in chunks.
// State changes: Running -> Blocked (prepare_to_wait), Blocked -> Runnable (wake,
// timeout, watchdog), Runnable -> Running (picked), Running -> Runnable (preempted or
// yield), Running -> Dead (exit). A thread woken between prepare_to_wait and schedule()
// is simply Running again: schedule() then does not block it (no lost wakeup).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/intrusive_list.h"
#include <quartz/wait.h>

namespace quartz {

enum class ThreadState : uint8_t { Runnable, Running, Blocked, Dead };
enum class WakeReason : uint8_t { None, WakeUp, Timeout, Watchdog };

const char* thread_state_name(ThreadState s);

struct SchedThread {
  IntrusiveListNode run_node;           // on the run queue (Runnable) or the zombie list (Dead)
  IntrusiveListNode timer_node;         // on the timeout list while it has a deadline
  wq_link wait_link{nullptr, nullptr};  // on a wait queue's sleepers (next == null: not)
  ThreadState state = ThreadState::Runnable;
  WakeReason wake_reason = WakeReason::None;
  bool watched = false;  // sleeping in sleep_on: the watchdog may release it
  wait_queue_head* waiting_on = nullptr;
  unsigned long deadline = 0;  // jiffies; valid while timer_node is linked
  unsigned long blocked_since = 0;
  unsigned slice_left = 0;
  unsigned long ticks_run = 0;
  unsigned long switches = 0;
  unsigned mutexes_held = 0;  // mutexes (mutex_core.h) this thread holds; guard held
};

namespace sched_detail {
inline void wq_init(wait_queue_head* wq) { wq->sleepers.next = wq->sleepers.prev = &wq->sleepers; }
// A zero-filled head (kzalloc'd, never initialised) is an empty queue too.
inline void wq_fix(wait_queue_head* wq) {
  if (!wq->sleepers.next) wq_init(wq);
}
inline bool wq_empty(wait_queue_head* wq) {
  wq_fix(wq);
  return wq->sleepers.next == &wq->sleepers;
}
inline void wq_add_tail(wait_queue_head* wq, wq_link* l) {
  wq_fix(wq);
  l->prev = wq->sleepers.prev;
  l->next = &wq->sleepers;
  wq->sleepers.prev->next = l;
  wq->sleepers.prev = l;
}
inline void wq_del(wq_link* l) {
  l->prev->next = l->next;
  l->next->prev = l->prev;
  l->next = l->prev = nullptr;
}
inline SchedThread* thread_of(wq_link* l) {
  return list_detail::owner_of<SchedThread, wq_link, &SchedThread::wait_link>(l);
}
}  // namespace sched_detail

// Default hooks; the kernel and the tests derive and hide what they need.
struct SchedHooksBase {
  static void switch_to(SchedThread* /*from*/, SchedThread* /*to*/) {}
  static unsigned long now() { return 0; }  // jiffies
  static void watchdog_fired(SchedThread*, unsigned long /*ticks asleep*/) {}
  // Called where the contract says "guard held" (tick_irqs_off, every *_locked helper):
  // the kernel checks the interrupt flag, host fakes their guard depth. A no-op here.
  static void assert_guard_held(const char* /*where*/) {}
};

template <class Guard, class Hooks = SchedHooksBase>
class SchedCore {
 public:
  using GuardType = Guard;  // for code built on the core (mutex_core.h)
  static void hooks_assert_guard_held(const char* where) { Hooks::assert_guard_held(where); }

  // The thread already running (the boot context) becomes the idle thread: it runs when
  // nothing else can, and is never on the run queue.
  void init(SchedThread* idle) {
    Guard guard;
    idle_ = current_ = idle;
    idle->state = ThreadState::Running;
  }

  void set_slice(unsigned ticks) { slice_ = ticks ? ticks : 1; }
  unsigned slice() const { return slice_; }
  // Ticks a sleep_on sleeper may wait before the watchdog releases it; 0 disables.
  void set_watchdog(unsigned long ticks) { watchdog_ticks_ = ticks; }
  unsigned long watchdog() const { return watchdog_ticks_; }

  SchedThread* current() const { return current_; }
  SchedThread* idle() const { return idle_; }
  bool need_resched() const { return need_resched_; }
  // For the interrupt exit path, which tests it without a call.
  const volatile bool* need_resched_flag() const { return &need_resched_; }
  size_t runnable_count() const { return run_queue_.size(); }

  // A new thread joins the back of the run queue.
  void start(SchedThread* t) {
    Guard guard;
    t->state = ThreadState::Runnable;
    t->slice_left = slice_;
    run_queue_.push_back(*t);
  }

  void schedule() {
    Guard guard;
    need_resched_ = false;
    SchedThread* prev = current_;
    if (prev->state == ThreadState::Running && prev != idle_) {
      prev->state = ThreadState::Runnable;
      run_queue_.push_back(*prev);
    }
    SchedThread* next = run_queue_.empty() ? idle_ : run_queue_.pop_front();
    if (next == prev) {
      prev->state = ThreadState::Running;
      return;
    }
    if (prev == idle_ && prev->state == ThreadState::Running) prev->state = ThreadState::Runnable;
    next->state = ThreadState::Running;
    next->slice_left = slice_;
    ++next->switches;
    current_ = next;
    Hooks::switch_to(prev, next);
    // Back here when someone switches to `prev` again.
  }

  // The way out of an interrupt (need_resched() set): round-robins a Running thread. A
  // thread interrupted between prepare_to_wait and schedule() (Blocked: it may still be
  // about to find its condition true) or inside exit_current keeps the CPU until it calls
  // schedule() itself; descheduling it here as a sleeper would lose a wake_up that came
  // before its prepare_to_wait (Linux's preempt_schedule does not dequeue it either).
  void preempt() {
    {
      Guard guard;
      if (!need_resched_ || current_->state != ThreadState::Running) return;
    }
    schedule();
  }

  // Linux's prepare_to_wait: queue the current thread on wq (once) and mark it Blocked.
  // deadline: jiffies at which it wakes anyway (has_deadline).
  void prepare_to_wait(wait_queue_head* wq, bool has_deadline = false, unsigned long deadline = 0) {
    // LAB(4) BEGIN: under the guard: put the current thread on wq once (off any other queue), mark it Blocked (blocked_since, wake_reason), arm the timer if has_deadline
    Guard guard;
    SchedThread* t = current_;
    if (t->waiting_on != wq) {
      if (t->waiting_on) sched_detail::wq_del(&t->wait_link);
      sched_detail::wq_add_tail(wq, &t->wait_link);
      t->waiting_on = wq;
    }
    if (t->state != ThreadState::Blocked) t->blocked_since = Hooks::now();
    t->state = ThreadState::Blocked;
    t->wake_reason = WakeReason::None;
    if (has_deadline) arm_timer_locked(t, deadline);
    // LAB(4) STUB: (void)wq; (void)has_deadline; (void)deadline;
    // LAB(4) END
  }

  void finish_wait(wait_queue_head* /*wq*/) {
    Guard guard;
    SchedThread* t = current_;
    leave_wait_locked(t);
    t->state = ThreadState::Running;
    t->watched = false;
  }

  // The historical sleep_on: queue, block, switch away; nothing is tested first, so a
  // wake_up that came just before is lost. `watched` lets the watchdog release it.
  // linked(ctx), if given, runs under the guard once the caller is queued on wq and
  // before it sleeps (Linux 2.2's wait queue pointer is set there: kernel/compat/).
  WakeReason block_on(wait_queue_head* wq, void (*linked)(void*) = nullptr, void* ctx = nullptr) {
    prepare_to_wait(wq);
    {
      Guard guard;
      current_->watched = true;
      if (linked) linked(ctx);
    }
    schedule();
    WakeReason why;
    {
      Guard guard;
      why = current_->wake_reason;
    }
    finish_wait(wq);
    return why;
  }

  // Wakes every thread sleeping on wq. Returns how many.
  int wake_up(wait_queue_head* wq) {
    // LAB(4) BEGIN: under the guard, wake (wake_locked) every thread on wq's sleepers list; return how many
    Guard guard;
    int n = 0;
    sched_detail::wq_fix(wq);
    while (wq->sleepers.next != &wq->sleepers) {
      wake_locked(sched_detail::thread_of(wq->sleepers.next), WakeReason::WakeUp);
      ++n;
    }
    return n;
    // LAB(4) STUB: (void)wq;
    // LAB(4) STUB: return 0;
    // LAB(4) END
  }

  // Sleeps for `ticks` ticks on a private queue. Deadlines compare as signed jiffies
  // differences, so one deadline reaches at most QUARTZ_TIMEOUT_HORIZON ticks ahead
  // (2^31 - 1 on i686); a longer sleep is slept in chunks, each counted from the
  // previous chunk's deadline (not from when the thread woke), so the total is exact.
  void sleep_ticks(wait_queue_head* private_wq, uint64_t ticks) {
    unsigned long start = Hooks::now();
    for (;;) {
      const unsigned long chunk =
          ticks > QUARTZ_TIMEOUT_HORIZON ? QUARTZ_TIMEOUT_HORIZON : (unsigned long)ticks;
      const unsigned long end = start + chunk;
      for (;;) {
        prepare_to_wait(private_wq, true, end);
        if (long(Hooks::now() - end) >= 0) break;
        schedule();
      }
      ticks -= chunk;
      if (ticks == 0) break;
      start = end;
    }
    finish_wait(private_wq);
  }

  // From IRQ 0, after jiffies moved on. Returns true if the current thread should be
  // preempted when the interrupt returns.
  bool tick() {
    Guard guard;
    tick_irqs_off();
    return need_resched_;
  }
  // The same for a caller that already has interrupts off (the IRQ 0 handler): the tick
  // is the hottest path in the kernel, and the guard would be pure overhead there.
  void tick_irqs_off() {
    Hooks::assert_guard_held("tick_irqs_off");
    SchedThread* t = current_;
    ++t->ticks_run;
    // A slice used up while nobody else could run stays used up: the first tick that
    // finds someone waiting preempts (else a busy thread would starve a thread started
    // after its slice ran out, since start() does not ask for a reschedule).
    if (t != idle_) {
      if (t->slice_left) --t->slice_left;
      if (t->slice_left == 0 && !run_queue_.empty()) need_resched_ = true;
    }
    const unsigned long now = Hooks::now();
    if (!timers_.empty() && long(now - earliest_) >= 0) expire_timers_locked(now);
  }

  [[noreturn]] void exit_current() {
    {
      Guard guard;
      SchedThread* t = current_;
      leave_wait_locked(t);
      t->state = ThreadState::Dead;
      zombies_.push_back(*t);
    }
    schedule();
    __builtin_trap();  // a Dead thread is never switched to again
  }

  // The next exited thread whose stack may now be freed (not the current one), or null.
  SchedThread* take_zombie() {
    Guard guard;
    for (auto& z : zombies_) {
      if (&z == current_) continue;
      IntrusiveList<SchedThread, &SchedThread::run_node>::remove(z);
      return &z;
    }
    return nullptr;
  }

  // Wakes one thread (used for timeouts and by the kernel for explicit wakeups).
  bool wake(SchedThread* t, WakeReason why = WakeReason::WakeUp) {
    Guard guard;
    return wake_locked(t, why);
  }

 private:
  using RunQueue = IntrusiveList<SchedThread, &SchedThread::run_node>;
  using TimerList = IntrusiveList<SchedThread, &SchedThread::timer_node>;

  void arm_timer_locked(SchedThread* t, unsigned long deadline) {
    Hooks::assert_guard_held("arm_timer_locked");
    if (t->timer_node.is_linked()) TimerList::remove(*t);
    t->deadline = deadline;
    if (timers_.empty() || long(deadline - earliest_) < 0) earliest_ = deadline;
    timers_.push_back(*t);
  }

  void leave_wait_locked(SchedThread* t) {
    Hooks::assert_guard_held("leave_wait_locked");
    if (t->waiting_on) {
      sched_detail::wq_del(&t->wait_link);
      t->waiting_on = nullptr;
    }
    if (t->timer_node.is_linked()) TimerList::remove(*t);
  }

  bool wake_locked(SchedThread* t, WakeReason why) {
    Hooks::assert_guard_held("wake_locked");
    leave_wait_locked(t);
    if (t->state != ThreadState::Blocked) return false;
    t->wake_reason = why;
    t->watched = false;
    if (t == current_) {
      // Woken between prepare_to_wait and schedule(): it never stopped running.
      t->state = ThreadState::Running;
      return true;
    }
    t->state = ThreadState::Runnable;
    run_queue_.push_back(*t);
    // The scheduler runs on the way out of the interrupt (or at the next schedule()),
    // so a thread woken while the CPU idles runs at once, not a tick later.
    need_resched_ = true;
    return true;
  }

  void expire_timers_locked(unsigned long now) {
    Hooks::assert_guard_held("expire_timers_locked");
    bool have = false;
    unsigned long earliest = 0;
    for (auto it = timers_.begin(); it != timers_.end();) {
      SchedThread& t = *it;
      ++it;  // wake_locked unlinks t
      if (long(now - t.deadline) >= 0) {
        wake_locked(&t, WakeReason::Timeout);
      } else if (!have || long(t.deadline - earliest) < 0) {
        earliest = t.deadline;
        have = true;
      }
    }
    earliest_ = earliest;
  }

 public:
  // Called by the kernel once per second or so (not on every tick, to keep the tick
  // cheap): releases sleep_on sleepers blocked longer than the watchdog period.
  template <class ThreadRange>
  void watchdog_scan(ThreadRange& all) {
    if (!watchdog_ticks_) return;
    const unsigned long now = Hooks::now();
    for (SchedThread* t : all) {
      unsigned long asleep;
      {
        Guard guard;
        if (t->state != ThreadState::Blocked || !t->watched) continue;
        asleep = now - t->blocked_since;
        if (asleep < watchdog_ticks_) continue;
      }
      Hooks::watchdog_fired(t, asleep);
      wake(t, WakeReason::Watchdog);
    }
  }

 private:
  SchedThread* current_ = nullptr;  // every field: guarded by Guard (IRQs off)
  SchedThread* idle_ = nullptr;
  RunQueue run_queue_;
  RunQueue zombies_;
  TimerList timers_;
  unsigned long earliest_ = 0;
  unsigned slice_ = 10;
  unsigned long watchdog_ticks_ = 0;
  volatile bool need_resched_ = false;
};

}  // namespace quartz
