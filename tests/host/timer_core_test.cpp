// Host tests of the kernel-timer core (kernel/lib/timer_core.h): every contract of
// quartz/timer.h, the debug-objects checks, and a model test with random operations and
// simulated interrupts at every point of a run, against a simple reference model.
#include "kernel/lib/timer_core.h"

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

using quartz::TimerBase;
using quartz::TimerFault;
using quartz::TimerFaultKind;
using quartz::TimerStep;

struct Env {
  static inline int depth = 0;  // fake guard nesting
  static inline unsigned long jiffies = 0;
  static inline std::uintptr_t ctx = 1;
  static inline bool irq = false;  // in_interrupt()
  static inline std::vector<TimerFault> faults;
  static inline std::function<void(TimerStep, const timer_list*)> on_step;
  static inline std::function<void(const timer_list*)> on_wait;
  static inline long asserts = 0;
  static void reset() {
    depth = 0;
    jiffies = 0;
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

struct Hooks : quartz::TimerHooksBase {
  static std::uintptr_t context() { return Env::ctx; }
  static bool in_interrupt() { return Env::irq; }
  static unsigned long jiffies() { return Env::jiffies; }
  static void wait_while_running(const timer_list* t) {
    if (Env::on_wait) Env::on_wait(t);
  }
  static void fault(const TimerFault& f) {
    EXPECT_EQ(Env::depth, 0) << "fault reported with the guard held";
    Env::faults.push_back(f);
  }
  static void assert_guard_held(const char* where) {
    ++Env::asserts;
    if (Env::depth == 0) ADD_FAILURE() << where << " ran without the guard";
  }
  static void step(TimerStep s, const timer_list* t) {
    EXPECT_EQ(Env::depth, 0) << "step with the guard held";
    if (Env::on_step) Env::on_step(s, t);
  }
};
using Core = quartz::TimerCore<FakeGuard, Hooks>;

// A run as the bottom half does it: in interrupt context.
void run(TimerBase& b) {
  const bool was = Env::irq;
  const std::uintptr_t ctx = Env::ctx;
  Env::irq = true;
  Env::ctx = ctx + 1;  // the bottom half's level on this thread
  Core::run(b);
  Env::irq = was;
  Env::ctx = ctx;
}
void tick(TimerBase& b, unsigned long n = 1) {
  for (unsigned long i = 0; i < n; ++i) {
    ++Env::jiffies;
    if (long(Env::jiffies - b.next) >= 0) run(b);
  }
}

struct ProbeBase {  // standard layout, for from_timer
  timer_list timer;
  int count = 0;
  unsigned long at = 0;
};
struct Probe : ProbeBase {
  std::function<void(Probe*)> then;
};
std::vector<std::string> g_log;
void probe_fn(timer_list* t) {
  ProbeBase* pb = from_timer(pb, t, timer);
  Probe* p = static_cast<Probe*>(pb);
  ++p->count;
  p->at = Env::jiffies;
  if (p->then) p->then(p);
}
unsigned long g_data_seen = 0;
int g_data_calls = 0;
void data_fn(unsigned long data) {
  g_data_seen = data;
  ++g_data_calls;
}

class TimerCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Env::reset();
    g_log.clear();
    g_data_calls = 0;
    g_data_seen = 0;
  }
  void TearDown() override { EXPECT_EQ(Env::depth, 0); }
  TimerBase b;
};

TEST_F(TimerCoreTest, ZeroTimerIsValidAndFiresAtItsJiffyNotBefore) {
  Probe p;  // all-zero private fields, like DEFINE_TIMER
  p.timer.function = probe_fn;
  p.timer.expires = 5;
  EXPECT_EQ(Core::add(b, &p.timer), 1);
  EXPECT_TRUE(Core::pending(&p.timer));
  EXPECT_EQ(b.next, 5u);
  tick(b, 4);
  EXPECT_EQ(p.count, 0);
  tick(b);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(p.at, 5u);
  EXPECT_FALSE(Core::pending(&p.timer));
  tick(b, 10);
  EXPECT_EQ(p.count, 1);  // once per arming
  EXPECT_TRUE(Env::faults.empty());
}

TEST_F(TimerCoreTest, SetupFunctionGetsItsTimerAndFromTimerFindsTheOwner) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  EXPECT_EQ(p.timer.tl_magic, TIMER_MAGIC_IDLE);
  EXPECT_EQ(Core::mod(b, &p.timer, 1), 0);
  tick(b);
  EXPECT_EQ(p.count, 1);
}

TEST_F(TimerCoreTest, DataFormCallsFunctionWithData) {
  timer_list t{};
  Core::init_data_form(b, &t);
  EXPECT_TRUE(t.flags & TIMER_DATA_FORM);
  t.function = reinterpret_cast<quartz::TimerFn>(reinterpret_cast<void*>(data_fn));
  t.data = 0x1234;
  t.expires = 3;
  Core::add(b, &t);
  tick(b, 3);
  EXPECT_EQ(g_data_calls, 1);
  EXPECT_EQ(g_data_seen, 0x1234u);
  // timer_setup takes the form back to today's.
  Probe p;
  p.timer.flags = TIMER_DATA_FORM;
  Core::setup(b, &p.timer, probe_fn, TIMER_DATA_FORM | TIMER_DEFERRABLE);
  EXPECT_EQ(p.timer.flags, TIMER_DEFERRABLE);
}

TEST_F(TimerCoreTest, ExpiryInThePastRunsAtTheNextTick) {
  Env::jiffies = 100;
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 50);
  tick(b);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(p.at, 101u);
}

TEST_F(TimerCoreTest, ModReturnsWhetherArmedAndMovesTheExpiry) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  EXPECT_EQ(Core::mod(b, &p.timer, 10), 0);
  EXPECT_EQ(Core::mod(b, &p.timer, 3), 1);
  EXPECT_EQ(b.armed, 1u);
  EXPECT_EQ(b.next, 3u);
  tick(b, 3);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(p.at, 3u);
  EXPECT_EQ(b.armed, 0u);
}

TEST_F(TimerCoreTest, AddOfAnArmedTimerIsReportedAndChangesNothing) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 10);
  p.timer.expires = 2;  // the owner scribbles expires, then add_timer again
  EXPECT_EQ(Core::add(b, &p.timer), 0);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::AddPending);
  EXPECT_EQ(b.armed, 1u);
  EXPECT_EQ(b.next, 10u);
}

TEST_F(TimerCoreTest, ArmingWithoutAFunctionIsRefused) {
  timer_list t{};
  t.expires = 1;
  EXPECT_EQ(Core::add(b, &t), 0);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::NoFunction);
  EXPECT_EQ(b.armed, 0u);
}

TEST_F(TimerCoreTest, DelDisarmsAndReturnsWhetherArmed) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  EXPECT_EQ(Core::del(b, &p.timer), 0);
  Core::mod(b, &p.timer, 2);
  EXPECT_EQ(Core::del(b, &p.timer), 1);
  EXPECT_EQ(b.next, Env::jiffies + quartz::kTimerIdleHorizon);  // none armed: far ahead
  EXPECT_EQ(Core::del(b, &p.timer), 0);
  tick(b, 5);
  EXPECT_EQ(p.count, 0);
  EXPECT_EQ(b.armed, 0u);
}

TEST_F(TimerCoreTest, RunsInExpiryOrderFifoAmongEqualExpiries) {
  Probe p[5];
  const unsigned long exp[5] = {4, 2, 4, 1, 2};
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    Core::setup(b, &p[i].timer, probe_fn, 0);
    p[i].then = [&order, i](Probe*) { order.push_back(i); };
    Core::mod(b, &p[i].timer, exp[i]);
  }
  tick(b, 4);
  EXPECT_EQ(order, (std::vector<int>{3, 1, 4, 0, 2}));
}

TEST_F(TimerCoreTest, ExpiryComparesAcrossTheJiffiesWrap) {
  Env::jiffies = ~0ul - 2;
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 2);     // after the wrap
  Core::mod(b, &q.timer, ~0ul);  // before it
  EXPECT_EQ(b.head, &q.timer);
  tick(b, 3);
  EXPECT_EQ(q.count, 1);
  EXPECT_EQ(p.count, 0);
  tick(b, 2);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(p.at, 2u);
}

TEST_F(TimerCoreTest, FunctionReArmingItselfRunsOncePerTickNeverTwiceInAPass) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  p.then = [this](Probe* self) { Core::mod(b, &self->timer, Env::jiffies); };  // "now"
  Core::mod(b, &p.timer, 1);
  tick(b);
  EXPECT_EQ(p.count, 1);
  EXPECT_TRUE(Core::pending(&p.timer));
  tick(b);
  EXPECT_EQ(p.count, 2);
  p.then = [this](Probe* self) { Core::mod(b, &self->timer, Env::jiffies + 1); };
  tick(b, 10);
  EXPECT_EQ(p.count, 12);
}

TEST_F(TimerCoreTest, NestedRunIsDelayedAndTheOuterRunTakesWhatBecameDue) {
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 1);
  Core::mod(b, &q.timer, 2);
  // A tick arrives while p's function runs: jiffies 2, q due, the nested run refused.
  p.then = [this](Probe*) {
    ++Env::jiffies;
    Core::run(b);
  };
  tick(b);
  EXPECT_EQ(b.delayed, 1u);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(q.count, 1);  // taken by the outer run, not a tick later
  EXPECT_EQ(q.at, 2u);
  EXPECT_FALSE(b.in_run);
}

TEST_F(TimerCoreTest, DelFromAnInterruptTakesATimerOutOfTheDueBatch) {
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 1);
  Core::mod(b, &q.timer, 1);
  Env::on_step = [&](TimerStep s, const timer_list* t) {
    if (s == TimerStep::AfterClaim && t == &p.timer) {
      EXPECT_TRUE(Core::pending(&q.timer));  // due, not yet run: still armed
      EXPECT_EQ(Core::del(b, &q.timer), 1);
    }
  };
  tick(b);
  EXPECT_EQ(p.count, 1);
  EXPECT_EQ(q.count, 0);
  EXPECT_EQ(b.armed, 0u);
}

TEST_F(TimerCoreTest, ModOfADueTimerMovesItOutOfTheBatch) {
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 1);
  Core::mod(b, &q.timer, 1);
  p.then = [&](Probe*) { EXPECT_EQ(Core::mod(b, &q.timer, 5), 1); };
  tick(b);
  EXPECT_EQ(q.count, 0);
  tick(b, 4);
  EXPECT_EQ(q.count, 1);
  EXPECT_EQ(q.at, 5u);
}

TEST_F(TimerCoreTest, DelSyncFromItsOwnFunctionIsADeadlockReport) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  p.then = [this](Probe* self) {
    Core::mod(b, &self->timer, Env::jiffies + 1);
    EXPECT_EQ(Core::del_sync(b, &self->timer, false), 0);
  };
  Core::mod(b, &p.timer, 1);
  tick(b);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::OwnFunction);
  EXPECT_EQ(Env::faults[0].function, reinterpret_cast<std::uintptr_t>(&probe_fn));
  EXPECT_TRUE(Core::pending(&p.timer));  // refused: nothing changed
  char msg[256];
  quartz::format_timer_fault(Env::faults[0], "probe_fn", msg, sizeof msg);
  EXPECT_NE(std::string(msg).find("del_timer_sync called from its own timer function probe_fn"),
            std::string::npos)
      << msg;
}

TEST_F(TimerCoreTest, DelSyncFromInterruptContextIsRefused) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 10);
  Env::irq = true;
  EXPECT_EQ(Core::del_sync(b, &p.timer, false), 0);
  Env::irq = false;
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::SyncInInterrupt);
  EXPECT_TRUE(Core::pending(&p.timer));
  EXPECT_EQ(Core::del_sync(b, &p.timer, false), 1);
}

TEST_F(TimerCoreTest, DelSyncWaitsForAFunctionRunningElsewhereAndDisarmsItsReArm) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  int waits = 0;
  // While p's function runs in the bottom half, another thread (context 50) calls
  // del_timer_sync: it must wait; the function then re-arms and returns.
  p.then = [&](Probe* self) {
    const auto saved_ctx = Env::ctx;
    const bool saved_irq = Env::irq;
    Env::ctx = 50;
    Env::irq = false;
    Env::on_wait = [&](const timer_list* t) {
      EXPECT_EQ(t, &self->timer);
      ++waits;
      // "The function finishes": it re-arms itself and returns (simulated here).
      Core::mod(b, &self->timer, Env::jiffies + 1);
      __atomic_store_n(&b.running, nullptr, __ATOMIC_RELAXED);
    };
    EXPECT_EQ(Core::del_sync(b, &self->timer, false), 1);
    EXPECT_FALSE(Core::pending(&self->timer));
    Env::ctx = saved_ctx;
    Env::irq = saved_irq;
  };
  Core::mod(b, &p.timer, 1);
  tick(b);
  EXPECT_EQ(waits, 1);
  tick(b, 3);
  EXPECT_EQ(p.count, 1);
  EXPECT_TRUE(Env::faults.empty());
}

TEST_F(TimerCoreTest, ShutdownRefusesLaterArmingSaysSoOnceAndSetupRevives) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 5);
  EXPECT_EQ(Core::del_sync(b, &p.timer, true), 1);
  EXPECT_EQ(Core::mod(b, &p.timer, 2), 0);
  p.timer.expires = 3;
  EXPECT_EQ(Core::add(b, &p.timer), 0);
  EXPECT_FALSE(Core::pending(&p.timer));
  ASSERT_EQ(Env::faults.size(), 1u);  // once
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::Shutdown);
  tick(b, 6);
  EXPECT_EQ(p.count, 0);
  Core::setup(b, &p.timer, probe_fn, 0);
  EXPECT_EQ(Core::mod(b, &p.timer, Env::jiffies + 1), 0);
  tick(b);
  EXPECT_EQ(p.count, 1);
}

TEST_F(TimerCoreTest, ShutdownOfANeverArmedStaticTimerRefusesArmingCleanly) {
  Probe p;  // all-zero: DEFINE_TIMER, never armed
  p.timer.function = probe_fn;
  EXPECT_EQ(Core::del_sync(b, &p.timer, true), 0);
  EXPECT_EQ(Core::mod(b, &p.timer, 3), 0);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::Shutdown);
  EXPECT_FALSE(Core::pending(&p.timer));
}

TEST_F(TimerCoreTest, ShutdownStopsAFunctionThatReArmsItselfWhileWaited) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  p.then = [&](Probe* self) {
    const auto saved = Env::ctx;
    const bool saved_irq = Env::irq;
    Env::ctx = 77;
    Env::irq = false;
    Env::on_wait = [&](const timer_list*) {
      Core::mod(b, &self->timer, Env::jiffies + 1);  // refused: shut down
      __atomic_store_n(&b.running, nullptr, __ATOMIC_RELAXED);
    };
    EXPECT_EQ(Core::del_sync(b, &self->timer, true), 0);
    Env::ctx = saved;
    Env::irq = saved_irq;
  };
  Core::mod(b, &p.timer, 1);
  tick(b, 5);
  EXPECT_EQ(p.count, 1);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::Shutdown);
}

TEST_F(TimerCoreTest, FreeOfAnArmedTimerIsReportedAndDisarmed) {
  alignas(8) unsigned char mem[sizeof(ProbeBase)];
  auto* p = new (mem) ProbeBase;  // its function never runs here
  Core::setup(b, &p->timer, probe_fn, 0);
  Core::mod(b, &p->timer, 3);
  Core::poison(b, &p->timer);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::FreeActive);
  EXPECT_EQ(Env::faults[0].function, reinterpret_cast<std::uintptr_t>(&probe_fn));
  char msg[256];
  quartz::format_timer_fault(Env::faults[0], "probe_fn", msg, sizeof msg);
  EXPECT_NE(std::string(msg).find("free of an active timer"), std::string::npos) << msg;
  EXPECT_NE(std::string(msg).find("probe_fn"), std::string::npos) << msg;
  EXPECT_EQ(b.armed, 0u);
  EXPECT_EQ(b.head, nullptr);
  EXPECT_EQ(p->timer.tl_magic, TIMER_MAGIC_FREED);
  // Memory scribbled with the slab poison, then used: refused as use after free.
  std::memset(mem, 0x6b, sizeof mem);
  EXPECT_EQ(Core::add(b, &p->timer), 0);
  EXPECT_EQ(Env::faults.back().kind, TimerFaultKind::UseAfterFree);
  tick(b, 5);
  EXPECT_EQ(b.armed, 0u);
}

TEST_F(TimerCoreTest, UninitialisedOrCorruptTimersAreRefused) {
  timer_list t;
  std::memset(static_cast<void*>(&t), 0x5a, sizeof t);  // stack garbage
  EXPECT_EQ(Core::mod(b, &t, 3), 0);
  EXPECT_EQ(Core::del(b, &t), 0);
  ASSERT_EQ(Env::faults.size(), 2u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::BadMagic);
  EXPECT_EQ(b.armed, 0u);
  // Pending bit without the armed debug state.
  timer_list u{};
  u.tl_state = TIMER_STATE_PENDING;
  EXPECT_EQ(Core::del(b, &u), 0);
  EXPECT_EQ(Env::faults.back().kind, TimerFaultKind::BadState);
  // Armed state with links that do not agree with the list.
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 4);
  timer_list fake = p.timer;  // a copy of an armed timer is not on the list
  EXPECT_EQ(Core::del(b, &fake), 0);
  EXPECT_EQ(Env::faults.back().kind, TimerFaultKind::BadLink);
  EXPECT_EQ(b.armed, 1u);
  EXPECT_EQ(Core::del(b, nullptr), 0);
  EXPECT_EQ(Env::faults.back().kind, TimerFaultKind::NullPointer);
  char msg[256];
  quartz::format_timer_fault(Env::faults[0], "f", msg, sizeof msg);
  EXPECT_NE(std::string(msg).find("uninitialised or corrupted"), std::string::npos) << msg;
}

TEST_F(TimerCoreTest, SetupOfAnArmedTimerIsReportedAndDisarmedFirst) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 4);
  Core::setup(b, &p.timer, probe_fn, 0);
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::SetupPending);
  EXPECT_EQ(b.armed, 0u);
  EXPECT_FALSE(Core::pending(&p.timer));
  // Setup of garbage (kmalloc'd memory) is just initialisation.
  timer_list t;
  std::memset(static_cast<void*>(&t), 0xa5, sizeof t);
  Core::setup(b, &t, probe_fn, 0);
  EXPECT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(t.tl_magic, TIMER_MAGIC_IDLE);
}

TEST_F(TimerCoreTest, CorruptTimerInTheDueBatchIsDroppedAloneTheRestRuns) {
  Probe p[4];
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) {
    Core::setup(b, &p[i].timer, probe_fn, 0);
    p[i].then = [&order, i](Probe*) { order.push_back(i); };
    Core::mod(b, &p[i].timer, 1);
  }
  // p[0]'s function overwrites p[1] (a stray memset) while it waits in the batch.
  p[0].then = [&](Probe*) {
    order.push_back(0);
    p[1].timer.tl_magic = 0;
    p[1].timer.tl_next = reinterpret_cast<timer_list*>(0x10);
  };
  tick(b);
  EXPECT_EQ(order, (std::vector<int>{0, 2, 3}));
  ASSERT_EQ(Env::faults.size(), 1u);
  EXPECT_EQ(Env::faults[0].kind, TimerFaultKind::CorruptInRun);
  EXPECT_EQ(Env::faults[0].timer, &p[1].timer);
  EXPECT_EQ(b.armed, 0u);
}

TEST_F(TimerCoreTest, FindInRangeNamesArmedTimersFunctionsAndTheRunningOne) {
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 5);
  Core::mod(b, &q.timer, 6);
  const auto lo = reinterpret_cast<std::uintptr_t>(&p);
  std::vector<quartz::TimerRangeHit> hits;
  auto collect = [](void* ctx, const quartz::TimerRangeHit& h) {
    static_cast<std::vector<quartz::TimerRangeHit>*>(ctx)->push_back(h);
  };
  EXPECT_EQ(Core::find_in_range(b, lo, lo + sizeof p, collect, &hits), 1u);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].timer, &p.timer);
  EXPECT_EQ(hits[0].what, unsigned(quartz::kTimerHitTimer));
  EXPECT_EQ(hits[0].expires, 5u);
  const auto f = reinterpret_cast<std::uintptr_t>(&probe_fn);
  hits.clear();
  EXPECT_EQ(Core::find_in_range(b, f, f + 1, collect, &hits), 2u);
  EXPECT_EQ(hits[0].what, unsigned(quartz::kTimerHitFunction));
  // While its function runs (and has not re-armed), the running one is found.
  Core::del(b, &q.timer);
  std::size_t running_hits = 0;
  p.then = [&](Probe*) {
    hits.clear();
    running_hits = Core::find_in_range(b, f, f + 1, collect, &hits);
    EXPECT_EQ(Core::current_function(b), &probe_fn);
  };
  tick(b, 5);
  EXPECT_EQ(running_hits, 1u);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].what, unsigned(quartz::kTimerHitRunning));
  EXPECT_EQ(Core::current_function(b), nullptr);
}

TEST_F(TimerCoreTest, CurrentFunctionIsOnlyTheCallersContexts) {
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  quartz::TimerFn seen_here = nullptr, seen_elsewhere = nullptr;
  p.then = [&](Probe*) {
    seen_here = Core::current_function(b);
    const auto c = Env::ctx;
    Env::ctx = 999;
    seen_elsewhere = Core::current_function(b);
    Env::ctx = c;
  };
  Core::mod(b, &p.timer, 1);
  tick(b);
  EXPECT_EQ(seen_here, &probe_fn);
  EXPECT_EQ(seen_elsewhere, nullptr);
}

TEST_F(TimerCoreTest, DisarmInRangeTakesAModulesTimersQuietly) {
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 5);
  Core::mod(b, &q.timer, 6);
  const auto lo = reinterpret_cast<std::uintptr_t>(&q);
  EXPECT_EQ(Core::disarm_in_range(b, lo, lo + sizeof q), 1u);
  EXPECT_FALSE(Core::pending(&q.timer));
  EXPECT_TRUE(Core::pending(&p.timer));
  const auto f = reinterpret_cast<std::uintptr_t>(&probe_fn);
  EXPECT_EQ(Core::disarm_in_range(b, f, f + 1), 1u);
  EXPECT_EQ(b.armed, 0u);
  EXPECT_TRUE(Env::faults.empty());
}

TEST_F(TimerCoreTest, SnapshotListsTheBatchFirstThenByExpiryAndFormats) {
  Probe p, q;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::setup(b, &q.timer, probe_fn, 0);
  Core::mod(b, &q.timer, 9);
  Core::mod(b, &p.timer, 4);
  quartz::TimerInfo info[4];
  quartz::TimerStats s;
  EXPECT_EQ(Core::snapshot(b, info, 4, &s), 2u);
  EXPECT_EQ(info[0].timer, &p.timer);
  EXPECT_EQ(info[1].expires, 9u);
  EXPECT_EQ(s.armed, 2u);
  char line[192];
  quartz::timer_detail::format_timer_line(info[0], 1, "probe_fn", line, sizeof line);
  EXPECT_NE(std::string(line).find("expires 4 (+3) probe_fn"), std::string::npos) << line;
  quartz::timer_detail::format_stats_line(s, 1, line, sizeof line);
  EXPECT_NE(std::string(line).find("timers: 2 armed"), std::string::npos) << line;
}

TEST_F(TimerCoreTest, EveryLockedHelperRunsUnderTheGuard) {
  const long before = Env::asserts;
  Probe p;
  Core::setup(b, &p.timer, probe_fn, 0);
  Core::mod(b, &p.timer, 1);
  Core::del(b, &p.timer);
  Core::mod(b, &p.timer, 1);
  tick(b);
  Core::del_sync(b, &p.timer, false);
  Core::poison(b, &p.timer);
  EXPECT_GT(Env::asserts, before + 5);
}

// ---- the model test ------------------------------------------------------------------
// 8 timers, random operations from the top level (thread context), from timer functions
// and from simulated interrupts at every step of a run (a nested tick included), with
// jiffies starting just before the wrap. The reference: per timer, armed or not, its
// expiry and its arming order; a run fires the due ones by (expiry, arming order).

constexpr int kTimers = 8;

struct Model {
  std::mt19937 rng;
  TimerBase b;
  Probe p[kTimers];
  bool armed[kTimers] = {};
  unsigned long exp[kTimers] = {};
  unsigned long seq[kTimers] = {};
  bool in_batch[kTimers] = {};
  std::vector<int> batch;  // model's due batch, in run order
  unsigned long next_seq = 0, fired[kTimers] = {}, delayed = 0;
  bool running_any = false;
  int running = -1;
  unsigned long run_now = 0;
  int depth = 0;
  int claimed = -1;

  explicit Model(unsigned seed) : rng(seed) {
    Env::jiffies = ~0ul - 500;
    for (int i = 0; i < kTimers; ++i) {
      Core::setup(b, &p[i].timer, probe_fn, 0);
      p[i].then = [this, i](Probe*) { on_fire(i); };
    }
  }
  int rnd(int n) { return int(rng() % unsigned(n)); }

  void model_arm(int i, unsigned long e) {
    model_disarm(i);
    armed[i] = true;
    exp[i] = e;
    seq[i] = next_seq++;
  }
  void model_disarm(int i) {
    armed[i] = false;
    if (in_batch[i]) {
      in_batch[i] = false;
      batch.erase(std::find(batch.begin(), batch.end(), i));
    }
  }
  // The core's take: due ones not in the batch, by (expiry, arming order).
  void model_take(unsigned long now) {
    std::vector<int> due;
    for (int i = 0; i < kTimers; ++i)
      if (armed[i] && !in_batch[i] && long(now - exp[i]) >= 0) due.push_back(i);
    std::sort(due.begin(), due.end(), [&](int x, int y) {
      if (exp[x] != exp[y]) return long(exp[x] - exp[y]) < 0;
      return seq[x] < seq[y];
    });
    for (int i : due) {
      in_batch[i] = true;
      batch.push_back(i);
    }
  }

  // A random operation on a random timer, as any context may do.
  void random_op(bool thread_ctx) {
    const int i = rnd(kTimers);
    const int op = rnd(thread_ctx ? 6 : 4);
    const bool runs_now = running == i;
    if (op == 0) {  // mod_timer
      const unsigned long e = Env::jiffies + unsigned(rnd(6)) - 1;
      const int was = armed[i];
      EXPECT_EQ(Core::mod(b, &p[i].timer, e), was);
      model_arm(i, e);
    } else if (op == 1) {  // add_timer, only when not armed (else a report)
      // Writing ->expires of an armed timer is the owner's bug: only when idle.
      const unsigned long e = armed[i] ? exp[i] : Env::jiffies + unsigned(rnd(4));
      p[i].timer.expires = e;
      const std::size_t faults = Env::faults.size();
      const int r = Core::add(b, &p[i].timer);
      if (armed[i]) {
        EXPECT_EQ(r, 0);
        ASSERT_EQ(Env::faults.size(), faults + 1);
        EXPECT_EQ(Env::faults.back().kind, TimerFaultKind::AddPending);
        Env::faults.pop_back();
      } else {
        EXPECT_EQ(r, 1);
        model_arm(i, e);
      }
    } else if (op == 2 || op == 3) {  // del_timer
      EXPECT_EQ(Core::del(b, &p[i].timer), int(armed[i]));
      model_disarm(i);
    } else if (op == 4 && !runs_now) {  // del_timer_sync from a thread, not running
      EXPECT_EQ(Core::del_sync(b, &p[i].timer, false), int(armed[i]));
      model_disarm(i);
    } else if (op == 5) {  // timer_pending
      EXPECT_EQ(Core::pending(&p[i].timer), armed[i]);
    }
  }

  // The core claimed a timer: it must be the head of the model's batch, due.
  void on_claim(const timer_list* t) {
    int i = 0;
    while (i < kTimers && &p[i].timer != t) ++i;
    ASSERT_LT(i, kTimers);
    ASSERT_FALSE(batch.empty()) << "timer " << i << " claimed, none due";
    EXPECT_EQ(batch.front(), i);
    EXPECT_TRUE(long(Env::jiffies - exp[i]) >= 0) << "fired early";
    batch.erase(batch.begin());
    in_batch[i] = false;
    armed[i] = false;
    ++fired[i];
    claimed = i;
  }

  void on_fire(int i) {
    EXPECT_EQ(claimed, i);
    const int saved = running;
    running = i;
    // del_timer_sync from a function is refused (interrupt context), nothing changed.
    if (rnd(20) == 0) {
      const int j = rnd(kTimers);
      EXPECT_EQ(Core::del_sync(b, &p[j].timer, false), 0);
      ASSERT_FALSE(Env::faults.empty());
      EXPECT_TRUE(Env::faults.back().kind == TimerFaultKind::SyncInInterrupt ||
                  Env::faults.back().kind == TimerFaultKind::OwnFunction);
      Env::faults.pop_back();
    }
    const int n = rnd(3);
    for (int k = 0; k < n; ++k) {
      if (rnd(2) == 0) {  // re-arm itself (the classic periodic timer)
        const unsigned long e = Env::jiffies + unsigned(rnd(3));
        EXPECT_EQ(Core::mod(b, &p[i].timer, e), int(armed[i]));
        model_arm(i, e);
      } else {
        random_op(false);
      }
    }
    running = saved;
  }

  // A simulated interrupt at a step of a run: random operations, or a nested tick.
  void on_step(TimerStep s, const timer_list* t) {
    if (s == TimerStep::AfterTakeover) model_take(run_now);
    if (s == TimerStep::AfterClaim) on_claim(t);
    if (depth > 1 || rnd(4) != 0) return;
    ++depth;
    if (rnd(3) == 0) {
      ++Env::jiffies;  // a nested tick: refused during the run, a run of its own after
      const unsigned long d = b.delayed;
      const bool refused = b.in_run;  // after the outer run's end it runs for itself
      run(b);
      if (refused) {
        EXPECT_EQ(b.delayed, d + 1);  // (a run of its own may nest in turn)
      }
      EXPECT_TRUE(refused || s == TimerStep::AfterRun);
    } else {
      random_op(false);
    }
    --depth;
  }

  void do_tick() {
    ++Env::jiffies;
    if (long(Env::jiffies - b.next) >= 0) {
      // The core takes again while jiffies moved on during the batch: mirror its loop.
      run_now = Env::jiffies;
      Env::on_step = [this](TimerStep s, const timer_list* t) {
        if (s == TimerStep::AfterTakeover) {
          // A second take: jiffies moved on (a nested tick).
          run_now = Env::jiffies;
        }
        on_step(s, t);
      };
      run(b);
      Env::on_step = nullptr;
    }
    EXPECT_TRUE(batch.empty());
  }

  void check() {
    unsigned long n = 0;
    bool have_next = false;
    unsigned long next = 0;
    for (int i = 0; i < kTimers; ++i) {
      ASSERT_EQ(Core::pending(&p[i].timer), armed[i]) << "timer " << i;
      EXPECT_EQ(p[i].count, long(fired[i])) << "timer " << i;
      if (armed[i]) {
        ++n;
        EXPECT_EQ(p[i].timer.expires, exp[i]);
        if (!have_next || long(exp[i] - next) < 0) next = exp[i];
        have_next = true;
      }
    }
    EXPECT_EQ(b.armed, n);
    if (have_next) {
      EXPECT_EQ(b.next, next);
    } else {
      EXPECT_GT(long(b.next - Env::jiffies), 0);  // none armed: somewhere ahead
    }
    // The list is sorted by (expiry, arming order).
    for (timer_list* t = b.head; t && t->tl_next; t = t->tl_next) {
      ASSERT_FALSE(long(t->tl_next->expires - t->expires) < 0);
      ASSERT_EQ(t->tl_next->tl_prev, t);
    }
    EXPECT_EQ(b.batch, nullptr);
    EXPECT_TRUE(Env::faults.empty());
  }
};

class TimerModelTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override { Env::reset(); }
};

TEST_P(TimerModelTest, RandomOperationsMatchTheModel) {
  Model m(GetParam());
  for (int step = 0; step < 20000; ++step) {
    if (m.rnd(3) == 0)
      m.do_tick();
    else
      m.random_op(true);
    m.check();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << GetParam() << " step " << step;
      return;
    }
  }
  unsigned long total = 0;
  for (unsigned long f : m.fired) total += f;
  EXPECT_GT(total, 1000u);
  EXPECT_GT(m.b.delayed, 10u);
  EXPECT_EQ(Env::depth, 0);
}

INSTANTIATE_TEST_SUITE_P(Seeds, TimerModelTest, ::testing::Values(1u, 2u, 3u, 42u, 1234u));

}  // namespace
