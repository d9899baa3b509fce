// Host tests of the mutex (kernel/lib/mutex_core.h, quartz/mutex.h) on the scheduler core
// with a fake CPU, as in sched_core_test.cpp: a guard that counts its depth (and fails
// the test if a locked helper runs without it) and a context switch that records and
// returns, after which the test continues "as" the thread switched to. Contended cases
// are played one lock step per thread (mutex_lock_step), the way the threads would
// interleave; one case runs the whole mutex_lock_on across a real (nested) switch.
#include "kernel/lib/mutex_core.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <utility>
#include <vector>

namespace {

using quartz::MutexResult;
using quartz::SchedThread;
using quartz::ThreadState;

struct Env {
  static inline int depth = 0;
  static inline std::vector<std::pair<SchedThread*, SchedThread*>> switches;
  static inline std::function<void(SchedThread*, SchedThread*)> on_switch;  // one-shot
  static void reset() {
    depth = 0;
    switches.clear();
    on_switch = nullptr;
  }
};

class FakeGuard {
 public:
  FakeGuard() { ++Env::depth; }
  ~FakeGuard() { --Env::depth; }
  FakeGuard(const FakeGuard&) = delete;
  FakeGuard& operator=(const FakeGuard&) = delete;
};

struct FakeHooks : quartz::SchedHooksBase {
  static void switch_to(SchedThread* from, SchedThread* to) {
    Env::switches.emplace_back(from, to);
    EXPECT_EQ(Env::depth, 1) << "switch_to without exactly one guard";
    if (Env::on_switch) {
      auto f = std::move(Env::on_switch);
      Env::on_switch = nullptr;
      const int held = Env::depth;
      Env::depth = 0;
      f(from, to);
      Env::depth = held;
    }
  }
  static void assert_guard_held(const char* where) {
    if (Env::depth == 0) ADD_FAILURE() << where << " ran without the guard";
  }
};

using Core = quartz::SchedCore<FakeGuard, FakeHooks>;

std::vector<SchedThread*> waiters(mutex* m) {
  std::vector<SchedThread*> out;
  if (!m->wait.sleepers.next) return out;
  for (wq_link* l = m->wait.sleepers.next; l != &m->wait.sleepers; l = l->next)
    out.push_back(quartz::sched_detail::thread_of(l));
  return out;
}

class MutexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Env::reset();
    core.init(&idle);
    for (SchedThread* t : {&a, &b, &c}) core.start(t);
    core.schedule();  // a runs
  }
  void TearDown() override {
    EXPECT_EQ(Env::depth, 0) << "a guard was left held";
    Env::reset();
  }
  SchedThread* owner() const { return static_cast<SchedThread*>(m.owner); }
  // The current thread takes one lock step; if it has to wait it sleeps (schedule()).
  bool step() {
    if (quartz::mutex_lock_step(core, &m)) return true;
    core.schedule();
    return false;
  }
  // The current thread, woken with the mutex handed over, finishes its lock.
  void finish_lock() {
    ASSERT_TRUE(quartz::mutex_lock_step(core, &m));
    core.finish_wait(&m.wait);
  }

  SchedThread idle, a, b, c;
  DEFINE_MUTEX(m);
  Core core;  // after the threads: destroyed first
};

TEST_F(MutexTest, DefineMutexIsAnUnlockedNamedMutex) {
  EXPECT_STREQ(m.wait.name, "m");
  EXPECT_EQ(m.owner, nullptr);
  EXPECT_FALSE(quartz::mutex_is_locked_now(&m));
  EXPECT_TRUE(waiters(&m).empty());
}

TEST_F(MutexTest, UncontendedLockAndUnlockNeverSwitch) {
  const size_t before = Env::switches.size();
  EXPECT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), &a);
  EXPECT_EQ(a.mutexes_held, 1u);
  EXPECT_TRUE(quartz::mutex_is_locked_now(&m));
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), nullptr);
  EXPECT_EQ(a.mutexes_held, 0u);
  EXPECT_EQ(Env::switches.size(), before);
}

TEST_F(MutexTest, AZeroFilledMutexIsUnlocked) {
  mutex z;
  std::memset(&z, 0, sizeof z);
  EXPECT_FALSE(quartz::mutex_is_locked_now(&z));
  EXPECT_EQ(quartz::mutex_lock_on(core, &z), MutexResult::Ok);
  EXPECT_EQ(z.owner, &a);
  EXPECT_EQ(quartz::mutex_unlock_on(core, &z), MutexResult::Ok);
  EXPECT_EQ(z.owner, nullptr);
}

TEST_F(MutexTest, TrylockTakesOnlyAFreeMutex) {
  EXPECT_TRUE(quartz::mutex_trylock_on(core, &m));
  EXPECT_EQ(owner(), &a);
  EXPECT_FALSE(quartz::mutex_trylock_on(core, &m));  // held by the caller: 0, like Linux
  core.schedule();                                   // b runs
  EXPECT_FALSE(quartz::mutex_trylock_on(core, &m));
  EXPECT_EQ(owner(), &a);
  EXPECT_TRUE(waiters(&m).empty());  // trylock never queues
  EXPECT_EQ(b.state, ThreadState::Running);
}

TEST_F(MutexTest, LockingAMutexYouHoldIsADeadlockAndChangesNothing) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);
  const size_t before = Env::switches.size();
  EXPECT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Deadlock);
  EXPECT_EQ(owner(), &a);
  EXPECT_EQ(a.mutexes_held, 1u);
  EXPECT_EQ(a.state, ThreadState::Running);
  EXPECT_TRUE(waiters(&m).empty());
  EXPECT_EQ(Env::switches.size(), before);  // it did not go to sleep forever
}

TEST_F(MutexTest, UnlockOfAFreeMutexIsReportedAndChangesNothing) {
  SchedThread* holder = &c;
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m, &holder), MutexResult::NotLocked);
  EXPECT_EQ(holder, nullptr);
  EXPECT_EQ(owner(), nullptr);
  EXPECT_EQ(a.mutexes_held, 0u);
}

TEST_F(MutexTest, UnlockByANonHolderIsReportedAndChangesNothing) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);  // a holds
  core.schedule();                                              // b runs
  EXPECT_FALSE(step());                                         // b waits; c runs
  ASSERT_EQ(core.current(), &c);
  SchedThread* holder = nullptr;
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m, &holder), MutexResult::NotOwner);
  EXPECT_EQ(holder, &a);
  EXPECT_EQ(owner(), &a);
  EXPECT_EQ(a.mutexes_held, 1u);
  EXPECT_EQ(c.mutexes_held, 0u);
  EXPECT_EQ(waiters(&m), std::vector<SchedThread*>{&b});  // b still waits
  EXPECT_EQ(b.state, ThreadState::Blocked);
}

// A waiter sleeps on the mutex's wait queue (that is what ps shows) and is handed the
// mutex by unlock: it owns it before it runs again.
TEST_F(MutexTest, AWaiterSleepsOnTheMutexAndIsHandedIt) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);  // a holds
  core.schedule();                                              // b runs
  EXPECT_FALSE(step());                                         // b sleeps; c runs
  EXPECT_EQ(b.state, ThreadState::Blocked);
  EXPECT_EQ(b.waiting_on, &m.wait);
  EXPECT_STREQ(b.waiting_on->name, "m");
  EXPECT_FALSE(b.timer_node.is_linked());  // no timeout: it waits as long as it takes
  core.schedule();                         // c yields; a runs
  ASSERT_EQ(core.current(), &a);
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), &b);  // handed over, not merely woken
  EXPECT_EQ(b.mutexes_held, 1u);
  EXPECT_EQ(a.mutexes_held, 0u);
  EXPECT_EQ(b.state, ThreadState::Runnable);
  EXPECT_TRUE(core.need_resched());
  // a at once wants it back: it must wait behind b, not take it again.
  EXPECT_FALSE(quartz::mutex_lock_step(core, &m));
  EXPECT_EQ(a.state, ThreadState::Blocked);
  core.schedule();  // c, then b: the run queue's order
  while (core.current() != &b) core.schedule();
  finish_lock();
  EXPECT_EQ(b.state, ThreadState::Running);
  EXPECT_EQ(b.waiting_on, nullptr);
  EXPECT_EQ(waiters(&m), std::vector<SchedThread*>{&a});
}

TEST_F(MutexTest, WaitersGetTheMutexInTheOrderTheyCame) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);  // a holds
  core.schedule();                                              // b
  EXPECT_FALSE(step());                                         // b waits; c
  EXPECT_FALSE(step());                                         // c waits; a
  ASSERT_EQ(core.current(), &a);
  EXPECT_EQ(waiters(&m), (std::vector<SchedThread*>{&b, &c}));
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), &b);
  EXPECT_EQ(c.state, ThreadState::Blocked);
  EXPECT_EQ(waiters(&m), std::vector<SchedThread*>{&c});
  core.schedule();  // b
  ASSERT_EQ(core.current(), &b);
  finish_lock();
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), &c);
  core.schedule();
  while (core.current() != &c) core.schedule();
  finish_lock();
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), nullptr);
  EXPECT_TRUE(waiters(&m).empty());
  for (SchedThread* t : {&a, &b, &c}) EXPECT_EQ(t->mutexes_held, 0u);
}

// A wake_up that is not the hand-over (nobody should send one, but wait queues allow
// it) does not let a waiter in: it queues again and sleeps.
TEST_F(MutexTest, ASpuriousWakeDoesNotLetAWaiterIn) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);  // a holds
  core.schedule();                                              // b
  EXPECT_FALSE(step());                                         // b waits; c
  EXPECT_EQ(core.wake_up(&m.wait), 1);                          // c pokes the queue
  while (core.current() != &b) core.schedule();
  EXPECT_FALSE(step());  // still held by a: b sleeps again
  EXPECT_EQ(owner(), &a);
  EXPECT_EQ(b.state, ThreadState::Blocked);
  EXPECT_EQ(waiters(&m), std::vector<SchedThread*>{&b});
}

// A waiter preempted after it saw the mutex taken but before it queued (threads are
// preemptible): the holder unlocks meanwhile with nobody queued, so the mutex is free
// when the waiter goes on; its step takes it instead of sleeping forever.
TEST_F(MutexTest, AnUnlockBeforeTheWaiterQueuesIsNotLost) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);  // a holds
  core.schedule();                                              // b runs, sees it taken...
  ASSERT_EQ(core.current(), &b);
  core.schedule();  // ... and is preempted: c, then a
  while (core.current() != &a) core.schedule();
  EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
  EXPECT_EQ(owner(), nullptr);  // nobody queued: simply free
  while (core.current() != &b) core.schedule();
  EXPECT_TRUE(quartz::mutex_lock_step(core, &m));
  EXPECT_EQ(owner(), &b);
}

// The whole mutex_lock_on across a real switch: b sleeps inside it; "as" a, the holder
// unlocks and switches back; b's mutex_lock_on returns holding the mutex.
TEST_F(MutexTest, MutexLockOnSleepsUntilHandedTheMutex) {
  ASSERT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);  // a holds
  core.schedule();                                              // b
  core.schedule();                                              // c
  core.schedule();                                              // a
  core.schedule();                                              // b again; queue: c, a
  ASSERT_EQ(core.current(), &b);
  bool ran = false;
  Env::on_switch = [&](SchedThread* from, SchedThread*) {
    EXPECT_EQ(from, &b);
    EXPECT_EQ(b.state, ThreadState::Blocked);
    EXPECT_EQ(b.waiting_on, &m.wait);
    while (core.current() != &a) core.schedule();  // c yields to a
    EXPECT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
    ran = true;
    while (core.current() != &b) core.schedule();  // back to b
  };
  EXPECT_EQ(quartz::mutex_lock_on(core, &m), MutexResult::Ok);
  EXPECT_TRUE(ran);
  EXPECT_EQ(core.current(), &b);
  EXPECT_EQ(owner(), &b);
  EXPECT_EQ(b.waiting_on, nullptr);
  EXPECT_EQ(b.state, ThreadState::Running);
  EXPECT_TRUE(waiters(&m).empty());
}

// Random interleavings of three threads that lock, hold across yields and unlock, played
// step by step: never two holders, every waiter asleep on the mutex, the queue in
// arrival order, hand-overs in that order, and every thread gets its turns.
TEST_F(MutexTest, RandomInterleavingsKeepMutualExclusionAndOrder) {
  enum class Want { Idle, Waiting, Holding };
  std::mt19937 rng(12345);
  SchedThread* ts[] = {&a, &b, &c};
  auto index = [&](SchedThread* t) { return t == &a ? 0 : t == &b ? 1 : 2; };
  Want want[3] = {Want::Idle, Want::Idle, Want::Idle};
  std::vector<SchedThread*> arrival;  // our model of the queue
  int held[3] = {0, 0, 0};
  for (int round = 0; round < 20000; ++round) {
    SchedThread* self = core.current();
    ASSERT_NE(self, &idle) << "everybody asleep: a lost hand-over";
    const int i = index(self);
    const unsigned r = rng() % 4;
    if (want[i] == Want::Waiting) {  // woken: the mutex must be ours
      ASSERT_EQ(owner(), self) << "woken without the mutex";
      ASSERT_FALSE(arrival.empty());
      ASSERT_EQ(arrival.front(), self) << "handed out of arrival order";
      arrival.erase(arrival.begin());
      finish_lock();
      want[i] = Want::Holding;
      ++held[i];
    } else if (want[i] == Want::Idle && r == 0) {
      if (step()) {
        want[i] = Want::Holding;
        ++held[i];
      } else {
        want[i] = Want::Waiting;
        arrival.push_back(self);
      }
    } else if (want[i] == Want::Holding && r == 0) {
      ASSERT_EQ(quartz::mutex_unlock_on(core, &m), MutexResult::Ok);
      want[i] = Want::Idle;
    } else {
      core.schedule();  // a yield, or the tick's preemption
    }
    // The invariants, whoever runs now.
    int holders = 0;
    for (int k = 0; k < 3; ++k) {
      if (want[k] == Want::Holding) {
        ++holders;
        ASSERT_EQ(owner(), ts[k]);
      }
      if (want[k] == Want::Waiting && owner() != ts[k]) {
        ASSERT_EQ(ts[k]->state, ThreadState::Blocked);
        ASSERT_EQ(ts[k]->waiting_on, &m.wait);
      }
    }
    ASSERT_LE(holders, 1);
    std::vector<SchedThread*> still_queued;
    for (SchedThread* t : arrival)
      if (owner() != t) still_queued.push_back(t);
    ASSERT_EQ(waiters(&m), still_queued);
    if (!owner()) {
      ASSERT_TRUE(arrival.empty()) << "free while threads wait";
    }
  }
  for (int k = 0; k < 3; ++k) EXPECT_GT(held[k], 100) << "thread " << k << " starved";
}

}  // namespace
