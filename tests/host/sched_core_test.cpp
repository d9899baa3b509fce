// Host tests of the scheduler's pure bookkeeping (kernel/lib/sched_core.h) and of the
// wait_event / wait_event_timeout macros (modules/include/quartz/wait.h) run against it; the CPU
// is replaced by fakes: a counting interrupt guard, a recording context switch, a clock.
//
// How a "CPU" is faked:
//  - FakeGuard counts nesting. Its constructor is also the place where a simulated
//    interrupt may run (irq_at_guard): a real interrupt can arrive exactly where the core
//    is about to mask interrupts, so this places an interrupt deterministically between
//    any two guarded steps of an entry point (e.g. inside sleep_on, before it queues).
//  - FakeHooks::switch_to records (from, to) and does not switch stacks: after a switch
//    the test simply continues "as" the new current thread. When a test needs the old
//    thread to resume (sleep_on, sleep_ticks, the wait_event macros), on_switch runs code
//    "as" the switched-to thread (ticks, wake-ups) that ends by switching back; the
//    nested switch_to then returns and so does the original schedule(), exactly as it
//    would when the thread is switched to again.
//  - A switch away from a Dead thread throws ThreadExited: its stack is never resumed.
//  - jiffies (the clock FakeHooks::now() reads) and the C functions the macros call
//    (prepare_to_wait, schedule, ...) are defined here, bound to the test's core.
#include "kernel/lib/sched_core.h"
#include <quartz/wait.h>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <deque>
#include <functional>
#include <initializer_list>
#include <list>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using quartz::SchedThread;
using quartz::ThreadState;
using quartz::WakeReason;

struct ThreadExited {};  // thrown by the fake switch when it leaves a Dead thread

// The hooks are static, so the fake CPU's state is too; every test resets it.
struct Env {
  static inline int depth = 0;              // FakeGuard nesting (0: "interrupts on")
  static inline long guard_entries = 0;     // guards ever taken
  static inline std::function<void()> irq;  // a simulated interrupt, see FakeGuard
  static inline int irq_countdown = 0;
  static inline std::vector<std::pair<SchedThread*, SchedThread*>> switches;
  static inline std::vector<int> depth_at_switch;
  static inline std::function<void(SchedThread*, SchedThread*)> on_switch;  // one-shot
  static inline std::vector<std::pair<SchedThread*, unsigned long>> fired;  // watchdog
  static inline long guard_asserts = 0;  // Hooks::assert_guard_held calls

  static void reset() {
    depth = 0;
    guard_entries = 0;
    irq = nullptr;
    irq_countdown = 0;
    switches.clear();
    depth_at_switch.clear();
    on_switch = nullptr;
    fired.clear();
    guard_asserts = 0;
  }
};

// Runs f at the n-th guard taken from now with interrupts "on" (depth 0), before it masks.
void irq_at_guard(int n, std::function<void()> f) {
  Env::irq = std::move(f);
  Env::irq_countdown = n;
}

class FakeGuard {
 public:
  FakeGuard() {
    if (Env::depth == 0 && Env::irq && --Env::irq_countdown == 0) {
      auto f = std::move(Env::irq);
      Env::irq = nullptr;  // one-shot; the interrupt's own guards nest normally
      f();
    }
    ++Env::depth;
    ++Env::guard_entries;
  }
  ~FakeGuard() { --Env::depth; }
  FakeGuard(const FakeGuard&) = delete;
  FakeGuard& operator=(const FakeGuard&) = delete;
};

struct FakeHooks;
using Core = quartz::SchedCore<FakeGuard, FakeHooks>;
Core* g_core = nullptr;  // the core the C functions and the switch checks use

}  // namespace

// The clock of the fake machine, and the C API the wait_event macros expand to.
extern "C" {
volatile unsigned long jiffies = 0;
void prepare_to_wait(wait_queue_head_t* wq) { g_core->prepare_to_wait(wq); }
void prepare_to_wait_timeout(wait_queue_head_t* wq, unsigned long deadline) {
  g_core->prepare_to_wait(wq, true, deadline);
}
void schedule(void) { g_core->schedule(); }
void finish_wait(wait_queue_head_t* wq) { g_core->finish_wait(wq); }
void wake_up(wait_queue_head_t* wq) { g_core->wake_up(wq); }
}

namespace {

struct FakeHooks : quartz::SchedHooksBase {
  static void switch_to(SchedThread* from, SchedThread* to) {
    Env::switches.emplace_back(from, to);
    Env::depth_at_switch.push_back(Env::depth);
    EXPECT_NE(from, to) << "switch to self";
    EXPECT_EQ(to->state, ThreadState::Running) << "switched to a thread that is not Running";
    if (g_core) {
      EXPECT_EQ(g_core->current(), to) << "current() is not the thread switched to";
    }
    if (from->state == ThreadState::Dead) throw ThreadExited{};  // never resumed
    if (Env::on_switch) {
      auto f = std::move(Env::on_switch);
      Env::on_switch = nullptr;
      const int held = Env::depth;
      Env::depth = 0;  // `to` returns from its own schedule() and drops its own guard
      f(from, to);
      Env::depth = held;  // back on `from`'s stack, inside its schedule()
    }
  }
  static unsigned long now() { return jiffies; }
  static void watchdog_fired(SchedThread* t, unsigned long asleep) {
    EXPECT_EQ(Env::depth, 0) << "watchdog report made with the guard held";
    Env::fired.emplace_back(t, asleep);
  }
  // The kernel checks the interrupt flag; the fake checks its depth, so every test fails
  // if a *_locked helper or tick_irqs_off ever runs unguarded.
  static void assert_guard_held(const char* where) {
    ++Env::guard_asserts;
    if (Env::depth == 0) ADD_FAILURE() << where << " ran without the guard";
  }
};

using Switch = std::pair<SchedThread*, SchedThread*>;

// The threads on a wait queue, walking the links (and checking they are consistent).
std::vector<SchedThread*> sleepers(wait_queue_head* wq) {
  std::vector<SchedThread*> out;
  if (!wq->sleepers.next) return out;  // zero-filled: an empty queue
  for (wq_link* l = wq->sleepers.next; l != &wq->sleepers; l = l->next) {
    EXPECT_EQ(l->next->prev, l) << "broken back link on a wait queue";
    out.push_back(quartz::sched_detail::thread_of(l));
    if (out.size() > 1000) {
      ADD_FAILURE() << "wait queue does not close";
      break;
    }
  }
  return out;
}

class SchedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Env::reset();
    jiffies = 0;
    g_core = &core;
    core.init(&idle);
  }
  void TearDown() override {
    EXPECT_EQ(Env::depth, 0) << "a guard was left held";
    for (int d : Env::depth_at_switch) {
      EXPECT_EQ(d, 1) << "switch_to without exactly one guard";
    }
    g_core = nullptr;
    Env::reset();
  }

  // Starts the threads in this order and switches to the first; the test then runs as it.
  void run_first(std::initializer_list<SchedThread*> ts) {
    for (SchedThread* t : ts) core.start(t);
    core.schedule();
  }
  // The current thread goes to sleep on wq (the two halves of a wait loop).
  void block(wait_queue_head* wq, bool has_deadline = false, unsigned long deadline = 0) {
    core.prepare_to_wait(wq, has_deadline, deadline);
    core.schedule();
  }
  // Advances the clock one jiffy and delivers IRQ 0; returns tick()'s answer.
  bool tick() {
    jiffies = jiffies + 1;
    return core.tick();
  }
  // Arms on_switch so that the thread switched to runs ticks (and, if scan, watchdog
  // scans) until `waiter` is runnable again, then switches back to it. Returns the
  // number of ticks through *ticks.
  void idle_ticks_until_runnable(SchedThread* waiter, int* ticks, bool scan = false,
                                 int limit = 1000) {
    Env::on_switch = [this, waiter, ticks, scan, limit](SchedThread*, SchedThread*) {
      std::vector<SchedThread*> all{&idle, &a, &b, &c, &d};
      *ticks = 0;
      while (waiter->state == ThreadState::Blocked && *ticks < limit) {
        tick();
        ++*ticks;
        if (scan) core.watchdog_scan(all);
      }
      core.schedule();  // back to the waiter (it is first on the run queue)
    };
  }

  // Arms on_switch so that each time `waiter` sleeps on a deadline, the clock jumps to
  // one tick before it and the next tick wakes it: a sleep of 2^64 ticks takes a few
  // steps. Records how far ahead of the clock each deadline was armed (a chunk's length).
  void jump_to_each_deadline(SchedThread* waiter, std::vector<unsigned long>* ahead) {
    Env::on_switch = [this, waiter, ahead](SchedThread*, SchedThread* to) {
      const bool leaving = to != waiter;
      if (leaving) {
        EXPECT_TRUE(waiter->timer_node.is_linked());
        ahead->push_back(waiter->deadline - jiffies);
        jiffies = waiter->deadline - 1;
        tick();
        EXPECT_EQ(waiter->state, ThreadState::Runnable);
      }
      jump_to_each_deadline(waiter, ahead);  // for the waiter's next sleep
      if (leaving) core.schedule();          // back to the waiter
    };
  }

  SchedThread idle, a, b, c, d;
  DECLARE_WAIT_QUEUE_HEAD(wq);
  DECLARE_WAIT_QUEUE_HEAD(wq2);
  Core core;  // declared after the threads: destroyed first, so it unlinks them
};

// ---- init, start, round robin, idle -------------------------------------------------

TEST(SchedInit, BootThreadBecomesTheRunningIdleThread) {
  Env::reset();
  SchedThread boot;
  Core core;
  g_core = &core;
  EXPECT_EQ(core.slice(), 10u);  // the defaults
  EXPECT_EQ(core.watchdog(), 0u);
  core.init(&boot);
  EXPECT_EQ(core.current(), &boot);
  EXPECT_EQ(core.idle(), &boot);
  EXPECT_EQ(boot.state, ThreadState::Running);
  EXPECT_FALSE(boot.run_node.is_linked());
  EXPECT_EQ(core.runnable_count(), 0u);
  EXPECT_FALSE(core.need_resched());
  EXPECT_EQ(Env::guard_entries, 1);
  EXPECT_EQ(Env::depth, 0);
  core.schedule();  // nothing else exists: the idle thread keeps the CPU
  EXPECT_TRUE(Env::switches.empty());
  EXPECT_EQ(boot.state, ThreadState::Running);
  core.set_slice(0);  // a zero slice would never expire: it is clamped to one tick
  EXPECT_EQ(core.slice(), 1u);
  g_core = nullptr;
}

TEST_F(SchedTest, StartQueuesThreadsAtTheBackWithAFullSlice) {
  core.set_slice(4);
  core.start(&a);
  core.start(&b);
  EXPECT_EQ(core.runnable_count(), 2u);
  EXPECT_EQ(a.state, ThreadState::Runnable);
  EXPECT_EQ(b.state, ThreadState::Runnable);
  EXPECT_EQ(a.slice_left, 4u);
  EXPECT_TRUE(a.run_node.is_linked());
  EXPECT_EQ(core.current(), &idle);  // start() does not switch by itself
  EXPECT_TRUE(Env::switches.empty());
}

TEST_F(SchedTest, ScheduleRoundRobinsInStartOrder) {
  run_first({&a, &b, &c});
  for (int i = 0; i < 6; ++i) core.schedule();
  const std::vector<Switch> want{{&idle, &a}, {&a, &b}, {&b, &c}, {&c, &a},
                                 {&a, &b},    {&b, &c}, {&c, &a}};
  EXPECT_EQ(Env::switches, want);
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_EQ(b.state, ThreadState::Runnable);
  EXPECT_EQ(c.state, ThreadState::Runnable);
  EXPECT_EQ(core.runnable_count(), 2u);  // b and c; the idle thread is never queued
  EXPECT_FALSE(idle.run_node.is_linked());
  EXPECT_EQ(a.switches, 3u);
  EXPECT_EQ(b.switches, 2u);
}

TEST_F(SchedTest, IdleRunsOnlyWhenTheRunQueueIsEmptyAndIsNeverQueued) {
  core.schedule();  // only idle exists
  EXPECT_TRUE(Env::switches.empty());
  core.start(&a);
  core.schedule();
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(idle.state, ThreadState::Runnable);  // not running, but not queued either
  EXPECT_FALSE(idle.run_node.is_linked());
  EXPECT_EQ(core.runnable_count(), 0u);
  core.schedule();  // a yields with nobody else runnable: keeps the CPU, idle does not run
  EXPECT_EQ(Env::switches.size(), 1u);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_FALSE(a.run_node.is_linked());
  block(&wq);  // now nothing is runnable: idle
  EXPECT_EQ(Env::switches.back(), Switch(&a, &idle));
  EXPECT_EQ(idle.state, ThreadState::Running);
  core.start(&b);
  core.schedule();  // idle gives way as soon as something is runnable
  EXPECT_EQ(Env::switches.back(), Switch(&idle, &b));
  EXPECT_EQ(core.runnable_count(), 0u);
}

// ---- blocking and waking ------------------------------------------------------------

TEST_F(SchedTest, PrepareToWaitThenScheduleBlocksAndSwitchesAway) {
  run_first({&a});
  jiffies = 7;
  core.prepare_to_wait(&wq);
  // Between the two halves the thread is still on the CPU, marked Blocked and queued.
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(a.state, ThreadState::Blocked);
  EXPECT_EQ(a.waiting_on, &wq);
  EXPECT_EQ(a.blocked_since, 7u);
  EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&a});
  core.schedule();
  EXPECT_EQ(Env::switches.back(), Switch(&a, &idle));
  EXPECT_EQ(a.state, ThreadState::Blocked);
  EXPECT_FALSE(a.run_node.is_linked());
  EXPECT_EQ(core.runnable_count(), 0u);
  EXPECT_FALSE(a.timer_node.is_linked());  // no deadline was asked for
}

TEST_F(SchedTest, PrepareToWaitTwiceOnOneQueueQueuesOnce) {
  run_first({&a});
  core.prepare_to_wait(&wq);
  core.prepare_to_wait(&wq);  // the wait_event loop's second round
  EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&a});
  EXPECT_EQ(core.wake_up(&wq), 1);
}

TEST_F(SchedTest, WakeUpWakesEverySleeperInFifoOrderAndAsksForAReschedule) {
  run_first({&c, &a, &b});
  block(&wq);  // c sleeps first, then a, then b
  block(&wq);
  block(&wq);
  EXPECT_EQ(core.current(), &idle);
  EXPECT_EQ(sleepers(&wq), (std::vector<SchedThread*>{&c, &a, &b}));
  EXPECT_FALSE(core.need_resched());
  EXPECT_EQ(core.wake_up(&wq), 3);
  EXPECT_TRUE(core.need_resched());
  EXPECT_TRUE(sleepers(&wq).empty());
  for (SchedThread* t : {&a, &b, &c}) {
    EXPECT_EQ(t->state, ThreadState::Runnable);
    EXPECT_EQ(t->wake_reason, WakeReason::WakeUp);
    EXPECT_EQ(t->waiting_on, nullptr);
    EXPECT_EQ(t->wait_link.next, nullptr);
    EXPECT_EQ(t->wait_link.prev, nullptr);
  }
  EXPECT_EQ(core.runnable_count(), 3u);
  Env::switches.clear();
  core.schedule();
  EXPECT_FALSE(core.need_resched());  // schedule() consumes the request
  core.schedule();
  core.schedule();
  const std::vector<Switch> want{{&idle, &c}, {&c, &a}, {&a, &b}};
  EXPECT_EQ(Env::switches, want);
}

TEST_F(SchedTest, TwoSleepersOnOneQueueBothWakeAndBothRun) {
  run_first({&a, &b});
  block(&wq);
  block(&wq);
  EXPECT_EQ(core.wake_up(&wq), 2);
  EXPECT_EQ(core.wake_up(&wq), 0);  // a second wake_up finds nobody: no double queueing
  EXPECT_EQ(core.runnable_count(), 2u);
}

TEST_F(SchedTest, WakeUpOnAnEmptyOrZeroFilledHeadIsSafe) {
  EXPECT_EQ(core.wake_up(&wq), 0);
  EXPECT_FALSE(core.need_resched());
  wait_queue_head_t zeroed;
  std::memset(&zeroed, 0, sizeof zeroed);  // kzalloc'd, never initialised
  EXPECT_EQ(core.wake_up(&zeroed), 0);
  EXPECT_EQ(zeroed.sleepers.next, &zeroed.sleepers);  // now a proper empty queue
  EXPECT_EQ(zeroed.sleepers.prev, &zeroed.sleepers);
  // A zero-filled head can also be slept on directly.
  wait_queue_head_t zeroed2;
  std::memset(&zeroed2, 0, sizeof zeroed2);
  run_first({&a});
  block(&zeroed2);
  EXPECT_EQ(sleepers(&zeroed2), std::vector<SchedThread*>{&a});
  EXPECT_EQ(core.wake_up(&zeroed2), 1);
  EXPECT_EQ(a.state, ThreadState::Runnable);
}

TEST_F(SchedTest, WakeBetweenPrepareAndScheduleLeavesTheThreadRunning) {
  run_first({&a});
  core.prepare_to_wait(&wq);
  EXPECT_EQ(core.wake_up(&wq), 1);  // an interrupt, before the thread reaches schedule()
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_EQ(a.wake_reason, WakeReason::WakeUp);
  EXPECT_EQ(a.waiting_on, nullptr);
  EXPECT_FALSE(a.run_node.is_linked());     // it is on the CPU, not on the run queue
  EXPECT_FALSE(core.need_resched());        // nobody else to run
  core.schedule();                          // the wait loop's schedule(): does not block it
  EXPECT_TRUE(Env::switches.size() == 1u);  // only idle->a from run_first
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(a.state, ThreadState::Running);
}

TEST_F(SchedTest, WakeBetweenPrepareAndScheduleWithOthersRunnableOnlyYields) {
  run_first({&a, &b});
  core.prepare_to_wait(&wq);
  EXPECT_EQ(core.wake_up(&wq), 1);
  core.schedule();  // round robin: a goes behind b, still runnable
  EXPECT_EQ(Env::switches.back(), Switch(&a, &b));
  EXPECT_EQ(a.state, ThreadState::Runnable);
  EXPECT_TRUE(a.run_node.is_linked());
  core.schedule();
  EXPECT_EQ(Env::switches.back(), Switch(&b, &a));
}

TEST_F(SchedTest, WakeOnAThreadThatIsNotBlockedChangesNothing) {
  run_first({&a, &b});
  EXPECT_FALSE(core.wake(&a));  // Running
  EXPECT_FALSE(core.wake(&b));  // Runnable: must not be queued twice
  EXPECT_EQ(core.runnable_count(), 1u);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_FALSE(core.need_resched());
}

TEST_F(SchedTest, WakeOneThreadLeavesTheOtherSleepers) {
  run_first({&a, &b});
  block(&wq);
  block(&wq);
  EXPECT_TRUE(core.wake(&b));
  EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&a});
  EXPECT_EQ(b.state, ThreadState::Runnable);
  EXPECT_EQ(a.state, ThreadState::Blocked);
}

TEST_F(SchedTest, PrepareToWaitOnAnotherQueueMovesTheSleeper) {
  run_first({&a, &b});
  core.prepare_to_wait(&wq);
  core.prepare_to_wait(&wq2);
  EXPECT_TRUE(sleepers(&wq).empty());
  EXPECT_EQ(sleepers(&wq2), std::vector<SchedThread*>{&a});
  EXPECT_EQ(a.waiting_on, &wq2);
  core.schedule();
  block(&wq);  // b sleeps on the first queue
  EXPECT_EQ(core.wake_up(&wq2), 1);
  EXPECT_EQ(a.state, ThreadState::Runnable);
  EXPECT_EQ(b.state, ThreadState::Blocked);
  EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&b});
}

TEST_F(SchedTest, FinishWaitWithoutAWakeCleansEveryLink) {
  run_first({&a});
  core.prepare_to_wait(&wq, true, 10);  // the timeout path: leaves without being woken
  core.finish_wait(&wq);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_EQ(a.waiting_on, nullptr);
  EXPECT_EQ(a.wait_link.next, nullptr);
  EXPECT_FALSE(a.timer_node.is_linked());
  EXPECT_TRUE(sleepers(&wq).empty());
  EXPECT_FALSE(a.watched);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(tick());  // the disarmed deadline does nothing
  EXPECT_EQ(a.wake_reason, WakeReason::None);
  EXPECT_EQ(core.wake_up(&wq), 0);
  core.finish_wait(&wq);  // a second finish_wait is harmless
  EXPECT_EQ(a.state, ThreadState::Running);
}

// ---- the wait_event macros, through the C API ---------------------------------------

TEST_F(SchedTest, WaitEventWithTheConditionAlreadyTrueDoesNotSleep) {
  run_first({&a});
  bool flag = true;
  wait_event(wq, flag);
  EXPECT_EQ(Env::switches.size(), 1u);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_TRUE(sleepers(&wq).empty());
}

TEST_F(SchedTest, WaitEventSleepsUntilTheConditionIsSetAndWoken) {
  run_first({&a});
  bool flag = false;
  Env::on_switch = [&](SchedThread* from, SchedThread* to) {
    EXPECT_EQ(from, &a);
    EXPECT_EQ(to, &idle);
    EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&a});
    flag = true;  // the waker sets the condition first, then wakes
    wake_up(&wq);
    schedule();  // need_resched: idle gives way to a
  };
  wait_event(wq, flag);
  const std::vector<Switch> want{{&idle, &a}, {&a, &idle}, {&idle, &a}};
  EXPECT_EQ(Env::switches, want);
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_TRUE(sleepers(&wq).empty());
}

TEST_F(SchedTest, WaitEventSleepsAgainAfterASpuriousWakeup) {
  run_first({&a});
  bool flag = false;
  Env::on_switch = [&](SchedThread*, SchedThread*) {
    wake_up(&wq);  // no condition yet
    schedule();    // back to a, which tests, finds nothing, and sleeps again:
    Env::on_switch = [&](SchedThread*, SchedThread*) {  // (armed for that next switch)
      flag = true;
      wake_up(&wq);
      schedule();
    };
  };
  wait_event(wq, flag);
  EXPECT_EQ(Env::switches.size(), 5u);  // idle->a, then two sleeps, two wakes
  EXPECT_EQ(core.current(), &a);
  EXPECT_TRUE(sleepers(&wq).empty());
}

TEST_F(SchedTest, WaitEventWokenBetweenQueueingAndTheTestReturnsWithoutSleeping) {
  run_first({&a});
  bool flag = false;
  // The condition is evaluated after prepare_to_wait: an interrupt right there sets the
  // flag and wakes the (already queued) thread.
  auto irq_then_test = [&] {
    EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&a});
    flag = true;
    EXPECT_EQ(core.wake_up(&wq), 1);
    return flag;
  };
  wait_event(wq, irq_then_test());
  EXPECT_EQ(Env::switches.size(), 1u);
  EXPECT_EQ(a.state, ThreadState::Running);
}

TEST_F(SchedTest, WaitEventTimeoutExpiresAfterExactlyTheTimeout) {
  run_first({&a});
  jiffies = 1000;
  bool flag = false;
  int ticks = 0;
  idle_ticks_until_runnable(&a, &ticks);
  const long left = wait_event_timeout(wq, flag, 5);
  EXPECT_EQ(left, 0);
  EXPECT_EQ(ticks, 5);
  EXPECT_EQ(jiffies, 1005u);
  // (wake_reason is None again: the loop's last prepare_to_wait reset it before it saw
  // that jiffies had passed the end.)
  EXPECT_FALSE(a.timer_node.is_linked());
  EXPECT_TRUE(sleepers(&wq).empty());
}

TEST_F(SchedTest, WaitEventTimeoutReturnsTheTicksLeftWhenWoken) {
  run_first({&a});
  jiffies = 1000;
  bool flag = false;
  Env::on_switch = [&](SchedThread*, SchedThread*) {
    tick();
    tick();
    flag = true;
    wake_up(&wq);
    schedule();
  };
  const long left = wait_event_timeout(wq, flag, 5);
  EXPECT_EQ(left, 3);
  EXPECT_FALSE(a.timer_node.is_linked());
  for (int i = 0; i < 10; ++i) tick();  // the deadline was disarmed by finish_wait
  EXPECT_EQ(a.state, ThreadState::Running);
  flag = true;
  EXPECT_EQ(wait_event_timeout(wq, flag, 5), 5);  // true at once: the whole timeout left
}

// ---- sleep_on's lost wakeup (history §2 (docs/history.md)) and the watchdog ---------------------------

// The module's cleanup sets the unload flag and sleeps; the tick's routine sees the flag
// and wakes the queue instead of requeuing itself. The tick lands exactly between "flag
// set" and "added to the queue": inside sleep_on, at its first guard, before queueing.
TEST_F(SchedTest, SleepOnLosesAWakeupThatComesBeforeItQueuesAndTheWatchdogReleasesIt) {
  run_first({&a});
  core.set_watchdog(5);
  jiffies = 100;
  bool unloading = false;
  int woken_by_routine = -1;
  auto routine = [&] {
    if (unloading) woken_by_routine = core.wake_up(&wq);
  };
  unloading = true;
  irq_at_guard(1, routine);
  int ticks = 0;
  idle_ticks_until_runnable(&a, &ticks, /*scan=*/true);
  const WakeReason why = core.block_on(&wq);
  EXPECT_EQ(woken_by_routine, 0) << "the routine's wake_up found nobody: the wakeup is lost";
  EXPECT_EQ(why, WakeReason::Watchdog);
  EXPECT_EQ(ticks, 5);  // released exactly when the watchdog period was over
  ASSERT_EQ(Env::fired.size(), 1u);
  EXPECT_EQ(Env::fired[0].first, &a);
  EXPECT_EQ(Env::fired[0].second, 5u);
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_FALSE(a.watched);
  EXPECT_TRUE(sleepers(&wq).empty());
}

// The same race with wait_event: the routine sets the condition it tests, so the waiter
// sees it after queueing and never sleeps.
TEST_F(SchedTest, WaitEventInTheSameRaceReturnsWithoutSleeping) {
  run_first({&a});
  core.set_watchdog(5);
  bool routine_done = false;
  int woken_by_routine = -1;
  irq_at_guard(1, [&] {  // inside prepare_to_wait, before queueing: the same spot
    routine_done = true;
    woken_by_routine = core.wake_up(&wq);
  });
  wait_event(wq, routine_done);
  EXPECT_EQ(woken_by_routine, 0);  // the wake_up was "lost" here too, and it does not matter
  EXPECT_EQ(Env::switches.size(), 1u);
  EXPECT_TRUE(Env::fired.empty());
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_TRUE(sleepers(&wq).empty());
}

// sleep_on only loses a wake_up that comes before it queues: one just after (at the guard
// that marks it watched) finds it, and sleep_on returns at once.
TEST_F(SchedTest, SleepOnWokenAfterQueueingReturnsWakeUp) {
  run_first({&a});
  irq_at_guard(2, [&] { EXPECT_EQ(core.wake_up(&wq), 1); });
  EXPECT_EQ(core.block_on(&wq), WakeReason::WakeUp);
  EXPECT_EQ(Env::switches.size(), 1u);
  EXPECT_FALSE(a.watched);
  EXPECT_EQ(a.state, ThreadState::Running);
}

TEST_F(SchedTest, SleepOnWokenNormallyReturnsWakeUpAndTheWatchdogStaysQuiet) {
  run_first({&a});
  core.set_watchdog(5);
  Env::on_switch = [&](SchedThread*, SchedThread*) {
    std::vector<SchedThread*> all{&idle, &a};
    for (int i = 0; i < 4; ++i) {
      tick();
      core.watchdog_scan(all);
    }
    EXPECT_EQ(core.wake_up(&wq), 1);
    core.schedule();
  };
  EXPECT_EQ(core.block_on(&wq), WakeReason::WakeUp);
  EXPECT_TRUE(Env::fired.empty());
}

TEST_F(SchedTest, WatchdogReleasesOnlySleepOnSleepersAndOnlyWhenEnabled) {
  run_first({&a, &b});
  std::vector<SchedThread*> all{&idle, &a, &b};
  block(&wq);  // a: a wait_event-style sleeper, never watched
  // b sleeps in sleep_on; the test continues as idle inside its switch.
  Env::on_switch = [&](SchedThread*, SchedThread*) {
    for (int i = 0; i < 50; ++i) {
      tick();
      core.watchdog_scan(all);  // watchdog disabled (0): nothing happens
    }
    EXPECT_TRUE(Env::fired.empty());
    EXPECT_EQ(b.state, ThreadState::Blocked);
    core.set_watchdog(60);
    for (int i = 0; i < 9; ++i) {
      tick();
      core.watchdog_scan(all);
    }
    EXPECT_TRUE(Env::fired.empty());  // asleep 59 ticks
    tick();
    core.watchdog_scan(all);
    core.schedule();
  };
  EXPECT_EQ(core.block_on(&wq), WakeReason::Watchdog);
  ASSERT_EQ(Env::fired.size(), 1u);
  EXPECT_EQ(Env::fired[0], std::make_pair(&b, 60ul));
  EXPECT_EQ(a.state, ThreadState::Blocked);  // the wait_event sleeper is left alone
  EXPECT_EQ(sleepers(&wq), std::vector<SchedThread*>{&a});
}

// ---- timeouts -------------------------------------------------------------------------

TEST_F(SchedTest, DeadlineWakesAtTheDeadlineTickNotBefore) {
  run_first({&a});
  jiffies = 100;
  block(&wq, true, 110);
  EXPECT_TRUE(a.timer_node.is_linked());
  EXPECT_EQ(a.deadline, 110u);
  while (jiffies < 109) EXPECT_FALSE(tick());
  EXPECT_EQ(a.state, ThreadState::Blocked);
  EXPECT_TRUE(tick());  // jiffies 110: woken, and the idle CPU should switch at once
  EXPECT_EQ(a.state, ThreadState::Runnable);
  EXPECT_EQ(a.wake_reason, WakeReason::Timeout);
  EXPECT_EQ(a.waiting_on, nullptr);
  EXPECT_TRUE(sleepers(&wq).empty());
  EXPECT_FALSE(a.timer_node.is_linked());
  core.schedule();
  EXPECT_EQ(Env::switches.back(), Switch(&idle, &a));
}

TEST_F(SchedTest, AWakeBeforeTheDeadlineDisarmsTheTimer) {
  run_first({&a});
  jiffies = 100;
  block(&wq, true, 110);
  for (int i = 0; i < 5; ++i) tick();
  EXPECT_EQ(core.wake_up(&wq), 1);
  EXPECT_FALSE(a.timer_node.is_linked());
  core.schedule();
  block(&wq2);  // sleeps again, with no deadline this time
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(tick());
  EXPECT_EQ(a.state, ThreadState::Blocked);  // the old deadline did not re-wake it
  EXPECT_EQ(a.wake_reason, WakeReason::None);
  EXPECT_EQ(sleepers(&wq2), std::vector<SchedThread*>{&a});
  EXPECT_EQ(core.wake_up(&wq2), 1);
}

TEST_F(SchedTest, DeadlineReachedBetweenPrepareAndScheduleKeepsTheThreadRunning) {
  run_first({&a});
  jiffies = 9;
  core.prepare_to_wait(&wq, true, 10);
  tick();  // IRQ 0 in the window
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_EQ(a.wake_reason, WakeReason::Timeout);
  core.schedule();
  EXPECT_EQ(core.current(), &a);
}

TEST_F(SchedTest, SeveralTimersWakeEachInItsOwnTick) {
  run_first({&a, &b, &c, &d});
  block(&wq, true, 30);   // a
  block(&wq, true, 10);   // b
  block(&wq2, true, 20);  // c
  block(&wq2, true, 20);  // d: same deadline as c
  std::vector<std::pair<SchedThread*, unsigned long>> woke;
  while (jiffies < 40) {
    tick();
    for (SchedThread* t : {&a, &b, &c, &d})
      if (t->state == ThreadState::Runnable && t->timer_node.is_linked() == false &&
          std::none_of(woke.begin(), woke.end(), [t](auto& w) { return w.first == t; }))
        woke.emplace_back(t, jiffies);
  }
  const std::vector<std::pair<SchedThread*, unsigned long>> want{
      {&b, 10}, {&c, 20}, {&d, 20}, {&a, 30}};
  EXPECT_EQ(woke, want);
  // The run queue got them in expiry order.
  core.schedule();
  core.schedule();
  core.schedule();
  core.schedule();
  const std::vector<Switch> tail(Env::switches.end() - 4, Env::switches.end());
  const std::vector<Switch> order{{&idle, &b}, {&b, &c}, {&c, &d}, {&d, &a}};
  EXPECT_EQ(tail, order);
}

TEST_F(SchedTest, AnEarlierTimerArmedLaterStillWakesFirst) {
  run_first({&a, &b});
  block(&wq, true, 50);  // a
  tick();
  block(&wq, true, 5);  // b, armed after a with an earlier deadline
  while (jiffies < 4) tick();
  EXPECT_EQ(b.state, ThreadState::Blocked);
  tick();
  EXPECT_EQ(b.state, ThreadState::Runnable);
  EXPECT_EQ(a.state, ThreadState::Blocked);
  while (jiffies < 49) tick();
  EXPECT_EQ(a.state, ThreadState::Blocked);
  tick();
  EXPECT_EQ(a.state, ThreadState::Runnable);
}

TEST_F(SchedTest, ReArmingWithALaterDeadlineMovesTheWakeup) {
  run_first({&a});
  core.prepare_to_wait(&wq, true, 5);
  core.prepare_to_wait(&wq, true, 8);  // a wait loop re-arming
  core.schedule();
  while (jiffies < 7) tick();
  EXPECT_EQ(a.state, ThreadState::Blocked);
  tick();
  EXPECT_EQ(a.state, ThreadState::Runnable);
}

TEST_F(SchedTest, DeadlinesAcrossTheJiffiesWrapWork) {
  run_first({&a, &b});
  jiffies = ULONG_MAX - 2;
  block(&wq, true, jiffies + 5);  // a: wraps to 2
  block(&wq, true, ULONG_MAX);    // b: just before the wrap
  EXPECT_EQ(a.deadline, 2u);
  tick();  // ULONG_MAX - 1
  EXPECT_EQ(b.state, ThreadState::Blocked);
  tick();  // ULONG_MAX
  EXPECT_EQ(b.state, ThreadState::Runnable);
  EXPECT_EQ(a.state, ThreadState::Blocked);
  tick();  // 0
  tick();  // 1
  EXPECT_EQ(jiffies, 1u);
  EXPECT_EQ(a.state, ThreadState::Blocked);
  tick();  // 2
  EXPECT_EQ(a.state, ThreadState::Runnable);
  EXPECT_EQ(a.wake_reason, WakeReason::Timeout);
}

TEST_F(SchedTest, SleepTicksSleepsExactlyThatManyTicks) {
  run_first({&a});
  jiffies = 50;
  wait_queue_head_t priv;
  std::memset(&priv, 0, sizeof priv);  // like a kernel stack head set up by hand
  int ticks = 0;
  idle_ticks_until_runnable(&a, &ticks);
  core.sleep_ticks(&priv, 3);
  EXPECT_EQ(ticks, 3);
  EXPECT_EQ(jiffies, 53u);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_FALSE(a.timer_node.is_linked());
  EXPECT_TRUE(sleepers(&priv).empty());
  const size_t before = Env::switches.size();
  core.sleep_ticks(&priv, 0);  // no time at all: returns without switching
  EXPECT_EQ(Env::switches.size(), before);
  EXPECT_TRUE(sleepers(&priv).empty());
}

TEST_F(SchedTest, SleepTicksAcrossTheWrap) {
  run_first({&a});
  jiffies = ULONG_MAX - 1;
  wait_queue_head_t priv{};
  int ticks = 0;
  idle_ticks_until_runnable(&a, &ticks);
  core.sleep_ticks(&priv, 4);
  EXPECT_EQ(ticks, 4);
  EXPECT_EQ(jiffies, 2u);
}

// Deadlines compare as signed differences, so one reaches at most the horizon (LONG_MAX
// ticks; 2^31 - 1 on i686, where msleep(2^32 - 1) at HZ=1000 needs 2^32 - 1 ticks). A
// longer sleep is slept in chunks, each from the previous deadline: exact in total,
// never a deadline past the horizon (which would read as already expired).
constexpr unsigned long kHorizon = QUARTZ_TIMEOUT_HORIZON;
static_assert(kHorizon == ULONG_MAX / 2);

TEST_F(SchedTest, SleepTicksPastTheHorizonSleepsInChunksAndExactly) {
  run_first({&a});
  jiffies = 100;
  wait_queue_head_t priv{};
  std::vector<unsigned long> ahead;
  jump_to_each_deadline(&a, &ahead);
  core.sleep_ticks(&priv, ULONG_MAX);  // 2^64 - 1 = horizon + horizon + 1
  Env::on_switch = nullptr;
  EXPECT_EQ(ahead, (std::vector<unsigned long>{kHorizon, kHorizon, 1}));
  EXPECT_EQ(jiffies, 99u);  // 100 + 2^64 - 1, modulo 2^64
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_FALSE(a.timer_node.is_linked());
  EXPECT_TRUE(sleepers(&priv).empty());
}

TEST_F(SchedTest, SleepTicksOfExactlyTheHorizonIsOneChunk) {
  run_first({&a});
  wait_queue_head_t priv{};
  std::vector<unsigned long> ahead;
  jump_to_each_deadline(&a, &ahead);
  core.sleep_ticks(&priv, kHorizon);
  core.sleep_ticks(&priv, uint64_t(kHorizon) + 1);
  Env::on_switch = nullptr;
  EXPECT_EQ(ahead, (std::vector<unsigned long>{kHorizon, kHorizon, 1}));
}

TEST_F(SchedTest, WaitEventTimeoutPastTheHorizonNeverTimesOutEarly) {
  run_first({&a});
  jiffies = 7;
  bool flag = false;
  std::vector<unsigned long> ahead;
  jump_to_each_deadline(&a, &ahead);
  const long left = wait_event_timeout(wq, flag, ULONG_MAX);
  Env::on_switch = nullptr;
  EXPECT_EQ(left, 0);
  EXPECT_EQ(ahead, (std::vector<unsigned long>{kHorizon, kHorizon, 1}));
  EXPECT_EQ(jiffies, 6u);
  EXPECT_TRUE(sleepers(&wq).empty());
  EXPECT_FALSE(a.timer_node.is_linked());
}

// Woken in the second chunk: the ticks left count the whole timeout, not the chunk; a
// count past what a long can hold is reported as the horizon (still "not timed out").
TEST_F(SchedTest, WaitEventTimeoutPastTheHorizonReturnsTheTicksLeft) {
  run_first({&a});
  bool flag = false;
  int switches = 0;
  std::function<void(SchedThread*, SchedThread*)> step = [&](SchedThread*, SchedThread* to) {
    Env::on_switch = step;
    if (to == &a) return;
    if (++switches == 1) {  // the first chunk runs out
      jiffies = a.deadline - 1;
      tick();
    } else {  // three ticks into the second chunk, the condition comes true
      tick();
      tick();
      tick();
      flag = true;
      wake_up(&wq);
    }
    core.schedule();
  };
  Env::on_switch = step;
  EXPECT_EQ(wait_event_timeout(wq, flag, uint64_t(kHorizon) + 10), 7);
  flag = false;
  switches = 0;  // 2^64 - 1: woken 3 ticks into the second chunk, horizon - 2 are left
  EXPECT_EQ(wait_event_timeout(wq, flag, ULONG_MAX), long(kHorizon) - 2);
  flag = false;
  switches = 1;  // woken 3 ticks into the first: 2^64 - 4 left, more than a long holds
  EXPECT_EQ(wait_event_timeout(wq, flag, ULONG_MAX), long(kHorizon));
  Env::on_switch = nullptr;
  EXPECT_TRUE(sleepers(&wq).empty());
}

// ---- time slices and preemption -------------------------------------------------------

TEST_F(SchedTest, ABusyThreadIsPreemptedAfterItsSliceOnlyIfAnotherCanRun) {
  core.set_slice(3);
  run_first({&a, &b});
  EXPECT_FALSE(tick());
  EXPECT_FALSE(tick());
  EXPECT_TRUE(tick());  // third tick: b is waiting
  EXPECT_TRUE(core.need_resched());
  core.preempt();  // the way out of IRQ 0
  EXPECT_EQ(Env::switches.back(), Switch(&a, &b));
  EXPECT_EQ(b.slice_left, 3u);
  block(&wq);  // b sleeps: a is alone now
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(tick()) << "preempted with nobody to run, tick " << i;
  EXPECT_EQ(core.current(), &a);
}

TEST_F(SchedTest, AThreadThatUsedUpItsSliceAloneIsPreemptedOnceAnotherArrives) {
  core.set_slice(3);
  run_first({&a});
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(tick());  // slice long gone, nobody else
  core.start(&b);                                    // e.g. a creates a thread and keeps busy
  EXPECT_TRUE(tick()) << "b would starve behind a busy a";
  core.preempt();
  EXPECT_EQ(core.current(), &b);
}

TEST_F(SchedTest, AWakeupFromAnInterruptAsksToPreemptBeforeTheSliceEnds) {
  core.set_slice(100);
  run_first({&a, &b});
  block(&wq);                       // a sleeps, b runs
  EXPECT_EQ(core.wake_up(&wq), 1);  // an interrupt handler wakes a
  EXPECT_TRUE(tick());              // so the tick (or any interrupt exit) switches
  core.preempt();
  EXPECT_EQ(core.current(), &a);
}

TEST_F(SchedTest, ATimeoutWhileIdleSwitchesOnTheWayOutOfThatTick) {
  run_first({&a});
  block(&wq, true, 3);
  EXPECT_FALSE(tick());
  EXPECT_FALSE(tick());
  EXPECT_TRUE(tick());
  core.preempt();
  EXPECT_EQ(core.current(), &a);  // in the same tick, not one later
}

TEST_F(SchedTest, TheIdleThreadIsNeverPreemptedBySliceExpiry) {
  core.set_slice(1);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(tick());
  EXPECT_EQ(idle.ticks_run, 5u);
}

TEST_F(SchedTest, TicksRunCountsTheTicksEachThreadWasOnTheCpu) {
  core.set_slice(100);
  run_first({&a, &b});
  for (int i = 0; i < 4; ++i) tick();
  core.schedule();  // b
  for (int i = 0; i < 2; ++i) tick();
  block(&wq);  // a
  block(&wq);  // idle
  for (int i = 0; i < 3; ++i) tick();
  EXPECT_EQ(a.ticks_run, 4u);
  EXPECT_EQ(b.ticks_run, 2u);
  EXPECT_EQ(idle.ticks_run, 3u);
}

// The IRQ-exit path must not treat a thread interrupted between prepare_to_wait and its
// condition test as a sleeper: if the wake_up came before it queued (the race of §2), no
// one would ever wake it. schedule() does exactly that (it is the voluntary call);
// preempt() lets the thread keep the CPU until it calls schedule() itself.
TEST_F(SchedTest, ScheduleInTheWaitWindowDeschedulesTheThreadAsASleeper) {
  run_first({&a, &b});
  core.prepare_to_wait(&wq);  // the wake_up already came and went; b is runnable
  core.schedule();            // what an IRQ exit calling schedule() would do
  EXPECT_EQ(core.current(), &b);
  EXPECT_EQ(a.state, ThreadState::Blocked);  // only a wake_up on wq can bring it back
}

TEST_F(SchedTest, PreemptInTheWaitWindowKeepsTheThreadOnTheCpu) {
  core.set_slice(1);
  run_first({&a, &b});
  const bool flag = true;  // the waker ran first: set the flag, woke an empty queue
  EXPECT_EQ(core.wake_up(&wq), 0);
  auto irq_then_test = [&] {
    EXPECT_TRUE(tick());  // slice over and b waiting: need_resched
    core.preempt();       // IRQ exit in the window
    EXPECT_EQ(core.current(), &a);
    return flag;
  };
  wait_event(wq, irq_then_test());
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_EQ(Env::switches.size(), 1u);
  EXPECT_TRUE(core.need_resched());  // still pending: the next exit (or schedule) honours it
  core.preempt();
  EXPECT_EQ(Env::switches.back(), Switch(&a, &b));
}

TEST_F(SchedTest, PreemptWithoutARequestDoesNothing) {
  run_first({&a, &b});
  core.preempt();
  EXPECT_EQ(core.current(), &a);
  EXPECT_EQ(Env::switches.size(), 1u);
}

// The IRQ 0 handler runs with interrupts already off and uses the guard-less variant; it
// must do exactly what tick() does. The interrupt exit reads need_resched through the
// flag's address, without a call.
TEST_F(SchedTest, TickIrqsOffIsTickWithoutTheGuard) {
  core.set_slice(2);
  run_first({&a, &b});
  block(&wq, true, 3);  // a sleeps until jiffies 3; b runs
  const long before = Env::guard_entries;
  const volatile bool* flag = core.need_resched_flag();
  ++Env::depth;  // the handler's context: interrupts off
  jiffies = jiffies + 1;
  core.tick_irqs_off();
  EXPECT_FALSE(*flag);
  jiffies = jiffies + 1;
  core.tick_irqs_off();
  EXPECT_FALSE(*flag);  // slice over, but nobody else is runnable
  jiffies = jiffies + 1;
  core.tick_irqs_off();  // a's deadline
  --Env::depth;
  EXPECT_EQ(Env::guard_entries, before);
  EXPECT_TRUE(*flag);
  EXPECT_EQ(b.ticks_run, 3u);
  EXPECT_EQ(a.state, ThreadState::Runnable);
  EXPECT_EQ(a.wake_reason, WakeReason::Timeout);
  core.preempt();
  EXPECT_FALSE(*flag);
  EXPECT_EQ(core.current(), &a);
}

// The contract "interrupts off" is asserted, not just written: tick_irqs_off called
// without the guard (a thread calling the IRQ 0 path by mistake) is reported by the hook.
TEST_F(SchedTest, TickIrqsOffWithoutTheGuardIsReported) {
  run_first({&a});
  EXPECT_NONFATAL_FAILURE(g_core->tick_irqs_off(), "tick_irqs_off ran without the guard");
}

// Every locked helper asserts: a wake, a timeout and a wait each go through the hook, and
// (TearDown and the hook) none ran unguarded.
TEST_F(SchedTest, LockedHelpersAssertTheGuardIsHeld) {
  run_first({&a, &b});
  const long before = Env::guard_asserts;
  core.prepare_to_wait(&wq, true, 5);  // arm_timer_locked
  EXPECT_GT(Env::guard_asserts, before);
  const long after_arm = Env::guard_asserts;
  core.finish_wait(&wq);  // leave_wait_locked
  EXPECT_GT(Env::guard_asserts, after_arm);
  const long after_leave = Env::guard_asserts;
  block(&wq, true, 2);  // a sleeps; b runs
  tick();
  tick();  // expire_timers_locked, wake_locked
  EXPECT_GE(Env::guard_asserts, after_leave + 4);
  EXPECT_EQ(a.state, ThreadState::Runnable);
}

// ---- exit and reaping -----------------------------------------------------------------

TEST_F(SchedTest, ExitMakesAZombieThatIsReapedAndNeverScheduledAgain) {
  run_first({&a, &b, &c});
  EXPECT_THROW(core.exit_current(), ThreadExited);
  EXPECT_EQ(a.state, ThreadState::Dead);
  EXPECT_EQ(Env::switches.back(), Switch(&a, &b));
  EXPECT_EQ(core.current(), &b);
  EXPECT_EQ(core.runnable_count(), 1u);  // c only
  EXPECT_FALSE(core.wake(&a));
  EXPECT_EQ(a.state, ThreadState::Dead);
  for (int i = 0; i < 10; ++i) {
    core.schedule();
    EXPECT_NE(Env::switches.back().second, &a);
  }
  EXPECT_EQ(core.take_zombie(), &a);
  EXPECT_FALSE(a.run_node.is_linked());
  EXPECT_EQ(core.take_zombie(), nullptr);
}

TEST_F(SchedTest, ExitInTheWaitWindowLeavesTheQueueAndTheTimer) {
  run_first({&a, &b});
  core.prepare_to_wait(&wq, true, 10);
  EXPECT_THROW(core.exit_current(), ThreadExited);
  EXPECT_TRUE(sleepers(&wq).empty());
  EXPECT_FALSE(a.timer_node.is_linked());
  EXPECT_EQ(a.waiting_on, nullptr);
  for (int i = 0; i < 20; ++i) tick();
  EXPECT_EQ(a.state, ThreadState::Dead);
  EXPECT_EQ(core.wake_up(&wq), 0);
}

TEST_F(SchedTest, LastThreadExitingHandsTheCpuToIdle) {
  run_first({&a});
  EXPECT_THROW(core.exit_current(), ThreadExited);
  EXPECT_EQ(core.current(), &idle);
  EXPECT_EQ(idle.state, ThreadState::Running);
  EXPECT_EQ(core.take_zombie(), &a);
}

TEST_F(SchedTest, TakeZombieNeverReturnsTheThreadStillExiting) {
  run_first({&a, &b});
  SchedThread* reaped_inside = &idle;  // sentinel: "not called"
  // An interrupt after a is marked Dead but before it has switched away (at the guard
  // of exit_current's schedule()): a is a zombie and still current.
  irq_at_guard(2, [&] {
    EXPECT_EQ(a.state, ThreadState::Dead);
    EXPECT_EQ(core.current(), &a);
    reaped_inside = core.take_zombie();
  });
  EXPECT_THROW(core.exit_current(), ThreadExited);
  EXPECT_EQ(reaped_inside, nullptr);
  EXPECT_EQ(core.take_zombie(), &a);
}

TEST_F(SchedTest, ZombiesAreReapedInExitOrder) {
  run_first({&a, &b, &c});
  EXPECT_THROW(core.exit_current(), ThreadExited);  // a
  EXPECT_THROW(core.exit_current(), ThreadExited);  // b
  EXPECT_EQ(core.current(), &c);
  EXPECT_EQ(core.take_zombie(), &a);
  EXPECT_EQ(core.take_zombie(), &b);
  EXPECT_EQ(core.take_zombie(), nullptr);
}

// ---- odds and ends --------------------------------------------------------------------

TEST(SchedNames, ThreadStateNames) {
  EXPECT_STREQ(quartz::thread_state_name(ThreadState::Runnable), "runnable");
  EXPECT_STREQ(quartz::thread_state_name(ThreadState::Running), "running");
  EXPECT_STREQ(quartz::thread_state_name(ThreadState::Blocked), "sleeping");
  EXPECT_STREQ(quartz::thread_state_name(ThreadState::Dead), "dead");
  EXPECT_STREQ(quartz::thread_state_name(static_cast<ThreadState>(42)), "?");
}

// Every entry point other than the plain setters and getters takes the guard, and leaves
// none held; switch_to is only ever called inside one (checked in TearDown).
TEST_F(SchedTest, EveryEntryPointTakesTheGuard) {
  auto takes = [](const char* what, auto&& f) {
    const long before = Env::guard_entries;
    f();
    EXPECT_GT(Env::guard_entries, before) << what;
    EXPECT_EQ(Env::depth, 0) << what;
  };
  std::vector<SchedThread*> all{&idle, &a, &b};
  takes("start", [&] { core.start(&a); });
  takes("start", [&] { core.start(&b); });
  takes("schedule", [&] { core.schedule(); });
  takes("prepare_to_wait", [&] { core.prepare_to_wait(&wq, true, 5); });
  takes("wake_up", [&] { core.wake_up(&wq); });
  takes("finish_wait", [&] { core.finish_wait(&wq); });
  takes("wake", [&] { core.wake(&b); });
  takes("tick", [&] { core.tick(); });
  takes("preempt", [&] { core.preempt(); });
  takes("take_zombie", [&] { core.take_zombie(); });
  core.set_watchdog(1);
  takes("watchdog_scan", [&] { core.watchdog_scan(all); });
  takes("sleep_ticks", [&] { core.sleep_ticks(&wq2, 0); });
  irq_at_guard(2, [&] { core.wake_up(&wq); });
  takes("block_on", [&] { core.block_on(&wq); });
  takes("exit_current", [&] { EXPECT_THROW(core.exit_current(), ThreadExited); });
}

// ---- randomized: the core against a reference model, checked after every step ---------

constexpr int kThreads = 6;  // plus the idle thread at index 0
constexpr int kQueues = 3;
constexpr unsigned kSlice = 3;
constexpr unsigned long kWatchdog = 7;

// A deliberately naive model of the documented semantics (std containers, indices).
struct Model {
  struct T {
    bool live = false;  // started and not yet reaped
    ThreadState st = ThreadState::Runnable;
    int wq = -1;
    bool timer = false;
    unsigned long deadline = 0, blocked_since = 0, ticks_run = 0;
    bool watched = false;
    WakeReason why = WakeReason::None;
    unsigned slice_left = 0;
  };
  T t[kThreads + 1];
  std::deque<int> runq, zombies, wq[kQueues];
  std::list<int> timers;  // in arming order, the order expiry wakes them in
  int cur = 0;
  bool need_resched = false;
  std::vector<std::pair<int, int>> switches;
  std::vector<std::pair<int, unsigned long>> fired;

  template <class C>
  static void erase(C& c, int v) {
    auto it = std::find(c.begin(), c.end(), v);
    if (it != c.end()) c.erase(it);
  }
  void leave(int i) {
    if (t[i].wq >= 0) erase(wq[t[i].wq], i);
    t[i].wq = -1;
    if (t[i].timer) erase(timers, i);
    t[i].timer = false;
  }
  bool wake(int i, WakeReason why) {
    leave(i);
    if (t[i].st != ThreadState::Blocked) return false;
    t[i].why = why;
    t[i].watched = false;
    if (i == cur) {
      t[i].st = ThreadState::Running;
      return true;
    }
    t[i].st = ThreadState::Runnable;
    runq.push_back(i);
    need_resched = true;
    return true;
  }
  void start(int i) {
    t[i].live = true;
    t[i].st = ThreadState::Runnable;
    t[i].slice_left = kSlice;
    runq.push_back(i);
  }
  void prepare(int q, bool has_deadline, unsigned long deadline, unsigned long now) {
    T& c = t[cur];
    if (c.wq != q) {
      if (c.wq >= 0) erase(wq[c.wq], cur);
      wq[q].push_back(cur);
      c.wq = q;
    }
    if (c.st != ThreadState::Blocked) c.blocked_since = now;
    c.st = ThreadState::Blocked;
    c.why = WakeReason::None;
    if (has_deadline) {
      if (c.timer) erase(timers, cur);
      c.deadline = deadline;
      c.timer = true;
      timers.push_back(cur);
    }
  }
  void finish() {
    leave(cur);
    t[cur].st = ThreadState::Running;
    t[cur].watched = false;
  }
  int wake_up(int q) {
    int n = 0;
    while (!wq[q].empty()) {
      wake(wq[q].front(), WakeReason::WakeUp);
      ++n;
    }
    return n;
  }
  void schedule() {
    need_resched = false;
    const int prev = cur;
    if (t[prev].st == ThreadState::Running && prev != 0) {
      t[prev].st = ThreadState::Runnable;
      runq.push_back(prev);
    }
    int next = 0;
    if (!runq.empty()) {
      next = runq.front();
      runq.pop_front();
    }
    if (next == prev) {
      t[prev].st = ThreadState::Running;
      return;
    }
    if (prev == 0 && t[0].st == ThreadState::Running) t[0].st = ThreadState::Runnable;
    t[next].st = ThreadState::Running;
    t[next].slice_left = kSlice;
    cur = next;
    switches.emplace_back(prev, next);
  }
  void preempt() {
    if (need_resched && t[cur].st == ThreadState::Running) schedule();
  }
  bool tick(unsigned long now) {
    T& c = t[cur];
    ++c.ticks_run;
    if (cur != 0) {
      if (c.slice_left) --c.slice_left;
      if (c.slice_left == 0 && !runq.empty()) need_resched = true;
    }
    const std::vector<int> armed(timers.begin(), timers.end());
    for (int i : armed)
      if (long(now - t[i].deadline) >= 0) wake(i, WakeReason::Timeout);
    return need_resched;
  }
  void exit() {
    leave(cur);
    t[cur].st = ThreadState::Dead;
    zombies.push_back(cur);
    schedule();
  }
  int take_zombie() {
    for (int z : zombies) {
      if (z == cur) continue;
      erase(zombies, z);
      t[z].live = false;
      return z;
    }
    return -1;
  }
  void watchdog_scan(unsigned long now) {
    for (int i = 0; i <= kThreads; ++i) {
      if (t[i].st != ThreadState::Blocked || !t[i].watched) continue;
      const unsigned long asleep = now - t[i].blocked_since;
      if (asleep < kWatchdog) continue;
      fired.emplace_back(i, asleep);
      wake(i, WakeReason::Watchdog);
    }
  }
};

struct RandomRun {
  SchedThread th[kThreads + 1];
  wait_queue_head_t wq[kQueues];
  Core core;  // after the threads: destroyed first
  Model m;
  std::mt19937 rng;
  std::vector<SchedThread*> all;
  // Coverage: a run that never blocks or times out would prove nothing.
  long blocks = 0, window_wakes = 0, timeouts = 0, watchdogs = 0, exits = 0, reaps = 0,
       preempts = 0, moves = 0;

  explicit RandomRun(unsigned seed) : rng(seed) {
    for (int q = 0; q < kQueues; ++q) {
      if (q == 0) {
        std::memset(&wq[q], 0, sizeof wq[q]);  // one head is zero-filled
      } else {
        wq[q].sleepers.next = wq[q].sleepers.prev = &wq[q].sleepers;
      }
    }
    for (auto& t : th) all.push_back(&t);
  }
  int idx(const SchedThread* t) const { return t ? int(t - th) : -1; }
  unsigned pick(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng); }
  bool chance(unsigned percent) { return pick(100) < percent; }

  // Structural invariants of the real core alone, then agreement with the model.
  std::ostringstream err;  // reused: building a stream per step would dominate the run

  std::string check() {
    err.str("");
    if (Env::depth != 0) err << "guard left held; ";
    SchedThread* cur = core.current();
    if (idx(cur) != m.cur) err << "current " << idx(cur) << " model " << m.cur << "; ";
    if (cur->state != ThreadState::Running && cur->state != ThreadState::Blocked)
      err << "current is " << quartz::thread_state_name(cur->state) << "; ";
    int running = 0;
    size_t runnable = 0, blocked = 0, queued = 0;
    for (int i = 0; i <= kThreads; ++i) {
      const SchedThread& t = th[i];
      const Model::T& mt = m.t[i];
      if (i != 0 && !mt.live) continue;  // never started, or reaped
      if (t.state == ThreadState::Running) {
        ++running;
        if (&t != cur) err << "thread " << i << " Running but not current; ";
      }
      if (i == 0) {
        if (t.state == ThreadState::Blocked || t.state == ThreadState::Dead)
          err << "idle is " << quartz::thread_state_name(t.state) << "; ";
        if (t.run_node.is_linked()) err << "idle queued; ";
      } else if (t.state == ThreadState::Runnable) {
        ++runnable;
        if (!t.run_node.is_linked()) err << "Runnable " << i << " not on the run queue; ";
      } else if (t.state == ThreadState::Dead) {
        if (!t.run_node.is_linked()) err << "zombie " << i << " not on the zombie list; ";
      } else if (t.run_node.is_linked()) {
        err << "thread " << i << " queued while " << quartz::thread_state_name(t.state) << "; ";
      }
      if (t.state == ThreadState::Blocked) {
        ++blocked;
        // Not lost: on the queue it names (the final wake-all reaches it).
        const auto on = t.waiting_on ? sleepers(t.waiting_on) : std::vector<SchedThread*>{};
        if (std::count(on.begin(), on.end(), &t) != 1)
          err << "Blocked " << i << " not on its wait queue exactly once; ";
      } else if (t.waiting_on || t.wait_link.next) {
        err << "thread " << i << " on a wait queue while " << quartz::thread_state_name(t.state)
            << "; ";
      }
      if (t.timer_node.is_linked() && t.state != ThreadState::Blocked)
        err << "timer armed on a thread that is not Blocked: " << i << "; ";
      // Against the model.
      if (t.state != mt.st)
        err << "thread " << i << " state " << quartz::thread_state_name(t.state) << " model "
            << quartz::thread_state_name(mt.st) << "; ";
      if (t.waiting_on != (mt.wq < 0 ? nullptr : &wq[mt.wq])) err << "waiting_on " << i << "; ";
      if (t.timer_node.is_linked() != mt.timer) err << "timer " << i << "; ";
      if (mt.timer && t.deadline != mt.deadline) err << "deadline " << i << "; ";
      if (t.wake_reason != mt.why) err << "wake_reason " << i << "; ";
      if (t.watched != mt.watched) err << "watched " << i << "; ";
      if (t.ticks_run != mt.ticks_run) err << "ticks_run " << i << "; ";
      if (i != 0 && t.state == ThreadState::Running && t.slice_left != mt.slice_left)
        err << "slice_left " << i << "; ";
    }
    if (running > 1 || (running == 0 && cur->state != ThreadState::Blocked))
      err << running << " Running threads; ";
    if (core.runnable_count() != runnable)
      err << "runnable_count " << core.runnable_count() << " but " << runnable << " Runnable; ";
    if (core.runnable_count() != m.runq.size()) err << "run queue length vs model; ";
    if (core.need_resched() != m.need_resched) err << "need_resched; ";
    for (int q = 0; q < kQueues; ++q) {
      std::vector<int> real;
      for (SchedThread* t : sleepers(&wq[q])) real.push_back(idx(t));
      queued += real.size();
      if (real != std::vector<int>(m.wq[q].begin(), m.wq[q].end()))
        err << "wait queue " << q << " order; ";
    }
    if (queued != blocked) err << queued << " queued sleepers but " << blocked << " Blocked; ";
    if (Env::switches.size() != m.switches.size()) {
      err << "switch count " << Env::switches.size() << " model " << m.switches.size() << "; ";
    } else if (!Env::switches.empty() &&
               std::make_pair(idx(Env::switches.back().first), idx(Env::switches.back().second)) !=
                   m.switches.back()) {
      err << "switched to the wrong thread; ";
    }
    for (int d : Env::depth_at_switch)
      if (d != 1) err << "switch_to at guard depth " << d << "; ";
    Env::depth_at_switch.clear();
    if (Env::fired.size() != m.fired.size()) err << "watchdog reports; ";
    return err.str();
  }

  // Thread-context operations are only done by a non-idle current thread.
  void step() {
    const int cur = m.cur;
    const bool thread = cur != 0;
    const unsigned op = pick(100);
    if (op < 18) {  // the first half of a wait loop
      if (!thread) return;
      const int q = int(pick(kQueues));
      const bool has_deadline = chance(40);
      const unsigned long deadline = jiffies + 1 + pick(15);
      if (m.t[cur].wq >= 0 && m.t[cur].wq != q) ++moves;
      core.prepare_to_wait(&wq[q], has_deadline, deadline);
      m.prepare(q, has_deadline, deadline, jiffies);
      if (chance(25)) {  // sleep_on style: the watchdog may release it
        th[cur].watched = true;
        m.t[cur].watched = true;
      }
    } else if (op < 36) {  // the second half (or a plain yield)
      if (m.t[cur].st == ThreadState::Blocked) ++blocks;
      core.schedule();
      m.schedule();
    } else if (op < 48) {  // an interrupt wakes a queue
      const int q = int(pick(kQueues));
      if (thread && m.t[cur].st == ThreadState::Blocked && m.t[cur].wq == q) ++window_wakes;
      const int n = core.wake_up(&wq[q]);
      if (n != m.wake_up(q)) ADD_FAILURE() << "wake_up count";
    } else if (op < 54) {  // an interrupt wakes one thread (maybe not a sleeper)
      const int i = int(pick(kThreads + 1));
      if (core.wake(&th[i]) != m.wake(i, WakeReason::WakeUp)) ADD_FAILURE() << "wake result";
    } else if (op < 79) {  // IRQ 0, its watchdog scan, and the preemption on its way out
      jiffies = jiffies + 1;
      const size_t before = m.runq.size();
      const bool r = core.tick();
      const bool mr = m.tick(jiffies);
      if (r != mr) ADD_FAILURE() << "tick() answer";
      if (m.runq.size() > before) timeouts += long(m.runq.size() - before);
      if (chance(10)) {
        core.watchdog_scan(all);
        const size_t f = m.fired.size();
        m.watchdog_scan(jiffies);
        watchdogs += long(m.fired.size() - f);
      }
      if (r && chance(70)) {
        ++preempts;
        core.preempt();
        m.preempt();
      }
    } else if (op < 84) {  // thread creation
      for (int i = 1; i <= kThreads; ++i) {
        if (!m.t[i].live) {
          core.start(&th[i]);
          m.start(i);
          break;
        }
      }
    } else if (op < 92) {  // leaving a wait loop (condition true, or timed out)
      if (!thread) return;
      core.finish_wait(&wq[pick(kQueues)]);
      m.finish();
    } else if (op < 93) {
      if (!thread) return;
      ++exits;
      bool threw = false;
      try {
        core.exit_current();
      } catch (const ThreadExited&) {
        threw = true;
      }
      if (!threw) ADD_FAILURE() << "exit_current came back";
      m.exit();
    } else {  // the reaper
      SchedThread* z = core.take_zombie();
      const int mz = m.take_zombie();
      if (idx(z) != mz) ADD_FAILURE() << "take_zombie " << idx(z) << " model " << mz;
      if (z) ++reaps;
    }
  }

  // Wake everything that is left, let every deadline pass, and require that nobody is
  // still Blocked; then every runnable thread must get the CPU within one round.
  std::string drain() {
    for (int q = 0; q < kQueues; ++q) {
      core.wake_up(&wq[q]);
      m.wake_up(q);
    }
    for (int i = 0; i < 20; ++i) {
      jiffies = jiffies + 1;
      core.tick();
      m.tick(jiffies);
    }
    if (m.cur != 0 && m.t[m.cur].st == ThreadState::Blocked) {  // in its wait window
      core.finish_wait(&wq[0]);
      m.finish();
    }
    std::string err = check();
    for (int i = 1; i <= kThreads; ++i)
      if (m.t[i].live && th[i].state == ThreadState::Blocked) err += "lost sleeper; ";
    std::vector<bool> ran(kThreads + 1, false);
    ran[idx(core.current())] = true;
    const size_t rounds = core.runnable_count() + 1;
    for (size_t r = 0; r < rounds; ++r) {
      core.schedule();
      m.schedule();
      ran[idx(core.current())] = true;
    }
    for (int i = 1; i <= kThreads; ++i)
      if (m.t[i].live && th[i].state != ThreadState::Dead && !ran[i]) err += "starved; ";
    return err + check();
  }
};

void run_random(unsigned seed, unsigned long start_jiffies) {
  Env::reset();
  jiffies = start_jiffies;
  auto run = std::make_unique<RandomRun>(seed);
  g_core = &run->core;
  run->core.set_slice(kSlice);
  run->core.set_watchdog(kWatchdog);
  run->core.init(&run->th[0]);
  run->m.t[0].st = ThreadState::Running;
  run->m.t[0].live = true;
  for (int i = 1; i <= 3; ++i) {
    run->core.start(&run->th[i]);
    run->m.start(i);
  }
  ASSERT_EQ(run->check(), "");
  for (int s = 0; s < 100000; ++s) {
    run->step();
    const std::string err = run->check();
    ASSERT_EQ(err, "") << "seed " << seed << " step " << s;
    ASSERT_FALSE(::testing::Test::HasFailure()) << "seed " << seed << " step " << s;
  }
  ASSERT_EQ(run->drain(), "") << "seed " << seed;
  EXPECT_GT(run->blocks, 1000);
  EXPECT_GT(run->window_wakes, 100);
  EXPECT_GT(run->timeouts, 100);
  EXPECT_GT(run->watchdogs, 10);
  EXPECT_GT(run->exits, 100);
  EXPECT_GT(run->reaps, 50);
  EXPECT_GT(run->preempts, 100);
  EXPECT_GT(run->moves, 100);
  g_core = nullptr;
  Env::reset();
}

TEST(SchedRandom, AgreesWithTheModelSeed1) { run_random(1, 0); }
TEST(SchedRandom, AgreesWithTheModelSeed2AcrossTheJiffiesWrap) { run_random(2, ULONG_MAX - 5000); }
TEST(SchedRandom, AgreesWithTheModelSeed3) { run_random(0xC0FFEE, 123456789); }

}  // namespace
