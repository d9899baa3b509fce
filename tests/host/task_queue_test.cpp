// Host tests of the task queue (kernel/lib/task_queue.h): every consequence in
// docs/history.md §1, cancel_task_sync, the debug-objects checks and the read-only views. Interrupt
// masking is a recording fake guard; a "simulated interrupt" is code run from the core's
// step hook, which is called exactly where a real interrupt could arrive.
#include "kernel/lib/task_queue.h"

#include "kernel/lib/format.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using quartz::TqFault;
using quartz::TqFaultKind;
using quartz::TqSite;
using quartz::TqStep;

// ---- fakes --------------------------------------------------------------------------

struct Irq {
  static inline bool enabled = true;        // the fake CPU's interrupt flag
  static inline int depth = 0;              // guards currently held
  static inline std::vector<TqSite> sites;  // every guard taken, in order
};

class FakeGuard {
 public:
  explicit FakeGuard(TqSite site) : saved_(Irq::enabled) {
    Irq::enabled = false;
    ++Irq::depth;
    Irq::sites.push_back(site);
  }
  ~FakeGuard() {
    --Irq::depth;
    Irq::enabled = saved_;  // restore what we found, never blindly enable
  }
  FakeGuard(const FakeGuard&) = delete;
  FakeGuard& operator=(const FakeGuard&) = delete;

 private:
  bool saved_;
};

struct Hooks : quartz::TaskQueueHooksBase {
  static inline std::uint64_t clock = 0;
  static inline std::uintptr_t ctx = 1;
  static inline std::vector<TqFault> faults;
  static inline std::vector<std::string> messages;
  static inline std::map<void (*)(void*), std::string> names;
  static inline std::function<void(TqStep, task_queue*, const tq_struct*)> on_step;
  static inline bool in_step = false;
  static inline int waits = 0;
  static inline std::set<const task_queue*> transient_queues;  // "on a stack"
  static inline std::map<std::string, int> asserted;           // locked helper -> calls

  static std::uint64_t now() { return clock; }
  static std::uintptr_t context() { return ctx; }
  static void wait_while_running(const tq_struct*) { ++waits; }
  static bool transient(const task_queue* q) {
    EXPECT_GT(Irq::depth, 0) << "transient() asked without the guard";
    return transient_queues.count(q) != 0;
  }
  // The contract assertion: every *_locked helper must run with the guard held.
  static void assert_guard_held(const char* where) {
    ++asserted[where];
    if (Irq::depth == 0) ADD_FAILURE() << where << " ran without the guard";
  }
  static void fault(const TqFault& f) {
    EXPECT_EQ(Irq::depth, 0) << "fault reported with the guard held";
    faults.push_back(f);
    auto it = names.find(f.routine);
    char buf[256];
    quartz::format_tq_fault(f, it == names.end() ? nullptr : it->second.c_str(), buf, sizeof buf);
    messages.emplace_back(buf);
  }
  static void step(TqStep s, task_queue* q, const tq_struct* t) {
    EXPECT_EQ(Irq::depth, 0) << "step hook called with the guard held";
    if (on_step && !in_step) {
      in_step = true;
      on_step(s, q, t);
      in_step = false;
    }
  }
};

using Tq = quartz::TaskQueue<FakeGuard, Hooks>;

// A routine whose behaviour is a std::function, with a log of which task ran.
struct Probe {
  tq_struct task{};
  std::function<void()> body;
  int runs = 0;
};
std::vector<const Probe*> g_ran;

void probe_routine(void* data) {
  auto* p = static_cast<Probe*>(data);
  ++p->runs;
  g_ran.push_back(p);
  if (p->body) p->body();
}

void init_probe(Probe& p) {
  INIT_TQUEUE(&p.task, probe_routine, &p);
  Hooks::names[probe_routine] = "probe_routine";
}

class TaskQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Irq::enabled = true;
    Irq::depth = 0;
    Irq::sites.clear();
    Hooks::clock = 0;
    Hooks::ctx = 1;
    Hooks::faults.clear();
    Hooks::messages.clear();
    Hooks::on_step = nullptr;
    Hooks::waits = 0;
    Hooks::transient_queues.clear();
    Hooks::asserted.clear();
    g_ran.clear();
    q1.name = "q1";
    q2.name = "q2";
  }
  void TearDown() override {
    Hooks::on_step = nullptr;
    // Forget every queue this test registered (some tests leave corrupted tasks behind).
    task_queue* qs[16];
    const std::size_t n = Tq::queues(qs, 16);
    ASSERT_LE(n, 16u);
    for (std::size_t i = 0; i < n; ++i) {
      qs[i]->head = qs[i]->tail = qs[i]->batch = nullptr;
      qs[i]->queued = 0;
      qs[i]->draining = 0;
      EXPECT_TRUE(Tq::forget_queue(qs[i]));
    }
    EXPECT_EQ(Irq::depth, 0);
    EXPECT_TRUE(Irq::enabled);
  }
  std::vector<const Probe*> ran() const { return g_ran; }

  task_queue q1{};
  task_queue q2{};
};

// ---- history §1 (docs/history.md) consequences ------------------------------------------------------

TEST_F(TaskQueueTest, RunsInFifoOrder) {
  Probe a, b, c;
  init_probe(a);
  init_probe(b);
  init_probe(c);
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
  EXPECT_EQ(Tq::queue_task(&b.task, &q1), 1);
  EXPECT_EQ(Tq::queue_task(&c.task, &q1), 1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b, &c}));
  EXPECT_EQ(q1.head, nullptr);
  EXPECT_EQ(q1.queued, 0u);
}

TEST_F(TaskQueueTest, QueueingTwiceReturnsZeroAndRunsOnce) {
  Probe a;
  init_probe(a);
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 0);
  EXPECT_EQ(q1.queued, 1u);
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 1);
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 1);
}

TEST_F(TaskQueueTest, PendingOnAnotherQueueReturnsZero) {
  Probe a;
  init_probe(a);
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
  EXPECT_EQ(Tq::queue_task(&a.task, &q2), 0);
  EXPECT_EQ(q2.head, nullptr);
  Tq::run(&q2);
  EXPECT_EQ(a.runs, 0);
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 1);
}

TEST_F(TaskQueueTest, ZeroInitialisedTaskAndQueueAreValid) {
  static int hits = 0;
  static tq_struct t = {.routine = [](void* d) { ++*static_cast<int*>(d); }, .data = &hits};
  static DECLARE_TASK_QUEUE(my_queue);
  EXPECT_STREQ(my_queue.name, "my_queue");
  EXPECT_EQ(Tq::queue_task(&t, &my_queue), 1);
  Tq::run(&my_queue);
  EXPECT_EQ(hits, 1);
  EXPECT_TRUE(Hooks::faults.empty());
  EXPECT_TRUE(Tq::forget_queue(&my_queue));
}

TEST_F(TaskQueueTest, TakeoverEmptiesTheHeadBeforeRoutinesRun) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  bool checked = false;
  a.body = [&] {
    EXPECT_EQ(q1.head, nullptr);
    EXPECT_EQ(q1.tail, nullptr);
    // b is still pending, in the batch taken over, not on the queue's list.
    quartz::TqTaskInfo info[4];
    quartz::TqStats st{};
    EXPECT_EQ(Tq::snapshot(&q1, info, 4, &st), 1u);
    EXPECT_EQ(info[0].task, &b.task);
    EXPECT_TRUE(info[0].in_batch);
    EXPECT_TRUE(st.draining);
    EXPECT_EQ(st.running_routine, &probe_routine);
    checked = true;
  };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  EXPECT_TRUE(checked);
  EXPECT_EQ(b.runs, 1);
}

TEST_F(TaskQueueTest, PendingIsClearedBeforeTheRoutineRuns) {
  Probe a;
  init_probe(a);
  int requeue = -1;
  a.body = [&] {
    EXPECT_FALSE(Tq::is_pending(&a.task));
    EXPECT_TRUE(Tq::is_running(&a.task));
    if (a.runs == 1) requeue = Tq::queue_task(&a.task, &q1);
  };
  Tq::queue_task(&a.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(requeue, 1);
  EXPECT_FALSE(Tq::is_running(&a.task));
}

TEST_F(TaskQueueTest, SelfRequeueRunsOnTheNextDrainNotThisOne) {
  Probe a;
  init_probe(a);
  a.body = [&] { EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1); };
  Tq::queue_task(&a.task, &q1);
  for (int drain = 1; drain <= 5; ++drain) {
    Tq::run(&q1);
    EXPECT_EQ(a.runs, drain);
    EXPECT_TRUE(Tq::is_pending(&a.task));
  }
}

TEST_F(TaskQueueTest, QueueingALaterStillPendingTaskReturnsZeroAndItRunsOnce) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  int result = -1;
  a.body = [&] { result = Tq::queue_task(&b.task, &q1); };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(result, 0);
  EXPECT_EQ(b.runs, 1);
  Tq::run(&q1);
  EXPECT_EQ(b.runs, 1);
}

TEST_F(TaskQueueTest, TaskQueuedByAnInterruptMidDrainRunsInTheNextBatch) {
  Probe a, b, late;
  init_probe(a);
  init_probe(b);
  init_probe(late);
  // The interrupt arrives while a's routine is about to run (after a was claimed).
  Hooks::on_step = [&](TqStep s, task_queue*, const tq_struct* t) {
    if (s == TqStep::AfterClaim && t == &a.task) {
      EXPECT_EQ(Tq::queue_task(&late.task, &q1), 1);
    }
  };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b}));
  Hooks::on_step = nullptr;
  Tq::run(&q1);
  EXPECT_EQ(late.runs, 1);
}

TEST_F(TaskQueueTest, NullRoutineIsSkipped) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  tq_struct null_task = {.routine = nullptr, .data = nullptr};
  Tq::queue_task(&a.task, &q1);
  EXPECT_EQ(Tq::queue_task(&null_task, &q1), 1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b}));
  EXPECT_FALSE(Tq::is_pending(&null_task));
  EXPECT_EQ(Tq::stats(&q1).tasks_run, 2u);
}

TEST_F(TaskQueueTest, InterruptsAreOffOnlyToTakeOverAndClaimAndOnWhileRoutinesRun) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  std::vector<bool> enabled_in_routine;
  a.body = b.body = [&] {
    enabled_in_routine.push_back(Irq::enabled);
    EXPECT_EQ(Irq::depth, 0);
  };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Irq::sites.clear();
  Tq::run(&q1);
  EXPECT_EQ(enabled_in_routine, (std::vector<bool>{true, true}));
  // One section that sees the queue is not empty (the empty tick's only section), one
  // to take the list over, one per task to claim it, one that finds the batch empty and
  // finishes. Nothing else.
  EXPECT_EQ(Irq::sites, (std::vector<TqSite>{TqSite::Takeover, TqSite::Takeover, TqSite::Claim,
                                             TqSite::Claim, TqSite::Claim}));
  EXPECT_TRUE(Irq::enabled);
}

TEST_F(TaskQueueTest, RoutinesSeeTheCallersInterruptStateWhenItHadThemOff) {
  Probe a;
  init_probe(a);
  bool seen = true;
  a.body = [&] { seen = Irq::enabled; };
  Tq::queue_task(&a.task, &q1);
  Irq::enabled = false;  // caller drains with interrupts off
  Tq::run(&q1);
  EXPECT_FALSE(seen);
  EXPECT_FALSE(Irq::enabled);  // restored to off, not blindly enabled
  Irq::enabled = true;
}

TEST_F(TaskQueueTest, QueueTaskTakesTheGuardOnce) {
  Probe a;
  init_probe(a);
  Irq::sites.clear();
  Tq::queue_task(&a.task, &q1);
  EXPECT_EQ(Irq::sites, (std::vector<TqSite>{TqSite::Queue}));
}

TEST_F(TaskQueueTest, NestedDrainIsRefusedAndCountedAsDelayed) {
  Probe a, b, c;
  init_probe(a);
  init_probe(b);
  init_probe(c);
  // A tick arrives (nested interrupt) while a's routine runs: it must not start a second
  // drain of q1; c, queued by that same interrupt, waits for the next drain.
  a.body = [&] {
    EXPECT_EQ(Tq::queue_task(&c.task, &q1), 1);
    Tq::run(&q1);
    EXPECT_EQ(c.runs, 0);
    EXPECT_EQ(b.runs, 0);
  };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b}));
  quartz::TqStats st = Tq::stats(&q1);
  EXPECT_EQ(st.delayed, 1u);
  EXPECT_EQ(st.drains, 1u);
  Tq::run(&q1);
  EXPECT_EQ(c.runs, 1);
  EXPECT_EQ(Tq::stats(&q1).delayed, 1u);
}

TEST_F(TaskQueueTest, NestedTickFromAnInterruptBetweenSteps) {
  Probe a;
  init_probe(a);
  int nested = 0;
  Hooks::on_step = [&](TqStep s, task_queue* q, const tq_struct*) {
    if (q == &q1 && s != TqStep::AfterFinish) {
      Tq::run(&q1);
      ++nested;
    }
  };
  Tq::queue_task(&a.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 1);
  EXPECT_EQ(Tq::stats(&q1).delayed, static_cast<unsigned long>(nested));
  EXPECT_EQ(nested, 3);  // AfterTakeover, AfterClaim, AfterRoutine
}

TEST_F(TaskQueueTest, DrainingAnotherQueueFromARoutineWorks) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  a.body = [&] { Tq::run(&q2); };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q2);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b}));
}

TEST_F(TaskQueueTest, StatisticsCountDrainsTasksAndLongestDrain) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  a.body = [&] { Hooks::clock += 70; };
  b.body = [&] { Hooks::clock += 5; };
  Tq::run(&q1);  // empty: counted, no timestamps
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  Tq::queue_task(&b.task, &q1);
  Tq::run(&q1);
  Tq::note_skipped(&q1, 3);
  quartz::TqStats st = Tq::stats(&q1);
  EXPECT_STREQ(st.name, "q1");
  EXPECT_EQ(st.drains, 3u);
  EXPECT_EQ(st.tasks_run, 3u);
  EXPECT_EQ(st.longest_drain, 75u);
  EXPECT_EQ(st.skipped, 3u);
  EXPECT_EQ(st.delayed, 0u);
  EXPECT_FALSE(st.draining);
  EXPECT_EQ(st.running_routine, nullptr);
}

TEST_F(TaskQueueTest, EmptyTickTakesOneGuardSection) {
  Irq::sites.clear();
  Tq::run(&q1);
  EXPECT_EQ(Irq::sites, (std::vector<TqSite>{TqSite::Takeover}));
}

TEST_F(TaskQueueTest, CurrentRoutineIsVisibleOnlyInsideTheRoutine) {
  Probe a;
  init_probe(a);
  void (*inside)(void*) = nullptr;
  void (*other_ctx)(void*) = &probe_routine;
  a.body = [&] {
    inside = Tq::current_routine();
    Hooks::ctx = 2;  // another thread asks: nothing runs *there*
    other_ctx = Tq::current_routine();
    Hooks::ctx = 1;
  };
  Tq::queue_task(&a.task, &q1);
  EXPECT_EQ(Tq::current_routine(), nullptr);
  Tq::run(&q1);
  EXPECT_EQ(inside, &probe_routine);
  EXPECT_EQ(other_ctx, nullptr);
  EXPECT_EQ(Tq::current_routine(), nullptr);
}

TEST_F(TaskQueueTest, ARoutineMayFreeItsOwnTask) {
  // The drain must not touch a task after calling its routine: ASan checks it here.
  struct Owned {
    tq_struct task;
    int* counter;
  };
  int count = 0;
  auto* o = new Owned{{}, &count};
  INIT_TQUEUE(
      &o->task,
      [](void* d) {
        auto* self = static_cast<Owned*>(d);
        ++*self->counter;
        Tq::poison(&self->task);  // same context: not a fault
        delete self;
      },
      o);
  Probe after;
  init_probe(after);
  Tq::queue_task(&o->task, &q1);
  Tq::queue_task(&after.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(after.runs, 1);
  EXPECT_TRUE(Hooks::faults.empty());
}

// ---- cancel_task_sync -----------------------------------------------------------------

TEST_F(TaskQueueTest, CancelIdleTaskReturnsZero) {
  Probe a;
  init_probe(a);
  EXPECT_EQ(Tq::cancel_sync(&a.task), 0);
  tq_struct zero{};
  EXPECT_EQ(Tq::cancel_sync(&zero), 0);
  EXPECT_EQ(zero.sync, 0u);
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);  // still usable
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 1);
  EXPECT_TRUE(Hooks::faults.empty());
}

TEST_F(TaskQueueTest, CancelPendingTaskReturnsOneAndItDoesNotRun) {
  Probe a, b, c;
  init_probe(a);
  init_probe(b);
  init_probe(c);
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::queue_task(&c.task, &q1);
  EXPECT_EQ(Tq::cancel_sync(&b.task), 1);
  EXPECT_FALSE(Tq::is_pending(&b.task));
  EXPECT_EQ(q1.queued, 2u);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &c}));
  // Head and tail removal too.
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&c.task, &q1);
  EXPECT_EQ(Tq::cancel_sync(&a.task), 1);
  EXPECT_EQ(Tq::cancel_sync(&c.task), 1);
  EXPECT_EQ(q1.head, nullptr);
  EXPECT_EQ(q1.tail, nullptr);
  EXPECT_EQ(Tq::queue_task(&b.task, &q1), 1);
  g_ran.clear();
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&b}));
}

TEST_F(TaskQueueTest, CancelSelfRequeuingTaskStopsItForever) {
  Probe a;
  init_probe(a);
  a.body = [&] { Tq::queue_task(&a.task, &q1); };
  Tq::queue_task(&a.task, &q1);
  for (int i = 0; i < 10; ++i) Tq::run(&q1);
  EXPECT_EQ(a.runs, 10);
  EXPECT_EQ(Tq::cancel_sync(&a.task), 1);
  for (int i = 0; i < 100; ++i) Tq::run(&q1);
  EXPECT_EQ(a.runs, 10);
  EXPECT_FALSE(Tq::is_pending(&a.task));
  EXPECT_FALSE(Tq::is_running(&a.task));
  // After cancel the task is idle and may be queued again.
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 11);
}

// A batch a, b, c where b requeues itself; an interrupt cancels b at one step of the drain.
struct CancelAt {
  TqStep step;
  int task;  // index of the task at that step (-1 for AfterTakeover / AfterFinish)
};

class CancelFromInterrupt : public TaskQueueTest, public ::testing::WithParamInterface<CancelAt> {};

TEST_P(CancelFromInterrupt, TaskIsNeitherPendingNorRunningAfterwards) {
  const CancelAt at = GetParam();
  Probe p[3];
  for (auto& x : p) init_probe(x);
  p[1].body = [&] { Tq::queue_task(&p[1].task, &q1); };
  int result = -1;
  bool fired = false;
  Hooks::on_step = [&](TqStep s, task_queue*, const tq_struct* t) {
    const int idx = t == &p[0].task ? 0 : t == &p[1].task ? 1 : t == &p[2].task ? 2 : -1;
    if (fired || s != at.step || idx != at.task) return;
    fired = true;
    result = Tq::cancel_sync(&p[1].task);
  };
  for (auto& x : p) Tq::queue_task(&x.task, &q1);
  Tq::run(&q1);
  ASSERT_TRUE(fired);
  const bool b_claimed_not_done = at.step == TqStep::AfterClaim && at.task == 1;
  const bool b_done = (at.task >= 1 && !b_claimed_not_done) || at.step == TqStep::AfterFinish;
  if (b_claimed_not_done) {
    // The interrupt sits on top of b's drain: waiting for b would never end.
    EXPECT_EQ(result, 0);
    ASSERT_EQ(Hooks::faults.size(), 1u);
    EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::OwnRoutine);
    EXPECT_EQ(p[1].runs, 1);
  } else {
    EXPECT_TRUE(Hooks::faults.empty());
    // Before b ran it was in the batch; after, it had requeued itself: pending either way.
    EXPECT_EQ(result, 1);
    EXPECT_EQ(p[1].runs, b_done ? 1 : 0);
    EXPECT_FALSE(Tq::is_pending(&p[1].task));
    Hooks::on_step = nullptr;
    for (int i = 0; i < 5; ++i) Tq::run(&q1);
    EXPECT_EQ(p[1].runs, b_done ? 1 : 0);
  }
  EXPECT_EQ(p[0].runs, 1);
  EXPECT_EQ(p[2].runs, 1);
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CancelFromInterrupt,
    ::testing::Values(CancelAt{TqStep::AfterTakeover, -1}, CancelAt{TqStep::AfterClaim, 0},
                      CancelAt{TqStep::AfterRoutine, 0}, CancelAt{TqStep::AfterClaim, 1},
                      CancelAt{TqStep::AfterRoutine, 1}, CancelAt{TqStep::AfterClaim, 2},
                      CancelAt{TqStep::AfterRoutine, 2}, CancelAt{TqStep::AfterFinish, -1}));

TEST_F(TaskQueueTest, CancelOfALaterBatchTaskFromARoutine) {
  Probe a, b, c;
  init_probe(a);
  init_probe(b);
  init_probe(c);
  int result = -1;
  a.body = [&] { result = Tq::cancel_sync(&b.task); };
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::queue_task(&c.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(result, 1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &c}));
  EXPECT_EQ(Hooks::waits, 0);  // nothing to wait for: no blocking call was made
}

TEST_F(TaskQueueTest, CancelFromAnotherContextWaitsAndFromTheSameContextIsRefused) {
  // A routine runs in context 1 (a thread's drain). Context 2 (another thread) cancels
  // it: it waits (wait_while_running) instead of reporting a deadlock. Here the "other
  // thread" is simulated inside the routine, so the wait ends when the hook sees it.
  Probe a;
  init_probe(a);
  int from_other = -1;
  a.body = [&] {
    Hooks::ctx = 2;
    EXPECT_EQ(Tq::current_routine(), nullptr);  // not running in context 2
    Hooks::on_step = [&](TqStep s, task_queue*, const tq_struct*) {
      if (s == TqStep::CancelUnlinked) {
        // cancel marked; now let the "other thread" finish: back to context 1 and stop
        // being the running task, as the drain would once the routine returns.
        __atomic_store_n(&q1.running, nullptr, __ATOMIC_RELAXED);
      }
    };
    from_other = Tq::cancel_sync(&a.task);
    Hooks::on_step = nullptr;
    Hooks::ctx = 1;
  };
  Tq::queue_task(&a.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(from_other, 0);  // it was running, not pending
  EXPECT_TRUE(Hooks::faults.empty());
}

TEST_F(TaskQueueTest, CurrentRoutineIsPerContext) {
  // Another thread (context 2) asking while a routine runs in context 1 gets nothing:
  // its sleep must not be blamed on a routine it does not run.
  Probe a;
  init_probe(a);
  void (*in_own)(void*) = nullptr;
  void (*in_other)(void*) = &probe_routine;
  a.body = [&] {
    in_own = Tq::current_routine();
    Hooks::ctx = 2;
    in_other = Tq::current_routine();
    Hooks::ctx = 1;
  };
  Tq::queue_task(&a.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(in_own, &probe_routine);
  EXPECT_EQ(in_other, nullptr);
}

TEST_F(TaskQueueTest, QueueTaskIsRefusedWhileACancelIsInProgress) {
  Probe a;
  init_probe(a);
  int during = -1;
  Hooks::on_step = [&](TqStep s, task_queue*, const tq_struct* t) {
    if (s == TqStep::CancelUnlinked && t == &a.task) during = Tq::queue_task(&a.task, &q1);
  };
  Tq::queue_task(&a.task, &q1);
  EXPECT_EQ(Tq::cancel_sync(&a.task), 1);
  EXPECT_EQ(during, 0);
  EXPECT_FALSE(Tq::is_pending(&a.task));
  Hooks::on_step = nullptr;
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
}

void my_tick(void* data);
int g_own_result = -1;
void my_tick(void* data) { g_own_result = Tq::cancel_sync(static_cast<tq_struct*>(data)); }

TEST_F(TaskQueueTest, CancelFromItsOwnRoutineIsADeadlockAndPanics) {
  Hooks::names[my_tick] = "my_tick";
  tq_struct t{};
  INIT_TQUEUE(&t, my_tick, &t);
  Tq::queue_task(&t, &q1);
  Tq::run(&q1);
  EXPECT_EQ(g_own_result, 0);
  ASSERT_EQ(Hooks::messages.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::OwnRoutine);
  char expected[128];
  quartz::snformat(expected, sizeof expected,
                   "cancel_task_sync called from its own routine my_tick (task %p): deadlock",
                   static_cast<void*>(&t));
  EXPECT_EQ(Hooks::messages[0], expected);
  EXPECT_EQ(Hooks::waits, 0);
  // Refused means unchanged: not cancelling, usable.
  EXPECT_EQ(t.sync, 0u);
  EXPECT_EQ(Tq::queue_task(&t, &q1), 1);
  Tq::cancel_sync(&t);
}

// A routine running in another context (a thread-drained queue, preempted) is waited for.
// Real threads; the guard is a mutex so the two contexts exclude each other like cli would.
struct MutexGuard {  // default-constructible, like the kernel's InterruptDisabler
  static inline std::recursive_mutex m;
  MutexGuard() { m.lock(); }
  ~MutexGuard() { m.unlock(); }
  MutexGuard(const MutexGuard&) = delete;
  MutexGuard& operator=(const MutexGuard&) = delete;
};
struct ThreadHooks : quartz::TaskQueueHooksBase {
  static inline std::atomic<bool> cancel_waiting{false};
  static inline std::atomic<int> waits{0};
  static std::uintptr_t context() {
    return std::hash<std::thread::id>{}(std::this_thread::get_id()) | 1;
  }
  static void wait_while_running(const tq_struct*) {
    cancel_waiting = true;
    ++waits;
    std::this_thread::yield();
  }
  static void fault(const TqFault& f) { ADD_FAILURE() << quartz::tq_fault_kind_name(f.kind); }
  // Real threads may wait for each other's drains.
  static inline std::atomic<int> drain_waits{0};
  static bool may_wait_for_drain() { return true; }
  static void wait_for_drain(const task_queue*) {
    ++drain_waits;
    std::this_thread::yield();
  }
};
using ThreadTq = quartz::TaskQueue<MutexGuard, ThreadHooks>;

struct ThreadProbe {
  tq_struct task{};
  task_queue* queue = nullptr;
  std::atomic<bool> started{false};
  std::atomic<int> runs{0};
  std::atomic<int> requeue_result{-1};
};

TEST(TaskQueueThreads, CancelWaitsForARoutineRunningInAnotherContext) {
  task_queue q{};
  q.name = "threaded";
  ThreadProbe p;
  p.queue = &q;
  INIT_TQUEUE(
      &p.task,
      [](void* d) {
        auto* self = static_cast<ThreadProbe*>(d);
        ++self->runs;
        self->started = true;
        while (!ThreadHooks::cancel_waiting) std::this_thread::yield();
        // Requeueing itself while being cancelled is refused.
        self->requeue_result = ThreadTq::queue_task(&self->task, self->queue);
      },
      &p);
  ASSERT_EQ(ThreadTq::queue_task(&p.task, &q), 1);
  std::thread drainer([&] { ThreadTq::run(&q); });
  while (!p.started) std::this_thread::yield();
  EXPECT_EQ(ThreadTq::cancel_sync(&p.task), 0);  // it was running, not pending
  // On return: neither pending nor running.
  EXPECT_FALSE(ThreadTq::is_running(&p.task));
  EXPECT_FALSE(ThreadTq::is_pending(&p.task));
  EXPECT_EQ(p.requeue_result, 0);
  EXPECT_GE(ThreadHooks::waits, 1);
  drainer.join();
  ThreadTq::run(&q);
  EXPECT_EQ(p.runs, 1);
  EXPECT_TRUE(ThreadTq::forget_queue(&q));
}

TEST(TaskQueueThreads, RunWaitsForAnotherThreadsDrainThenRunsItsOwnTasks) {
  // Two threads read a module's /proc file that queues a task on the module's private
  // queue and drains it: the second drain must not return with its task still queued
  // (its task lives in its stack frame).
  task_queue q{};
  q.name = "private";
  static std::atomic<bool> release{false}, first_running{false};
  static std::atomic<int> second_runs{0};
  tq_struct slow{}, mine{};
  INIT_TQUEUE(
      &slow,
      [](void*) {
        first_running = true;
        while (!release) std::this_thread::yield();
      },
      nullptr);
  INIT_TQUEUE(
      &mine, [](void*) { ++second_runs; }, nullptr);
  ASSERT_EQ(ThreadTq::queue_task(&slow, &q), 1);
  std::thread first([&] { ThreadTq::run(&q); });
  while (!first_running) std::this_thread::yield();
  ASSERT_EQ(ThreadTq::queue_task(&mine, &q), 1);
  const int waits_before = ThreadHooks::drain_waits;
  std::thread second([&] { ThreadTq::run(&q); });
  while (ThreadHooks::drain_waits == waits_before) std::this_thread::yield();
  EXPECT_EQ(second_runs, 0);  // still waiting: the first drain is not over
  release = true;
  second.join();  // returns only after its own task ran
  EXPECT_EQ(second_runs, 1);
  EXPECT_FALSE(ThreadTq::is_pending(&mine));
  EXPECT_EQ(ThreadTq::stats(&q).delayed, 0u);
  first.join();
  EXPECT_TRUE(ThreadTq::forget_queue(&q));
}

// ---- debug-objects checks -----------------------------------------------------------

class DebugChecks : public TaskQueueTest {
 protected:
  // The queue holds one good task; a bad one must leave it exactly as it was.
  void SetUp() override {
    TaskQueueTest::SetUp();
    init_probe(good);
    Tq::queue_task(&good.task, &q1);
  }
  void expect_queue_unchanged() {
    EXPECT_EQ(q1.head, &good.task);
    EXPECT_EQ(q1.tail, &good.task);
    EXPECT_EQ(q1.queued, 1u);
    EXPECT_EQ(good.task.tq_next, nullptr);
    Tq::run(&q1);
    EXPECT_EQ(ran(), (std::vector<const Probe*>{&good}));
  }
  Probe good;
};

TEST_F(DebugChecks, GarbageDebugStateIsReported) {
  Probe bad;
  init_probe(bad);
  bad.task.tq_magic = 0x12345678;
  EXPECT_EQ(Tq::queue_task(&bad.task, &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadMagic);
  EXPECT_NE(Hooks::messages[0].find("queue_task: task 0x"), std::string::npos);
  EXPECT_NE(Hooks::messages[0].find("is uninitialised or corrupted (debug state 0x12345678)"),
            std::string::npos)
      << Hooks::messages[0];
  EXPECT_EQ(Tq::cancel_sync(&bad.task), 0);
  EXPECT_EQ(Hooks::faults.size(), 2u);
  expect_queue_unchanged();
}

TEST_F(DebugChecks, GarbageSyncWordIsReported) {
  Probe bad;
  init_probe(bad);
  bad.task.sync = 0x6;
  EXPECT_EQ(Tq::queue_task(&bad.task, &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadSync);
  EXPECT_NE(Hooks::messages[0].find("corrupted sync word 0x6"), std::string::npos);
  expect_queue_unchanged();
}

TEST_F(DebugChecks, PendingBitWithoutPendingStateIsReported) {
  Probe bad;
  init_probe(bad);
  bad.task.sync = TQ_SYNC_PENDING;  // looks pending, but was never linked
  EXPECT_EQ(Tq::queue_task(&bad.task, &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadState);
  expect_queue_unchanged();
}

TEST_F(DebugChecks, UninitialisedMemoryIsReported) {
  alignas(tq_struct) unsigned char raw[sizeof(tq_struct)];
  std::memset(raw, 0xa5, sizeof raw);
  auto* t = reinterpret_cast<tq_struct*>(raw);
  EXPECT_EQ(Tq::queue_task(t, &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadMagic);
  expect_queue_unchanged();
}

TEST_F(DebugChecks, FreedTaskIsReported) {
  Probe bad;
  init_probe(bad);
  EXPECT_FALSE(Tq::poison(&bad.task));  // idle: a clean free
  EXPECT_TRUE(Hooks::faults.empty());
  EXPECT_EQ(bad.task.tq_magic, TQ_MAGIC_FREED);
  EXPECT_EQ(Tq::queue_task(&bad.task, &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::UseAfterFree);
  char expected[160];
  quartz::snformat(expected, sizeof expected,
                   "queue_task: task %p (routine probe_routine) was freed (debug state %#lx): use "
                   "after free",
                   static_cast<void*>(&bad.task), TQ_MAGIC_FREED);
  EXPECT_EQ(Hooks::messages[0], expected);
  EXPECT_EQ(Tq::cancel_sync(&bad.task), 0);
  Tq::poison(&bad.task);  // double free
  EXPECT_EQ(Hooks::faults.size(), 3u);
  EXPECT_EQ(Hooks::faults[2].kind, TqFaultKind::UseAfterFree);
  expect_queue_unchanged();
}

TEST_F(DebugChecks, SlabPoisonedTaskIsReportedAsFreed) {
  alignas(tq_struct) unsigned char raw[sizeof(tq_struct)];
  std::memset(raw, 0x6b, sizeof raw);
  EXPECT_EQ(Tq::queue_task(reinterpret_cast<tq_struct*>(raw), &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::UseAfterFree);
  expect_queue_unchanged();
}

TEST_F(DebugChecks, CorruptedLinkOnAnIdleTaskIsReported) {
  Probe bad;
  init_probe(bad);
  bad.task.tq_next = reinterpret_cast<tq_struct*>(0xdeadbeef);  // never dereferenced
  EXPECT_EQ(Tq::queue_task(&bad.task, &q1), 0);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadLink);
  EXPECT_NE(Hooks::messages[0].find("corrupted links (next 0xdeadbeef"), std::string::npos)
      << Hooks::messages[0];
  expect_queue_unchanged();
}

TEST_F(DebugChecks, CorruptedLinkOnAPendingTaskIsReported) {
  Probe a, b, other;
  init_probe(a);
  init_probe(b);
  init_probe(other);
  Tq::queue_task(&other.task, &q2);
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  tq_struct* saved = a.task.tq_next;
  a.task.tq_next = &other.task;  // a stray write
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 0);
  EXPECT_EQ(Tq::cancel_sync(&a.task), 0);
  ASSERT_EQ(Hooks::faults.size(), 2u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadLink);
  EXPECT_EQ(Hooks::faults[1].kind, TqFaultKind::BadLink);
  EXPECT_TRUE(Tq::is_pending(&a.task));  // cancel refused, nothing unlinked
  a.task.tq_next = saved;
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&good, &a, &b}));
}

TEST_F(DebugChecks, FreeOfAPendingTaskIsReportedAndTheQueueStaysSound) {
  Probe a;
  init_probe(a);
  Tq::queue_task(&a.task, &q1);
  EXPECT_TRUE(Tq::poison(&a.task));
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::FreeActive);
  EXPECT_NE(Hooks::messages[0].find("free of an active task"), std::string::npos);
  EXPECT_NE(Hooks::messages[0].find("(routine probe_routine) still pending on q1"),
            std::string::npos)
      << Hooks::messages[0];
  expect_queue_unchanged();
  EXPECT_EQ(a.runs, 0);
}

TEST_F(DebugChecks, FreeOfATaskRunningInAnotherContextIsReported) {
  Probe a;
  init_probe(a);
  a.body = [&] {
    Hooks::ctx = 2;
    EXPECT_TRUE(Tq::poison(&a.task));
    Hooks::ctx = 1;
  };
  Tq::queue_task(&a.task, &q2);
  Tq::run(&q2);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::FreeRunning);
  g_ran.clear();
  expect_queue_unchanged();
}

TEST_F(DebugChecks, TaskOverwrittenWhileQueuedIsDroppedAloneByTheDrain) {
  // The module-init-failure bug: queued, then freed without cancel, memory poisoned.
  // Only the poisoned task is dropped: the innocent one behind it still runs.
  Probe a, b;
  init_probe(a);
  init_probe(b);
  Tq::queue_task(&a.task, &q2);
  Tq::queue_task(&b.task, &q2);
  std::memset(static_cast<void*>(&a.task), 0x6b, sizeof a.task);
  Tq::run(&q2);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::UseAfterFree);
  EXPECT_EQ(Hooks::faults[0].queue, &q2);
  EXPECT_NE(Hooks::messages[0].find("run_task_queue: task"), std::string::npos);
  EXPECT_NE(Hooks::messages[0].find("(routine 0x6b6b6b6b"), std::string::npos)
      << Hooks::messages[0];
  EXPECT_NE(Hooks::messages[0].find("; dropped from the drain of q2"), std::string::npos)
      << Hooks::messages[0];
  EXPECT_EQ(a.runs, 0);
  EXPECT_EQ(b.runs, 1);
  EXPECT_FALSE(Tq::is_pending(&b.task));
  quartz::TqStats st = Tq::stats(&q2);
  EXPECT_EQ(st.queued, 0u);
  EXPECT_FALSE(st.draining);
  EXPECT_EQ(st.tasks_run, 1u);
  g_ran.clear();
  expect_queue_unchanged();
}

TEST_F(DebugChecks, NullPointersAreReported) {
  EXPECT_EQ(Tq::queue_task(nullptr, &q1), 0);
  EXPECT_EQ(Tq::queue_task(&good.task, nullptr), 0);
  EXPECT_EQ(Tq::cancel_sync(nullptr), 0);
  ASSERT_EQ(Hooks::faults.size(), 3u);
  EXPECT_EQ(Hooks::messages[0], "queue_task: null task");
  EXPECT_EQ(Hooks::messages[1], "queue_task: null queue");
  expect_queue_unchanged();
}

TEST(TaskQueueFaults, EveryKindFormatsAMessage) {
  tq_struct t{};
  task_queue q{};
  q.name = "tq_timer";
  for (int k = 0; k <= static_cast<int>(quartz::kTqLastFaultKind); ++k) {
    TqFault f{static_cast<TqFaultKind>(k), "op", &t, nullptr, &q, 1, 2};
    char buf[200];
    const int n = quartz::format_tq_fault(f, "fn", buf, sizeof buf);
    EXPECT_GT(n, 10);
    EXPECT_LT(n, static_cast<int>(sizeof buf));
    EXPECT_STRNE(quartz::tq_fault_kind_name(f.kind), "?");
  }
  char tiny[8];
  TqFault f{TqFaultKind::OwnRoutine, "op", &t, nullptr, &q, 0, 0};
  EXPECT_GT(quartz::format_tq_fault(f, "fn", tiny, sizeof tiny), 8);
  EXPECT_EQ(std::strlen(tiny), 7u);
}

// ---- views ------------------------------------------------------------------------------

TEST_F(TaskQueueTest, SnapshotCopiesTasksInRunOrderUnderTheGuard) {
  Probe a, b, c;
  init_probe(a);
  init_probe(b);
  init_probe(c);
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::queue_task(&c.task, &q1);
  quartz::TqTaskInfo info[2];
  quartz::TqStats st{};
  Irq::sites.clear();
  EXPECT_EQ(Tq::snapshot(&q1, info, 2, &st), 3u);  // total, though only 2 copied
  EXPECT_EQ(Irq::sites, (std::vector<TqSite>{TqSite::Inspect}));
  EXPECT_EQ(info[0].task, &a.task);
  EXPECT_EQ(info[1].task, &b.task);
  EXPECT_EQ(info[1].routine, &probe_routine);
  EXPECT_EQ(info[1].data, &b);
  EXPECT_FALSE(info[0].in_batch);
  EXPECT_EQ(st.queued, 3u);
  task_queue* qs[4];
  EXPECT_EQ(Tq::queues(qs, 4), 1u);
  EXPECT_EQ(qs[0], &q1);
}

void module_routine(void*) {}

TEST_F(TaskQueueTest, FindInRangeReportsWhatPointsIntoAModule) {
  // A pretend module image: a task and a queue inside it, plus a kernel task whose data
  // points into it. Addresses in [lo, hi) are "the module".
  struct Module {
    tq_struct task;
    task_queue queue;
    int data;
  };
  static Module mod{};
  mod.queue.name = "modq";
  const auto lo = reinterpret_cast<std::uintptr_t>(&mod);
  const auto hi = lo + sizeof mod;
  INIT_TQUEUE(&mod.task, module_routine, nullptr);
  Probe kernel_task;
  init_probe(kernel_task);
  kernel_task.task.data = &mod.data;
  Probe clean;
  init_probe(clean);
  Tq::queue_task(&mod.task, &q1);
  Tq::queue_task(&kernel_task.task, &q2);
  Tq::queue_task(&clean.task, &q2);
  Tq::run(&mod.queue);  // registers the module's own (empty) queue
  std::vector<quartz::TqRangeHit> hits;
  auto collect = [](void* ctx, const quartz::TqRangeHit& h) {
    static_cast<std::vector<quartz::TqRangeHit>*>(ctx)->push_back(h);
  };
  // The module's own queue is empty and idle: no leftover (it used to be reported as
  // "queued task 0x00000000", which kept the module from ever being unloaded).
  const std::size_t n = Tq::find_in_range(lo, hi, collect, &hits);
  ASSERT_EQ(n, 2u);
  unsigned all = 0;
  for (const auto& h : hits) {
    all |= h.what;
    if (h.task == &mod.task) {
      EXPECT_EQ(h.what, static_cast<unsigned>(quartz::kTqHitTask));
    } else {
      EXPECT_EQ(h.task, &kernel_task.task);
      EXPECT_EQ(h.what, static_cast<unsigned>(quartz::kTqHitData));
    }
  }
  EXPECT_EQ(all, quartz::kTqHitTask | quartz::kTqHitData);
  // Routine in range: use the routine's own address as the range.
  const auto r = reinterpret_cast<std::uintptr_t>(&module_routine);
  EXPECT_EQ(Tq::find_in_range(r, r + 1, nullptr, nullptr), 1u);
  // A task pending on the module's queue makes the queue a leftover, with the reason.
  EXPECT_EQ(Tq::cancel_sync(&mod.task), 1);
  EXPECT_EQ(Tq::cancel_sync(&kernel_task.task), 1);
  EXPECT_EQ(Tq::queue_task(&clean.task, &mod.queue), 0);  // still pending on q2
  Tq::run(&q2);
  EXPECT_EQ(Tq::queue_task(&clean.task, &mod.queue), 1);
  hits.clear();
  EXPECT_EQ(Tq::find_in_range(lo, hi, collect, &hits), 1u);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].what, static_cast<unsigned>(quartz::kTqHitQueue));
  EXPECT_EQ(hits[0].queue, &mod.queue);
  EXPECT_EQ(hits[0].queue->queued, 1u);
  Tq::run(&mod.queue);
  EXPECT_EQ(Tq::find_in_range(lo, hi, nullptr, nullptr), 0u);
  EXPECT_TRUE(Tq::forget_queue(&mod.queue));
}

TEST_F(TaskQueueTest, FindInRangeSeesTheRunningRoutine) {
  Probe a;
  init_probe(a);
  std::size_t hits = 0;
  a.body = [&] {
    const auto r = reinterpret_cast<std::uintptr_t>(&probe_routine);
    hits = Tq::find_in_range(r, r + 1, nullptr, nullptr);
  };
  Tq::queue_task(&a.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(hits, 1u);
}

TEST_F(TaskQueueTest, ForgetQueueIsRefusedWhileItHasTasks) {
  Probe a;
  init_probe(a);
  Tq::queue_task(&a.task, &q1);
  EXPECT_FALSE(Tq::forget_queue(&q1));
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::QueueBusy);
  EXPECT_NE(Hooks::messages[0].find("queue q1 still has 1 pending"), std::string::npos)
      << Hooks::messages[0];
  Tq::run(&q1);
  EXPECT_TRUE(Tq::forget_queue(&q1));
  task_queue* qs[4];
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
}

// ---- queues that are not static globals ---------------------------------------------

TEST_F(TaskQueueTest, FreeingAnIdleQueueForgetsItSilently) {
  auto q = std::make_unique<task_queue>();
  q->name = "heapq";
  Probe a;
  init_probe(a);
  Tq::queue_task(&a.task, q.get());
  Tq::run(q.get());
  task_queue* qs[4];
  ASSERT_EQ(Tq::queues(qs, 4), 1u);
  const auto lo = reinterpret_cast<std::uintptr_t>(q.get());
  EXPECT_EQ(Tq::free_queues_in_range(lo, lo + sizeof(task_queue)), 0u);
  EXPECT_TRUE(Hooks::faults.empty());
  EXPECT_EQ(Tq::queues(qs, 4), 0u);  // the freed memory is no longer on the registry
  EXPECT_EQ(q->registered, 0);
}

// kfree's first question: does freeing this block concern the task queues at all?
TEST_F(TaskQueueTest, RangeMattersOnlyWithWorkQueuedOrAQueueInTheRange) {
  auto q = std::make_unique<task_queue>();
  q->name = "heapq";
  auto block = std::make_unique<char[]>(64);  // a block holding nothing of the queues'
  const auto blo = reinterpret_cast<std::uintptr_t>(block.get());
  const auto qlo = reinterpret_cast<std::uintptr_t>(q.get());
  EXPECT_FALSE(Tq::range_matters(blo, blo + 64));  // nothing registered
  Probe a;
  init_probe(a);
  Tq::queue_task(&a.task, q.get());  // a task pending anywhere: every block matters
  EXPECT_TRUE(Tq::range_matters(blo, blo + 64));
  Tq::run(q.get());  // idle and empty again, still registered
  EXPECT_FALSE(Tq::range_matters(blo, blo + 64));
  EXPECT_TRUE(Tq::range_matters(qlo, qlo + sizeof(task_queue)));  // the queue's own block
  Tq::free_queues_in_range(qlo, qlo + sizeof(task_queue));
  EXPECT_FALSE(Tq::range_matters(qlo, qlo + sizeof(task_queue)));  // forgotten
}

TEST_F(TaskQueueTest, FreeingABusyQueueIsReportedAndItsTasksAreTakenOff) {
  auto q = std::make_unique<task_queue>();
  q->name = "heapq";
  Probe a, b;
  init_probe(a);
  init_probe(b);
  Tq::queue_task(&a.task, q.get());
  Tq::queue_task(&b.task, q.get());
  const auto lo = reinterpret_cast<std::uintptr_t>(q.get());
  EXPECT_EQ(Tq::free_queues_in_range(lo, lo + sizeof(task_queue)), 1u);
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::FreeActiveQueue);
  EXPECT_EQ(Hooks::messages[0],
            "kfree: free of an active queue heapq (2 pending tasks): its tasks were taken off");
  EXPECT_FALSE(Tq::is_pending(&a.task));
  EXPECT_FALSE(Tq::is_pending(&b.task));
  task_queue* qs[4];
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
  // The tasks are sound: they can be queued elsewhere and run.
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
  EXPECT_EQ(Tq::queue_task(&b.task, &q1), 1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b}));
}

TEST_F(TaskQueueTest, FreeingAQueueWhileItDrainsIsReported) {
  auto q = std::make_unique<task_queue>();
  q->name = "heapq";
  Probe a, b;
  init_probe(a);
  init_probe(b);
  const auto lo = reinterpret_cast<std::uintptr_t>(q.get());
  a.body = [&] { Tq::free_queues_in_range(lo, lo + sizeof(task_queue)); };
  Tq::queue_task(&a.task, q.get());
  Tq::queue_task(&b.task, q.get());
  Tq::run(q.get());  // the queue object itself is still valid memory here
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::FreeActiveQueue);
  EXPECT_NE(Hooks::messages[0].find("(1 pending tasks, draining, routine probe_routine running)"),
            std::string::npos)
      << Hooks::messages[0];
  EXPECT_EQ(b.runs, 0);  // taken off
  EXPECT_FALSE(Tq::is_pending(&b.task));
}

TEST_F(TaskQueueTest, FreeQueuesInRangeLeavesQueuesOutsideAlone) {
  struct Two {
    task_queue inside{};
    task_queue outside{};
  } two;
  two.inside.name = "inside";
  two.outside.name = "outside";
  Tq::register_queue(&two.inside);
  Tq::register_queue(&two.outside);
  const auto lo = reinterpret_cast<std::uintptr_t>(&two.inside);
  EXPECT_EQ(Tq::free_queues_in_range(lo, lo + sizeof(task_queue)), 0u);
  task_queue* qs[4];
  ASSERT_EQ(Tq::queues(qs, 4), 1u);
  EXPECT_EQ(qs[0], &two.outside);
  EXPECT_TRUE(Tq::forget_queue(&two.outside));
}

TEST_F(TaskQueueTest, ATransientQueueLeavesTheRegistryWhenItsDrainEnds) {
  DECLARE_TASK_QUEUE(stackq);  // as in a function of a module
  Hooks::transient_queues.insert(&stackq);
  Probe a, b;
  init_probe(a);
  init_probe(b);
  task_queue* qs[4];
  bool registered_while_draining = false;
  a.body = [&] { registered_while_draining = Tq::queues(qs, 4) == 1; };
  Tq::queue_task(&a.task, &stackq);
  Tq::queue_task(&b.task, &stackq);
  EXPECT_EQ(Tq::queues(qs, 4), 1u);  // busy: visible to tq, kfree and the unloader
  Tq::run(&stackq);
  EXPECT_TRUE(registered_while_draining);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &b}));
  EXPECT_EQ(Tq::queues(qs, 4), 0u);  // empty and idle: the frame may return now
  EXPECT_EQ(stackq.registered, 0);
  // An empty drain of it does not put it back.
  Tq::run(&stackq);
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
  EXPECT_EQ(stackq.drains, 2u);
  Tq::register_queue(&stackq);
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
}

TEST_F(TaskQueueTest, ATransientQueueStaysWhileTasksQueuedDuringItsDrainWait) {
  DECLARE_TASK_QUEUE(stackq);
  Hooks::transient_queues.insert(&stackq);
  Probe a;
  init_probe(a);
  a.body = [&] {
    if (a.runs == 1) Tq::queue_task(&a.task, &stackq);  // once more, at the next drain
  };
  Tq::queue_task(&a.task, &stackq);
  Tq::run(&stackq);
  task_queue* qs[4];
  EXPECT_EQ(Tq::queues(qs, 4), 1u);
  Tq::run(&stackq);
  EXPECT_EQ(a.runs, 2);
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
}

TEST_F(TaskQueueTest, ATransientQueueLeavesWhenItsLastTaskIsCancelledOrFreed) {
  DECLARE_TASK_QUEUE(stackq);
  Hooks::transient_queues.insert(&stackq);
  Probe a, b;
  init_probe(a);
  init_probe(b);
  Tq::queue_task(&a.task, &stackq);
  Tq::queue_task(&b.task, &stackq);
  task_queue* qs[4];
  EXPECT_EQ(Tq::cancel_sync(&a.task), 1);
  EXPECT_EQ(Tq::queues(qs, 4), 1u);  // b still pending
  EXPECT_TRUE(Tq::poison(&b.task));  // "free of an active task": unlinked
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
  // A refused queue_task (the task is being cancelled) leaves it out as well.
  Probe c;
  init_probe(c);
  int during = -1;
  Hooks::on_step = [&](TqStep s, task_queue*, const tq_struct* t) {
    if (s == TqStep::CancelUnlinked && t == &c.task) during = Tq::queue_task(&c.task, &stackq);
  };
  EXPECT_EQ(Tq::cancel_sync(&c.task), 0);
  EXPECT_EQ(during, 0);
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
}

TEST_F(TaskQueueTest, AQueueThatIsNotTransientStaysRegisteredWhenEmpty) {
  Probe a;
  init_probe(a);
  Tq::queue_task(&a.task, &q1);
  Tq::run(&q1);
  task_queue* qs[4];
  EXPECT_EQ(Tq::queues(qs, 4), 1u);
}

TEST_F(TaskQueueTest, ForgetQueuesInRangeForgetsOnlyIdleEmptyQueues) {
  struct Module {
    task_queue idle{};
    task_queue busy{};
  } mod;
  mod.idle.name = "idle";
  mod.busy.name = "busy";
  Probe a, b;
  init_probe(a);
  init_probe(b);
  Tq::queue_task(&a.task, &mod.idle);
  Tq::run(&mod.idle);
  Tq::queue_task(&b.task, &mod.busy);
  const auto lo = reinterpret_cast<std::uintptr_t>(&mod);
  EXPECT_EQ(Tq::forget_queues_in_range(lo, lo + sizeof mod), 1u);
  task_queue* qs[4];
  ASSERT_EQ(Tq::queues(qs, 4), 1u);
  EXPECT_EQ(qs[0], &mod.busy);
  EXPECT_TRUE(Hooks::faults.empty());
  Tq::run(&mod.busy);
  EXPECT_EQ(Tq::forget_queues_in_range(lo, lo + sizeof mod), 1u);
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
}

void range_routine(void*) {}

TEST_F(TaskQueueTest, CancelInRangeUnlinksByMemoryRoutineOrDataWithoutWaiting) {
  struct Module {
    tq_struct own{};
    int data = 0;
  } mod;
  const auto lo = reinterpret_cast<std::uintptr_t>(&mod);
  const auto hi = lo + sizeof mod;
  INIT_TQUEUE(&mod.own, range_routine, nullptr);  // its memory is in the module
  Probe by_data, clean, in_batch, first;
  init_probe(by_data);
  init_probe(clean);
  init_probe(in_batch);
  init_probe(first);
  tq_struct by_routine{};
  const auto r = reinterpret_cast<std::uintptr_t>(&range_routine);
  INIT_TQUEUE(&by_routine, range_routine, nullptr);
  Tq::queue_task(&mod.own, &q1);
  Tq::queue_task(&by_data.task, &q1);
  Tq::queue_task(&clean.task, &q2);
  EXPECT_EQ(Tq::cancel_in_range(lo, hi), 1u);  // mod.own (by_data's data is its Probe)
  EXPECT_FALSE(Tq::is_pending(&mod.own));
  by_data.task.data = &mod.data;  // now its data points into the module
  // (probe_routine would use data as its Probe: it must not run any more.)
  EXPECT_EQ(Tq::cancel_in_range(lo, hi), 1u);
  EXPECT_FALSE(Tq::is_pending(&by_data.task));
  Tq::queue_task(&by_routine, &q2);
  EXPECT_EQ(Tq::cancel_in_range(r, r + 1), 1u);
  EXPECT_FALSE(Tq::is_pending(&by_routine));
  // In the batch of a drain in progress: unlinked from the routine before it.
  std::size_t from_routine = 0;
  first.body = [&] {
    const auto p = reinterpret_cast<std::uintptr_t>(&in_batch.task);
    from_routine = Tq::cancel_in_range(p, p + sizeof(tq_struct));
  };
  Tq::queue_task(&first.task, &q1);
  Tq::queue_task(&in_batch.task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(from_routine, 1u);
  EXPECT_EQ(in_batch.runs, 0);
  Tq::run(&q2);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&first, &clean}));
  EXPECT_EQ(Hooks::waits, 0);
  EXPECT_TRUE(Hooks::faults.empty());
}

// ---- a fault inside a routine drained from a thread -----------------------------------

// A fault in a routine, as the kernel's fault path sees it: the routine never returns
// (the thread is sent back to its recovery point). An exception does the same here: the
// drain's frames are left in the middle, with no guard held.
struct Fault : std::runtime_error {
  Fault() : std::runtime_error("fault") {}
};

TEST_F(TaskQueueTest, AbandonDrainsPutsTheRestOfTheBatchBackAtTheFront) {
  Probe a, b, c, d, late;
  for (Probe* p : {&a, &b, &c, &d, &late}) init_probe(*p);
  b.body = [&] {
    Tq::queue_task(&late.task, &q1);  // queued meanwhile: runs after the abandoned batch
    throw Fault();
  };
  for (Probe* p : {&a, &b, &c, &d}) Tq::queue_task(&p->task, &q1);
  EXPECT_THROW(Tq::run(&q1), Fault);
  EXPECT_TRUE(Tq::stats(&q1).draining);  // what the fault leaves behind
  EXPECT_EQ(Tq::current_routine(), &probe_routine);
  // Another context's drains are not touched.
  quartz::TqAbandoned gone[4];
  EXPECT_EQ(Tq::abandon_drains(2, gone, 4), 0u);
  ASSERT_EQ(Tq::abandon_drains(1, gone, 4), 1u);
  EXPECT_EQ(gone[0].queue, &q1);
  EXPECT_EQ(gone[0].routine, &probe_routine);
  EXPECT_EQ(gone[0].tasks, 2u);  // c and d
  EXPECT_FALSE(gone[0].dropped);
  const quartz::TqStats st = Tq::stats(&q1);
  EXPECT_FALSE(st.draining);
  EXPECT_EQ(st.running_routine, nullptr);
  EXPECT_EQ(st.queued, 3u);
  EXPECT_EQ(Tq::current_routine(), nullptr);  // a sleep now is no routine's fault
  EXPECT_FALSE(Tq::is_running(&b.task));
  EXPECT_EQ(Tq::cancel_sync(&b.task), 0);  // and cancel does not wait for it
  // The innocent tasks run at the next drain, in order, before what came meanwhile.
  g_ran.clear();
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&c, &d, &late}));
  EXPECT_EQ(Tq::abandon_drains(1, gone, 4), 0u);
}

TEST_F(TaskQueueTest, AbandonDrainsGivesUpNestedDrainsOfTheContext) {
  Probe outer, inner, outer_next, inner_next;
  for (Probe* p : {&outer, &inner, &outer_next, &inner_next}) init_probe(*p);
  outer.body = [&] { Tq::run(&q2); };
  inner.body = [] { throw Fault(); };
  Tq::queue_task(&outer.task, &q1);
  Tq::queue_task(&outer_next.task, &q1);
  Tq::queue_task(&inner.task, &q2);
  Tq::queue_task(&inner_next.task, &q2);
  EXPECT_THROW(Tq::run(&q1), Fault);
  quartz::TqAbandoned gone[4];
  ASSERT_EQ(Tq::abandon_drains(1, gone, 4), 2u);
  EXPECT_EQ(Tq::abandon_drains(1, gone, 4), 0u);
  g_ran.clear();
  Tq::run(&q1);
  Tq::run(&q2);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&outer_next, &inner_next}));
}

TEST_F(TaskQueueTest, AbandonDrainsDropsATransientQueueWithItsFrame) {
  DECLARE_TASK_QUEUE(stackq);
  Hooks::transient_queues.insert(&stackq);
  Probe a, b;
  init_probe(a);
  init_probe(b);
  a.body = [] { throw Fault(); };
  Tq::queue_task(&a.task, &stackq);
  Tq::queue_task(&b.task, &stackq);
  EXPECT_THROW(Tq::run(&stackq), Fault);
  quartz::TqAbandoned gone[4];
  ASSERT_EQ(Tq::abandon_drains(1, gone, 4), 1u);
  EXPECT_TRUE(gone[0].dropped);
  EXPECT_EQ(gone[0].tasks, 1u);
  EXPECT_FALSE(Tq::is_pending(&b.task));
  task_queue* qs[4];
  EXPECT_EQ(Tq::queues(qs, 4), 0u);
}

// ---- one corrupt task must not take the tasks behind it down ------------------------

TEST_F(TaskQueueTest, APendingTaskReinitialisedIsDroppedAloneAndTheRestRuns) {
  Probe a, b, c;
  init_probe(a);
  init_probe(b);
  init_probe(c);
  for (Probe* p : {&a, &b, &c}) Tq::queue_task(&p->task, &q1);
  INIT_TQUEUE(&a.task, probe_routine, &a);  // the owner re-initialises a pending task
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&b, &c}));
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::Reinitialised);
  EXPECT_EQ(Hooks::faults[0].task, &a.task);
  char expected[200];
  quartz::snformat(
      expected, sizeof expected,
      "run_task_queue: task %p (routine probe_routine) was re-initialised or overwritten while "
      "pending (debug state 0); dropped from the drain of q1",
      static_cast<void*>(&a.task));
  EXPECT_EQ(Hooks::messages[0], expected);
  const quartz::TqStats st = Tq::stats(&q1);
  EXPECT_EQ(st.queued, 0u);
  EXPECT_FALSE(st.draining);
  // The dropped task is idle as its owner made it: it can be queued again.
  EXPECT_EQ(Tq::queue_task(&a.task, &q1), 1);
  Tq::run(&q1);
  EXPECT_EQ(a.runs, 1);
}

TEST_F(TaskQueueTest, ACorruptTaskInTheMiddleOfTheBatchIsDroppedAlone) {
  Probe a, b, c, d;
  for (Probe* p : {&a, &b, &c, &d}) init_probe(*p);
  // b goes bad while the drain runs a (a stack frame reused, a stray write).
  a.body = [&] { std::memset(static_cast<void*>(&b.task), 0x55, sizeof b.task); };
  for (Probe* p : {&a, &b, &c, &d}) Tq::queue_task(&p->task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &c, &d}));
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::BadMagic);
  EXPECT_EQ(Hooks::faults[0].task, &b.task);
  EXPECT_EQ(Tq::stats(&q1).queued, 0u);
  EXPECT_EQ(Tq::stats(&q1).tasks_run, 3u);
}

TEST_F(TaskQueueTest, ACorruptLastTaskOrOnlyTaskEndsTheDrainCleanly) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  std::memset(static_cast<void*>(&b.task), 0x6b, sizeof b.task);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a}));
  ASSERT_EQ(Hooks::faults.size(), 1u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::UseAfterFree);
  EXPECT_EQ(Tq::stats(&q1).queued, 0u);
  INIT_TQUEUE(&b.task, probe_routine, &b);
  Tq::queue_task(&b.task, &q1);
  INIT_TQUEUE(&b.task, probe_routine, &b);
  Tq::run(&q1);
  EXPECT_EQ(Hooks::faults.size(), 2u);
  EXPECT_EQ(Tq::stats(&q1).queued, 0u);
  EXPECT_FALSE(Tq::stats(&q1).draining);
}

TEST_F(TaskQueueTest, ASecondBadTaskMetWalkingBackIsReportedAndTheBatchRestartsAfterIt) {
  Probe a, b, c, d, e;
  for (Probe* p : {&a, &b, &c, &d, &e}) init_probe(*p);
  for (Probe* p : {&a, &b, &c, &d, &e}) Tq::queue_task(&p->task, &q1);
  INIT_TQUEUE(&b.task, probe_routine, &b);
  std::memset(static_cast<void*>(&d.task), 0x6b, sizeof d.task);
  Tq::run(&q1);
  // c lies between two bad tasks: reaching it would mean trusting a bad link. It is
  // lost (it stays "pending" in its own memory); everything reachable runs.
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &e}));
  ASSERT_EQ(Hooks::faults.size(), 2u);
  EXPECT_EQ(Hooks::faults[0].kind, TqFaultKind::Reinitialised);
  EXPECT_EQ(Hooks::faults[0].task, &b.task);
  EXPECT_EQ(Hooks::faults[1].kind, TqFaultKind::UseAfterFree);
  EXPECT_EQ(Hooks::faults[1].task, &d.task);
  EXPECT_EQ(Hooks::faults[1].queue, &q1);
  EXPECT_EQ(Tq::stats(&q1).queued, 0u);
  EXPECT_FALSE(Tq::stats(&q1).draining);
}

TEST_F(TaskQueueTest, ACorruptTaskDropKeepsTasksQueuedDuringTheDrainForTheNext) {
  Probe a, b, c, late;
  for (Probe* p : {&a, &b, &c, &late}) init_probe(*p);
  a.body = [&] {
    Tq::queue_task(&late.task, &q1);
    INIT_TQUEUE(&b.task, probe_routine, &b);
  };
  for (Probe* p : {&a, &b, &c}) Tq::queue_task(&p->task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &c}));
  EXPECT_EQ(Tq::stats(&q1).queued, 1u);  // late, for the next drain
  Tq::run(&q1);
  EXPECT_EQ(late.runs, 1);
}

TEST_F(TaskQueueTest, BatchTailFollowsCancelsOfTheLastBatchTask) {
  // Unlinking the batch's last task must move batch_tail, or a later drop would walk
  // back from a task that is no longer in the batch.
  Probe a, b, c, d;
  for (Probe* p : {&a, &b, &c, &d}) init_probe(*p);
  a.body = [&] {
    EXPECT_EQ(q1.batch_tail, &d.task);
    EXPECT_EQ(Tq::cancel_sync(&d.task), 1);
    EXPECT_EQ(q1.batch_tail, &c.task);
    INIT_TQUEUE(&b.task, probe_routine, &b);  // and now b goes bad
  };
  for (Probe* p : {&a, &b, &c, &d}) Tq::queue_task(&p->task, &q1);
  Tq::run(&q1);
  EXPECT_EQ(ran(), (std::vector<const Probe*>{&a, &c}));
  EXPECT_EQ(Tq::stats(&q1).queued, 0u);
}

// ---- the listing behind `tq` and /proc/tq ---------------------------------------------

struct Listing {
  std::vector<std::string> lines;
  static void line(void* ctx, const char* l) { static_cast<Listing*>(ctx)->lines.emplace_back(l); }
  static int name(std::uintptr_t addr, char* buf, std::size_t len) {
    if (addr != reinterpret_cast<std::uintptr_t>(&probe_routine)) return 0;
    return std::snprintf(buf, len, "probe_routine+0x0");
  }
  std::size_t count(const std::string& prefix) const {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.rfind(prefix, 0) == 0;
    return n;
  }
};

TEST_F(TaskQueueTest, ListingPrintsQueuesAndTasksInRunOrder) {
  Probe a, b;
  init_probe(a);
  init_probe(b);
  tq_struct unnamed{};
  INIT_TQUEUE(&unnamed, range_routine, nullptr);
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &q1);
  Tq::queue_task(&unnamed, &q1);
  Listing out;
  Tq::list(Listing::line, &out, Listing::name);
  ASSERT_EQ(out.lines.size(), 4u);
  EXPECT_EQ(out.lines[0],
            "q1: 3 queued, 0 drains, 0 tasks run, longest drain 0 tsc, 0 delayed, 0 skipped ticks");
  char expected[160];
  quartz::snformat(expected, sizeof expected, "  %p probe_routine+0x0 data=%p",
                   static_cast<void*>(&a.task), static_cast<void*>(&a));
  EXPECT_EQ(out.lines[1], expected);
  EXPECT_NE(out.lines[3].find(" 0x"), std::string::npos) << out.lines[3];  // unnamed: hex
  Tq::cancel_sync(&unnamed);
}

TEST_F(TaskQueueTest, ListingCutsMoreThan32TasksAndMoreThan16Queues) {
  // What overran fixed arrays in the kernel's `tq`: 40 tasks on one queue, 20 queues.
  constexpr int kTasks = 40, kQueues = 20;
  std::vector<Probe> probes(kTasks);
  for (auto& p : probes) {
    init_probe(p);
    Tq::queue_task(&p.task, &q1);
  }
  std::vector<task_queue> many(kQueues);
  for (auto& q : many) {
    q.name = "many";
    Tq::register_queue(&q);
  }
  Listing out;
  Tq::list(Listing::line, &out, Listing::name);
  // 21 registered, oldest first: q1 with 32 of its tasks, then 15 of the others.
  ASSERT_EQ(out.lines.size(), 1u + 32u + 1u + 15u + 1u);
  EXPECT_EQ(out.lines[0].rfind("q1: 40 queued", 0), 0u) << out.lines[0];
  EXPECT_EQ(out.count("  0x"), 32u);
  EXPECT_EQ(out.lines[33], "  ... and 8 more");
  EXPECT_EQ(out.count("many: 0 queued"), 15u);
  EXPECT_EQ(out.lines.back(), "... and 5 more queues");
  for (auto& q : many) EXPECT_TRUE(Tq::forget_queue(&q));
  out.lines.clear();
  Tq::list(Listing::line, &out, Listing::name);
  EXPECT_EQ(out.lines.size(), 1u + 32u + 1u);
  Tq::run(&q1);
  for (const auto& p : probes) EXPECT_EQ(p.runs, 1);
}

// ---- contracts ----------------------------------------------------------------------

TEST_F(TaskQueueTest, EveryLockedHelperRunsUnderTheGuard) {
  // The fixture's assert_guard_held fails the test if a helper runs without the guard;
  // here every path that has one is exercised and must have asserted.
  DECLARE_TASK_QUEUE(stackq);
  Hooks::transient_queues.insert(&stackq);
  Probe a, b;
  init_probe(a);
  init_probe(b);
  Tq::queue_task(&a.task, &q1);
  Tq::queue_task(&b.task, &stackq);
  Tq::run(&q1);
  Tq::cancel_sync(&b.task);
  Tq::queue_task(&a.task, &q1);
  Tq::poison(&a.task);
  const auto lo = reinterpret_cast<std::uintptr_t>(&q2);
  Tq::register_queue(&q2);
  Tq::free_queues_in_range(lo, lo + sizeof q2);
  Tq::forget_queues_in_range(lo, lo + sizeof q2);
  for (const char* helper :
       {"queue_locked", "register_locked", "finish_drain_locked", "unlink_locked",
        "forget_if_transient_locked", "forget_locked", "running_queue_locked",
        "forget_idle_in_range_locked", "register_lasting_locked"}) {
    EXPECT_GT(Hooks::asserted[helper], 0) << helper << " never asserted the guard";
  }
}

// ---- C++ modules: tq_struct and task_queue are constant-initialised -----------------

// A namespace-scope `tq_struct task;` in a C++ module must be plain zero-filled data: a
// dynamic constructor (.init_array, or .ctors with old toolchains) is refused by the
// module build. Compiled with the real cross compilers at every optimisation level.
TEST(TaskQueueApi, NamespaceScopeTaskAndQueueNeedNoConstructorInCpp) {
  const std::string dir = ::testing::TempDir();
  const std::string src = dir + "/tq_constinit.cpp";
  {
    std::FILE* f = std::fopen(src.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        "#include \"quartz/tqueue.h\"\n"
        "tq_struct task;\n"
        "task_queue q;\n"
        "namespace mod { tq_struct tasks[4]; struct S { tq_struct t; int n = 0; } s; }\n"
        "static void f(void*) {}\n"
        "tq_struct designated = { .routine = f, .data = nullptr };\n"
        "tq_struct positional = { f, nullptr };\n"
        "DECLARE_TASK_QUEUE(declared);\n"
        "extern \"C\" { void* keep[] = {&task, &q, mod::tasks, &mod::s, &designated,\n"
        "                              &positional, &declared}; }\n",
        f);
    std::fclose(f);
  }
  struct Compiler {
    const char* cxx;
    const char* flags;
  };
  const Compiler compilers[] = {{"i686-linux-gnu-g++", ""},
                                {"clang++", "-m32 --target=i686-linux-gnu"}};
  int compiled = 0;
  for (const Compiler& c : compilers) {
    const std::string probe = std::string("command -v ") + c.cxx + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) {
      if (compiled == 0 && std::string(c.cxx).find("g++") != std::string::npos)
        ADD_FAILURE() << c.cxx << " not found: the kernel's own compiler must be there";
      continue;
    }
    for (const char* opt : {"-O0", "-O2", "-Os"}) {
      const std::string obj = dir + "/tq_constinit" + opt + ".o";
      const std::string cmd = std::string("timeout 60 ") + c.cxx + " " + c.flags + " " + opt +
                              " -std=c++20 -ffreestanding -fno-exceptions -fno-rtti -Wall "
                              "-Wextra -Werror -I" QUARTZ_SOURCE_DIR "/modules/include -c " +
                              src + " -o " + obj;
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      const std::string check =
          "timeout 60 readelf -SW " + obj + " | grep -E '\\.(init_array|ctors)' >/dev/null";
      EXPECT_NE(std::system(check.c_str()), 0)
          << c.cxx << " " << opt << " emitted a constructor section for " << src;
      ++compiled;
    }
  }
  EXPECT_GE(compiled, 3);
}

}  // namespace
