// Host tests of the tasklet core (kernel/lib/tasklet_core.h): every contract of
// quartz/interrupt.h, the debug-objects checks, the record of tasklets scheduled after
// tasklet_kill, and a model test with random operations and simulated interrupts.
#include "kernel/lib/tasklet_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <random>
#include <string>
#include <vector>

namespace {

using quartz::TaskletBase;
using quartz::TaskletFault;
using quartz::TaskletFaultKind;
using quartz::TaskletStep;

struct Env {
  static inline int depth = 0;
  static inline std::uintptr_t ctx = 1;
  static inline bool irq = false;
  static inline std::vector<TaskletFault> faults;
  static inline std::function<void(TaskletStep, const tasklet_struct*)> on_step;
  static inline std::function<void(const tasklet_struct*)> on_wait;
  static inline long asserts = 0;
  static void reset() {
    depth = 0;
    ctx = 1;
    irq = false;
    faults.clear();
    on_step = nullptr;
    on_wait = nullptr;
  }
};
struct FakeGuard {
  FakeGuard() { ++Env::depth; }
  ~FakeGuard() { --Env::depth; }
  FakeGuard(const FakeGuard&) = delete;
  FakeGuard& operator=(const FakeGuard&) = delete;
};
struct Hooks : quartz::TaskletHooksBase {
  static std::uintptr_t context() { return Env::ctx; }
  static bool in_interrupt() { return Env::irq; }
  static void wait(const tasklet_struct* t) {
    if (Env::on_wait)
      Env::on_wait(t);
    else
      ADD_FAILURE() << "unexpected wait";
  }
  static void fault(const TaskletFault& f) {
    EXPECT_EQ(Env::depth, 0);
    Env::faults.push_back(f);
  }
  static void assert_guard_held(const char* where) {
    ++Env::asserts;
    if (Env::depth == 0) ADD_FAILURE() << where << " ran without the guard";
  }
  static void step(TaskletStep s, const tasklet_struct* t) {
    EXPECT_EQ(Env::depth, 0);
    if (Env::on_step) Env::on_step(s, t);
  }
};
using Core = quartz::TaskletCore<FakeGuard, Hooks>;

// One irq_exit's tasklet part: hi, then normal, in interrupt context.
int bh(TaskletBase& b) {
  const bool was = Env::irq;
  const auto ctx = Env::ctx;
  Env::irq = true;
  Env::ctx = ctx + 1;
  const int a = Core::run(b, true);
  const int c = Core::run(b, false);
  Env::irq = was;
  Env::ctx = ctx;
  return (a < 0 ? 0 : a) + (c < 0 ? 0 : c);
}

struct TBase {  // standard layout, for from_tasklet
  tasklet_struct tl;
  int count = 0;
  int id = 0;
};
struct TProbe : TBase {
  std::function<void(TProbe*)> then;
};
std::vector<int> g_order;
void tprobe_fn(tasklet_struct* t) {
  TBase* pb = from_tasklet(pb, t, tl);
  auto* p = static_cast<TProbe*>(pb);
  ++p->count;
  g_order.push_back(p->id);
  if (p->then) p->then(p);
}
unsigned long g_data = 0;
int g_old_calls = 0;
void old_fn(unsigned long data) {
  g_data = data;
  ++g_old_calls;
}

class TaskletCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Env::reset();
    g_order.clear();
    g_old_calls = 0;
  }
  void TearDown() override { EXPECT_EQ(Env::depth, 0); }
  TaskletBase b;
};

TEST_F(TaskletCoreTest, ScheduledRunsOnceAndSchedulingAgainChangesNothing) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  EXPECT_TRUE(Core::schedule(b, &p.tl, false));   // mark the bottom half
  EXPECT_FALSE(Core::schedule(b, &p.tl, false));  // already scheduled
  EXPECT_FALSE(Core::schedule(b, &p.tl, true));
  EXPECT_TRUE(Core::is_scheduled(&p.tl));
  EXPECT_EQ(bh(b), 1);
  EXPECT_EQ(p.count, 1);
  EXPECT_FALSE(Core::is_scheduled(&p.tl));
  EXPECT_EQ(bh(b), 0);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(b.scheduled, 0u);
  EXPECT_TRUE(Env::faults.empty());
}

TEST_F(TaskletCoreTest, DeclaredOldFormGetsItsDataCallbackFormGetsTheTasklet) {
  static DECLARE_TASKLET_OLD(old, old_fn);
  EXPECT_TRUE(Core::schedule(b, &old, false));
  bh(b);
  EXPECT_EQ(g_old_calls, 1);
  EXPECT_EQ(g_data, 0u);
  tasklet_struct t2;
  Core::init(b, &t2, old_fn, 0xabc);
  Core::schedule(b, &t2, true);
  bh(b);
  EXPECT_EQ(g_data, 0xabcu);
  TProbe p;
  p.id = 7;
  p.tl = tasklet_struct{};
  p.tl.use_callback = 1;
  p.tl.callback = tprobe_fn;  // like DECLARE_TASKLET
  Core::schedule(b, &p.tl, false);
  bh(b);
  EXPECT_EQ(g_order, std::vector<int>{7});
}

TEST_F(TaskletCoreTest, HiListFirstThenNormalEachInSchedulingOrder) {
  TProbe p[4];
  for (int i = 0; i < 4; ++i) {
    p[i].id = i;
    Core::setup(b, &p[i].tl, tprobe_fn);
  }
  Core::schedule(b, &p[0].tl, false);
  Core::schedule(b, &p[1].tl, true);
  Core::schedule(b, &p[2].tl, false);
  Core::schedule(b, &p[3].tl, true);
  bh(b);
  EXPECT_EQ(g_order, (std::vector<int>{1, 3, 0, 2}));
}

TEST_F(TaskletCoreTest, FunctionReschedulingItselfRunsAtTheNextPassNotThisOne) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  p.then = [this](TProbe* self) { EXPECT_TRUE(Core::schedule(b, &self->tl, false)); };
  Core::schedule(b, &p.tl, false);
  EXPECT_EQ(bh(b), 1);
  EXPECT_TRUE(Core::is_scheduled(&p.tl));
  EXPECT_EQ(bh(b), 1);
  EXPECT_EQ(p.count, 2);
}

TEST_F(TaskletCoreTest, DisabledStaysScheduledAndRunsOnceEnabled) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::disable(b, &p.tl, true);
  Core::disable(b, &p.tl, false);
  EXPECT_FALSE(Core::schedule(b, &p.tl, false));  // scheduled, but no mark: disabled
  EXPECT_TRUE(Core::is_scheduled(&p.tl));
  bh(b);
  bh(b);
  EXPECT_EQ(p.count, 0);
  EXPECT_TRUE(Core::is_scheduled(&p.tl));
  EXPECT_FALSE(Core::enable(b, &p.tl));  // still disabled once
  bh(b);
  EXPECT_EQ(p.count, 0);
  EXPECT_TRUE(Core::enable(b, &p.tl));  // enabled and scheduled: mark
  bh(b);
  EXPECT_EQ(p.count, 1);
  EXPECT_FALSE(Core::enable(b, &p.tl));  // unbalanced: reported, nothing changed
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::Unbalanced);
  EXPECT_EQ(p.tl.count, 0);
}

TEST_F(TaskletCoreTest, DeclaredDisabledTaskletWaitsForItsEnable) {
  static TProbe p;
  p.tl = tasklet_struct{};
  p.tl.count = 1;  // DECLARE_TASKLET_DISABLED
  p.tl.use_callback = 1;
  p.tl.callback = tprobe_fn;
  Core::schedule(b, &p.tl, false);
  bh(b);
  EXPECT_EQ(p.count, 0);
  EXPECT_TRUE(Core::enable(b, &p.tl));
  bh(b);
  EXPECT_EQ(p.count, 1);
}

TEST_F(TaskletCoreTest, NestedRunIsRefusedAndTheTaskletRunsOnce) {
  TProbe p, q;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::setup(b, &q.tl, tprobe_fn);
  int refused = 0;
  p.then = [&](TProbe*) {
    Core::schedule(b, &q.tl, false);
    refused = Core::run(b, false);  // an interrupt's irq_exit on top of this function
  };
  Core::schedule(b, &p.tl, false);
  bh(b);
  EXPECT_EQ(refused, Core::kRefused);
  EXPECT_EQ(b.delayed, 1u);
  EXPECT_EQ(q.count, 0);  // waits for the next irq_exit (the kernel marks it again)
  bh(b);
  EXPECT_EQ(q.count, 1);
  EXPECT_EQ(p.count, 1);
}

TEST_F(TaskletCoreTest, KillWaitsForAScheduledTaskletToRunThenMarksItKilled) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::schedule(b, &p.tl, false);
  int waits = 0;
  Env::on_wait = [&](const tasklet_struct*) {
    ++waits;
    bh(b);  // the next irq_exit runs it
  };
  Core::kill(b, &p.tl);
  EXPECT_EQ(waits, 1);
  EXPECT_EQ(p.count, 1);
  EXPECT_TRUE(p.tl.state & TASKLET_STATE_KILLED);
  EXPECT_FALSE(Core::is_scheduled(&p.tl));
}

TEST_F(TaskletCoreTest, KillWaitsThroughSelfReschedulingUntilItStops) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  int left = 3;
  p.then = [&](TProbe* self) {
    if (left-- > 0) Core::schedule(b, &self->tl, false);
  };
  Core::schedule(b, &p.tl, false);
  Env::on_wait = [&](const tasklet_struct*) { bh(b); };
  Core::kill(b, &p.tl);
  EXPECT_EQ(p.count, 4);
  EXPECT_FALSE(Core::is_scheduled(&p.tl));
}

TEST_F(TaskletCoreTest, KillFromInterruptContextIsRefused) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  p.then = [&](TProbe* self) { Core::kill(b, &self->tl); };
  Core::schedule(b, &p.tl, false);
  bh(b);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::KillInInterrupt);
  EXPECT_EQ(Env::faults[0].function, reinterpret_cast<std::uintptr_t>(&tprobe_fn));
  EXPECT_FALSE(p.tl.state & TASKLET_STATE_KILLED);
  char msg[256];
  quartz::format_tasklet_fault(Env::faults[0], "tprobe_fn", msg, sizeof msg);
  EXPECT_NE(std::string(msg).find("called from interrupt context"), std::string::npos) << msg;
}

TEST_F(TaskletCoreTest, KillOfAScheduledDisabledTaskletTakesItOffInsteadOfHanging) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::disable(b, &p.tl, false);
  Core::schedule(b, &p.tl, false);
  Core::kill(b, &p.tl);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::KillDisabled);
  EXPECT_FALSE(Core::is_scheduled(&p.tl));
  EXPECT_EQ(b.scheduled, 0u);
}

TEST_F(TaskletCoreTest, ScheduledAfterKillRunsAsInLinuxIsSaidOnceAndRecorded) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::kill(b, &p.tl);
  EXPECT_TRUE(Core::schedule(b, &p.tl, false));  // not prevented (Linux)
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::ScheduledAfterKill);
  bh(b);
  EXPECT_EQ(p.count, 1);
  Core::schedule(b, &p.tl, false);
  bh(b);
  EXPECT_EQ(Env::faults.size(), 1u);  // once
  // The unloader finds it although it is idle now.
  const auto lo = reinterpret_cast<std::uintptr_t>(&p);
  std::vector<quartz::TaskletRangeHit> hits;
  auto collect = [](void* c, const quartz::TaskletRangeHit& h) {
    static_cast<std::vector<quartz::TaskletRangeHit>*>(c)->push_back(h);
  };
  EXPECT_EQ(Core::find_in_range(b, lo, lo + sizeof p, collect, &hits), 1u);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].what, unsigned(quartz::kTaskletHitAfterKill));
  EXPECT_EQ(hits[0].function, reinterpret_cast<std::uintptr_t>(&tprobe_fn));
  EXPECT_EQ(b.after_kill_count, 1u);
  // Killed again (once nothing schedules it): forgotten.
  Core::kill(b, &p.tl);
  EXPECT_EQ(Core::find_in_range(b, lo, lo + sizeof p, nullptr, nullptr), 0u);
  EXPECT_EQ(b.after_kill_count, 0u);
  // Re-initialised: no longer "killed".
  Core::setup(b, &p.tl, tprobe_fn);
  Core::schedule(b, &p.tl, false);
  EXPECT_EQ(Env::faults.size(), 1u);
  bh(b);
}

TEST_F(TaskletCoreTest, FreeOfAScheduledTaskletIsReportedAndTakenOff) {
  alignas(8) unsigned char mem[sizeof(TBase)];
  auto* p = new (mem) TBase;
  Core::setup(b, &p->tl, tprobe_fn);
  Core::schedule(b, &p->tl, false);
  Core::poison(b, &p->tl);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::FreeScheduled);
  char msg[256];
  quartz::format_tasklet_fault(Env::faults[0], "tprobe_fn", msg, sizeof msg);
  EXPECT_NE(std::string(msg).find("free of a scheduled tasklet"), std::string::npos) << msg;
  EXPECT_EQ(b.scheduled, 0u);
  EXPECT_EQ(p->tl.tl_magic, TASKLET_MAGIC_FREED);
  EXPECT_EQ(bh(b), 0);
  std::memset(mem, 0x6b, sizeof mem);
  EXPECT_FALSE(Core::schedule(b, &p->tl, false));
  EXPECT_EQ(Env::faults.back().kind, TaskletFaultKind::UseAfterFree);
}

TEST_F(TaskletCoreTest, UninitialisedOrCorruptTaskletsAreRefused) {
  tasklet_struct t;
  std::memset(static_cast<void*>(&t), 0x3c, sizeof t);
  EXPECT_FALSE(Core::schedule(b, &t, false));
  EXPECT_EQ(Env::faults.back().kind, TaskletFaultKind::BadMagic);
  tasklet_struct u{};
  u.state = TASKLET_STATE_SCHED;  // scheduled bit without the debug state
  u.callback = tprobe_fn;
  u.use_callback = 1;
  EXPECT_FALSE(Core::schedule(b, &u, false));
  EXPECT_EQ(Env::faults.back().kind, TaskletFaultKind::BadState);
  tasklet_struct v{};  // no function
  EXPECT_FALSE(Core::schedule(b, &v, false));
  EXPECT_EQ(Env::faults.back().kind, TaskletFaultKind::NoFunction);
  EXPECT_FALSE(Core::schedule(b, nullptr, false));
  EXPECT_EQ(Env::faults.back().kind, TaskletFaultKind::NullPointer);
  EXPECT_EQ(b.scheduled, 0u);
}

TEST_F(TaskletCoreTest, SetupOfAScheduledTaskletIsReportedAndTakenOffFirst) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::schedule(b, &p.tl, false);
  Core::init(b, &p.tl, old_fn, 3);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::SetupScheduled);
  EXPECT_EQ(b.scheduled, 0u);
  EXPECT_EQ(bh(b), 0);
}

TEST_F(TaskletCoreTest, CorruptTaskletInTheBatchIsDroppedAloneTheRestRuns) {
  TProbe p[4];
  for (int i = 0; i < 4; ++i) {
    p[i].id = i;
    Core::setup(b, &p[i].tl, tprobe_fn);
    Core::schedule(b, &p[i].tl, false);
  }
  p[0].then = [&](TProbe*) {
    p[1].tl.tl_magic = 0x1234;
    p[1].tl.next = reinterpret_cast<tasklet_struct*>(0x10);
  };
  bh(b);
  EXPECT_EQ(g_order, (std::vector<int>{0, 2, 3}));
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TaskletFaultKind::CorruptInRun);
  EXPECT_EQ(b.scheduled, 0u);
}

TEST_F(TaskletCoreTest, FindAndDropInRangeAndTheRunningFunction) {
  TProbe p, q;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::init(b, &q.tl, old_fn, 1);
  Core::schedule(b, &p.tl, false);
  Core::schedule(b, &q.tl, true);
  const auto f = reinterpret_cast<std::uintptr_t>(&old_fn);
  EXPECT_EQ(Core::find_in_range(b, f, f + 1, nullptr, nullptr), 1u);
  EXPECT_EQ(Core::drop_in_range(b, f, f + 1), 1u);
  EXPECT_FALSE(Core::is_scheduled(&q.tl));
  std::size_t running = 0;
  std::uintptr_t current = 0;
  p.then = [&](TProbe*) {
    const auto g = reinterpret_cast<std::uintptr_t>(&tprobe_fn);
    running = Core::find_in_range(b, g, g + 1, nullptr, nullptr);
    current = Core::current_function(b);
  };
  bh(b);
  EXPECT_EQ(running, 1u);
  EXPECT_EQ(current, reinterpret_cast<std::uintptr_t>(&tprobe_fn));
  EXPECT_EQ(Core::current_function(b), 0u);
  EXPECT_TRUE(Env::faults.empty());
}

TEST_F(TaskletCoreTest, DisableWaitsForAFunctionRunningElsewhere) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  int waits = 0;
  p.then = [&](TProbe* self) {
    const auto c = Env::ctx;
    Env::ctx = 99;  // another thread, while the function runs
    Env::on_wait = [&](const tasklet_struct*) {
      ++waits;
      __atomic_store_n(&b.running, nullptr, __ATOMIC_RELAXED);  // it returns
    };
    Core::disable(b, &self->tl, true);
    Env::ctx = c;
  };
  Core::schedule(b, &p.tl, false);
  bh(b);
  EXPECT_EQ(waits, 1);
  EXPECT_EQ(p.tl.count, 1);
}

TEST_F(TaskletCoreTest, SnapshotAndFormats) {
  TProbe p;
  Core::setup(b, &p.tl, tprobe_fn);
  Core::disable(b, &p.tl, false);
  Core::schedule(b, &p.tl, true);
  quartz::TaskletInfo info[2];
  quartz::TaskletStats s;
  EXPECT_EQ(Core::snapshot(b, info, 2, &s), 1u);
  char line[192];
  quartz::tasklet_detail::format_tasklet_line(info[0], "tprobe_fn", line, sizeof line);
  EXPECT_NE(std::string(line).find("hi callback tprobe_fn disabled 1"), std::string::npos) << line;
  quartz::tasklet_detail::format_stats_line(s, line, sizeof line);
  EXPECT_NE(std::string(line).find("tasklets: 1 scheduled"), std::string::npos) << line;
}

// ---- the model test ------------------------------------------------------------------

constexpr int kTasklets = 6;

struct Model {
  std::mt19937 rng;
  TaskletBase b;
  TProbe p[kTasklets];
  bool sched[kTasklets] = {}, hi[kTasklets] = {};
  int count[kTasklets] = {};
  int fired[kTasklets] = {};
  std::vector<int> hi_list, lo_list, batch;
  int depth = 0;
  int killing = -1;
  bool batch_hi = false;

  explicit Model(unsigned seed) : rng(seed) {
    for (int i = 0; i < kTasklets; ++i) {
      p[i].id = i;
      Core::setup(b, &p[i].tl, tprobe_fn);
      p[i].then = [this, i](TProbe*) { on_fire(i); };
    }
  }
  int rnd(int n) { return int(rng() % unsigned(n)); }

  void op(bool thread_ctx) {
    const int i = rnd(kTasklets);
    switch (rnd(thread_ctx ? 6 : 5)) {
      case 0:
      case 1: {
        const bool h = rnd(3) == 0;
        const bool mark = Core::schedule(b, &p[i].tl, h);
        EXPECT_EQ(mark, !sched[i] && count[i] == 0);
        if (!sched[i]) {
          sched[i] = true;
          hi[i] = h;
          (h ? hi_list : lo_list).push_back(i);
        }
        break;
      }
      case 2:
        if (count[i] < 2 && i != killing) {
          Core::disable(b, &p[i].tl, false);
          ++count[i];
        }
        break;
      case 3:
        if (count[i] > 0) {
          EXPECT_EQ(Core::enable(b, &p[i].tl), count[i] == 1 && sched[i]);
          --count[i];
        }
        break;
      case 4:
        EXPECT_EQ(Core::is_scheduled(&p[i].tl), sched[i]);
        break;
      case 5:  // tasklet_kill from a thread, only when it would not be taken off
        if (!(sched[i] && count[i] > 0)) {
          Env::on_wait = [this](const tasklet_struct*) { irq_exit(); };
          killing = i;
          Core::kill(b, &p[i].tl);
          killing = -1;
          Env::on_wait = nullptr;
          EXPECT_FALSE(sched[i]);
          // Killed: the next schedule is said once; the model does not mind it.
          Core::setup(b, &p[i].tl, tprobe_fn);
          count[i] = 0;
        }
        break;
    }
  }

  void on_claim(const tasklet_struct* t) {
    int i = 0;
    while (i < kTasklets && &p[i].tl != t) ++i;
    ASSERT_LT(i, kTasklets);
    // Disabled ones at the batch's head went back to their list first.
    while (!batch.empty() && count[batch.front()] > 0) {
      const int d = batch.front();
      batch.erase(batch.begin());
      (batch_hi ? hi_list : lo_list).push_back(d);
    }
    ASSERT_FALSE(batch.empty());
    EXPECT_EQ(batch.front(), i);
    batch.erase(batch.begin());
    sched[i] = false;
    ++fired[i];
  }
  void on_fire(int) {
    if (rnd(3) == 0) op(false);
  }

  void on_step(TaskletStep s, const tasklet_struct* t) {
    if (s == TaskletStep::AfterClaim) on_claim(t);
    if (depth > 0 || rnd(4) != 0) return;
    ++depth;
    if (rnd(4) == 0 && b.in_run) {  // an interrupt's irq_exit on top of the run
      const unsigned long d = b.delayed;
      EXPECT_EQ(Core::run(b, rnd(2) == 0), Core::kRefused);
      EXPECT_EQ(b.delayed, d + 1);
    } else {
      op(false);
    }
    --depth;
  }

  void run_one(bool h) {
    Env::on_step = [this, h](TaskletStep s, const tasklet_struct* t) {
      if (s == TaskletStep::AfterTakeover) {
        batch_hi = h;
        batch = h ? hi_list : lo_list;
        (h ? hi_list : lo_list).clear();
      }
      if (s == TaskletStep::AfterRun) {
        // The rest of the batch (all disabled) went back to the list.
        for (int d : batch) (batch_hi ? hi_list : lo_list).push_back(d);
        batch.clear();
      }
      on_step(s, t);
    };
    const bool was = Env::irq;
    const auto c = Env::ctx;
    Env::irq = true;
    Env::ctx = c + 1;
    Core::run(b, h);
    Env::irq = was;
    Env::ctx = c;
    Env::on_step = nullptr;
  }
  void irq_exit() {
    run_one(true);
    run_one(false);
  }

  void check() {
    unsigned long n = 0;
    for (int i = 0; i < kTasklets; ++i) {
      ASSERT_EQ(Core::is_scheduled(&p[i].tl), sched[i]) << "tasklet " << i;
      EXPECT_EQ(p[i].count, fired[i]) << "tasklet " << i;
      EXPECT_EQ(p[i].tl.count, count[i]);
      n += sched[i];
    }
    EXPECT_EQ(b.scheduled, n);
    auto ids = [](const quartz::TaskletList& l) {
      std::vector<int> v;
      for (tasklet_struct* t = l.head; t; t = t->next) {
        TBase* pb = from_tasklet(pb, t, tl);
        v.push_back(pb->id);
      }
      return v;
    };
    const std::vector<int> hl = ids(b.hi), ll = ids(b.normal);
    EXPECT_EQ(hl, hi_list);
    EXPECT_EQ(ll, lo_list);
    EXPECT_TRUE(Env::faults.empty());
  }
};

class TaskletModelTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    Env::reset();
    g_order.clear();
  }
};

TEST_P(TaskletModelTest, RandomOperationsMatchTheModel) {
  Model m(GetParam());
  for (int step = 0; step < 20000; ++step) {
    if (m.rnd(3) == 0)
      m.irq_exit();
    else
      m.op(true);
    Env::faults.erase(std::remove_if(Env::faults.begin(), Env::faults.end(),
                                     [](const TaskletFault& f) {
                                       return f.kind == TaskletFaultKind::ScheduledAfterKill;
                                     }),
                      Env::faults.end());
    m.check();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << GetParam() << " step " << step;
      return;
    }
  }
  int total = 0;
  for (int f : m.fired) total += f;
  EXPECT_GT(total, 1000);
  EXPECT_GT(m.b.delayed, 10u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, TaskletModelTest, ::testing::Values(1u, 2u, 3u, 42u, 1234u));

}  // namespace
