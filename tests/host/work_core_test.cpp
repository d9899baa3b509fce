// Host tests of kernel/lib/work_core: every workqueue contract one by one, the
// debug-objects checks, and a model test (random queue/cancel/flush/run/fire steps,
// with simulated interrupts queueing between any two steps) against a reference model.
#include "kernel/lib/work_core.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace quartz::wq;

constexpr std::uintptr_t kThread = 1;     // a plain thread's context
constexpr std::uintptr_t kWorker0 = 100;  // queue 0's worker
constexpr std::uintptr_t kWorker1 = 101;

void fn_a(work_struct*) {}
void fn_b(work_struct*) {}

struct Fixture : ::testing::Test {
  Registry reg;
  workqueue_struct q0{}, q1{};
  work_struct a{}, b{}, c{};
  Fault f{};
  void SetUp() override {
    init_queue(reg, &q0, "q0", 0, 1, 0x5000);
    init_queue(reg, &q1, "q1", WQ_UNBOUND, 1, 0x6000);
    set_worker(&q0, kWorker0);
    set_worker(&q1, kWorker1);
    INIT_WORK(&a, fn_a);
    INIT_WORK(&b, fn_b);
    INIT_WORK(&c, fn_a);
  }
  int q(workqueue_struct* wq, work_struct* w, std::uintptr_t ctx = kThread) {
    return queue(reg, wq, w, ctx, &f);
  }
  // Claims the head of wq, which must be w, and returns with it running.
  void start(workqueue_struct* wq, work_struct* w) {
    Claimed cl{};
    ASSERT_EQ(claim(reg, wq, &cl, &f), Claim::Ok);
    ASSERT_EQ(cl.work, w);
  }
  void run(workqueue_struct* wq, work_struct* w) {
    start(wq, w);
    finish(wq);
  }
  std::string text(const Fault& fault, const char* name = "my_func") {
    char buf[256];
    format_fault(fault, name, buf, sizeof buf);
    return buf;
  }
};

using WorkCore = Fixture;

TEST_F(WorkCore, QueueReturnsFalseWhileAlreadyPending) {
  EXPECT_EQ(q(&q0, &a), 1);
  EXPECT_TRUE(work_pending(&a));
  EXPECT_EQ(q(&q0, &a), 0);
  EXPECT_EQ(q(&q1, &a), 0);  // pending anywhere: refused everywhere
  EXPECT_EQ(q0.queued, 1u);
  EXPECT_EQ(q1.queued, 0u);
}

TEST_F(WorkCore, RunsInFifoOrderOncePerQueueing) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(q(&q0, &b), 1);
  ASSERT_EQ(q(&q0, &c), 1);
  run(&q0, &a);
  run(&q0, &b);
  run(&q0, &c);
  Claimed cl{};
  EXPECT_EQ(claim(reg, &q0, &cl, &f), Claim::None);
  EXPECT_EQ(q0.items_run, 3u);
  EXPECT_FALSE(work_pending(&a));
}

TEST_F(WorkCore, RunningItemMayBeQueuedAgainAndRunsAgainAfterItReturns) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  EXPECT_FALSE(work_pending(&a));      // pending cleared at the claim
  EXPECT_EQ(q(&q0, &a, kWorker0), 1);  // from its own function
  EXPECT_TRUE(work_pending(&a));
  finish(&q0);
  run(&q0, &a);
  EXPECT_EQ(q0.items_run, 2u);
}

TEST_F(WorkCore, NeverRunsTwiceAtOnceEvenOnTwoQueues) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  ASSERT_EQ(q(&q1, &a), 1);  // queued elsewhere while it runs
  Claimed cl{};
  EXPECT_EQ(claim(reg, &q1, &cl, &f), Claim::Busy);
  EXPECT_EQ(cl.busy_on, &q0);
  EXPECT_TRUE(work_pending(&a));  // still at q1's head
  finish(&q0);
  run(&q1, &a);
}

TEST_F(WorkCore, CancelTakesPendingOffAndRefusesRequeueUntilItEnds) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(q(&q0, &b), 1);
  const CancelBegin cb = cancel_begin(reg, &a, kThread, "cancel_work_sync", &f);
  EXPECT_FALSE(cb.refused);
  EXPECT_TRUE(cb.was_pending);
  EXPECT_FALSE(work_pending(&a));
  EXPECT_EQ(q(&q0, &a), 0);  // a cancel is in progress
  EXPECT_EQ(running_on(reg, &a), nullptr);
  cancel_end(&a);
  run(&q0, &b);  // a is gone from the list
  EXPECT_EQ(q(&q0, &a), 1);
}

TEST_F(WorkCore, CancelOfARunningSelfRequeuingItemWaitsAndLeavesItIdle) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  const CancelBegin cb = cancel_begin(reg, &a, kThread, "cancel_work_sync", &f);
  EXPECT_FALSE(cb.was_pending);
  EXPECT_EQ(running_on(reg, &a), &q0);  // the caller must wait
  EXPECT_EQ(q(&q0, &a, kWorker0), 0);   // its function requeues it: refused
  finish(&q0);
  EXPECT_EQ(running_on(reg, &a), nullptr);
  cancel_end(&a);
  EXPECT_FALSE(work_pending(&a));
  Claimed cl{};
  EXPECT_EQ(claim(reg, &q0, &cl, &f), Claim::None);
}

TEST_F(WorkCore, CancelFromTheItemsOwnFunctionIsADeadlock) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  const CancelBegin cb = cancel_begin(reg, &a, kWorker0, "cancel_work_sync", &f);
  EXPECT_TRUE(cb.refused);
  EXPECT_EQ(f.kind, FaultKind::CancelSelf);
  const std::string msg = text(f, "sched_work_fn");
  EXPECT_EQ(
      msg.rfind("cancel_work_sync called from the work's own function sched_work_fn (work ", 0), 0u)
      << msg;
  EXPECT_NE(msg.find(" on q0): deadlock"), std::string::npos) << msg;
  // Another item of the same worker may be cancelled: it does not have to wait.
  ASSERT_EQ(q(&q0, &b), 1);
  EXPECT_FALSE(cancel_begin(reg, &b, kWorker0, "cancel_work_sync", &f).refused);
  cancel_end(&b);
}

TEST_F(WorkCore, FlushWorkWaitsForTheLastQueueing) {
  Fault none{};
  EXPECT_EQ(flush_work_target(reg, &a, kThread, &none).wq, nullptr);  // idle: no wait
  ASSERT_EQ(q(&q0, &b), 1);
  ASSERT_EQ(q(&q0, &a), 1);
  FlushTarget t = flush_work_target(reg, &a, kThread, &f);
  ASSERT_EQ(t.wq, &q0);
  EXPECT_FALSE(seq_reached(&q0, t.seq));
  run(&q0, &b);
  EXPECT_FALSE(seq_reached(&q0, t.seq));
  start(&q0, &a);
  EXPECT_FALSE(seq_reached(&q0, t.seq));  // running: not finished yet
  // Running and queued again: flush waits for the requeued instance too.
  ASSERT_EQ(q(&q0, &a, kWorker0), 1);
  const FlushTarget t2 = flush_work_target(reg, &a, kThread, &f);
  finish(&q0);
  EXPECT_TRUE(seq_reached(&q0, t.seq));
  EXPECT_FALSE(seq_reached(&q0, t2.seq));
  run(&q0, &a);
  EXPECT_TRUE(seq_reached(&q0, t2.seq));
}

TEST_F(WorkCore, FlushWorkOfARunningItemWaitsForThatRun) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  const FlushTarget t = flush_work_target(reg, &a, kThread, &f);
  ASSERT_EQ(t.wq, &q0);
  EXPECT_FALSE(seq_reached(&q0, t.seq));
  finish(&q0);
  EXPECT_TRUE(seq_reached(&q0, t.seq));
}

TEST_F(WorkCore, FlushWorkFromTheWorkerThatMustRunItIsADeadlock) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  EXPECT_TRUE(flush_work_target(reg, &a, kWorker0, &f).refused);  // itself
  EXPECT_EQ(f.kind, FaultKind::FlushSelf);
  ASSERT_EQ(q(&q0, &b), 1);
  EXPECT_TRUE(flush_work_target(reg, &b, kWorker0, &f).refused);   // behind it
  EXPECT_FALSE(flush_work_target(reg, &b, kWorker1, &f).refused);  // another worker may
}

TEST_F(WorkCore, FlushWorkqueueWaitsOnlyForWhatWasQueuedBefore) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(q(&q0, &b), 1);
  const FlushTarget t = flush_queue_target(&q0, kThread, "flush_workqueue", &f);
  ASSERT_FALSE(t.refused);
  ASSERT_EQ(q(&q0, &c), 1);  // after the call
  run(&q0, &a);
  EXPECT_FALSE(seq_reached(&q0, t.seq));
  run(&q0, &b);
  EXPECT_TRUE(seq_reached(&q0, t.seq));  // c is still pending
  EXPECT_TRUE(work_pending(&c));
}

TEST_F(WorkCore, FlushWorkqueueIsNotHeldUpByACancelledItem) {
  ASSERT_EQ(q(&q0, &a), 1);
  const FlushTarget t = flush_queue_target(&q0, kThread, "flush_workqueue", &f);
  EXPECT_FALSE(seq_reached(&q0, t.seq));
  cancel_begin(reg, &a, kThread, "cancel_work_sync", &f);
  cancel_end(&a);
  EXPECT_TRUE(seq_reached(&q0, t.seq));
}

TEST_F(WorkCore, FlushOrDestroyOfTheCallersOwnQueueIsADeadlock) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  EXPECT_TRUE(flush_queue_target(&q0, kWorker0, "flush_workqueue", &f).refused);
  EXPECT_EQ(f.kind, FaultKind::FlushOwnQueue);
  EXPECT_EQ(text(f, "fn_a"),
            "flush_workqueue(q0) called from work function fn_a running on that queue: deadlock");
  EXPECT_FALSE(begin_drain(&q0, kWorker0, &f));
  EXPECT_FALSE(q0.draining);
  EXPECT_FALSE(flush_queue_target(&q0, kWorker1, "flush_workqueue", &f).refused);
}

TEST_F(WorkCore, DrainTakesOnlyChainedWork) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_TRUE(begin_drain(&q0, kThread, &f));
  EXPECT_EQ(q(&q0, &b, kThread), -1);  // from outside: refused, reported
  EXPECT_EQ(f.kind, FaultKind::Draining);
  EXPECT_FALSE(work_pending(&b));
  EXPECT_EQ(q0.refused, 1u);
  start(&q0, &a);
  EXPECT_EQ(q(&q0, &b, kWorker0), 1);  // from its own work item: allowed
  finish(&q0);
  EXPECT_FALSE(drained(&q0));
  run(&q0, &b);
  EXPECT_TRUE(drained(&q0));
}

TEST_F(WorkCore, TakeAllEmptiesBothLists) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(queue_delayed(reg, &q0, &b, kThread, &f), 1);
  work_struct* out[4];
  bool delayed[4];
  EXPECT_EQ(take_all(&q0, out, delayed, 4), 2u);
  EXPECT_EQ(out[0], &a);
  EXPECT_FALSE(delayed[0]);
  EXPECT_EQ(out[1], &b);
  EXPECT_TRUE(delayed[1]);
  EXPECT_EQ(q0.queued + q0.delayed, 0u);
  EXPECT_FALSE(work_pending(&a) || work_pending(&b));
}

TEST_F(WorkCore, DelayedItemIsPendingUntilItsTimerFiresThenQueued) {
  ASSERT_EQ(queue_delayed(reg, &q0, &a, kThread, &f), 1);
  EXPECT_TRUE(work_pending(&a));
  EXPECT_EQ(queue_delayed(reg, &q0, &a, kThread, &f), 0);
  EXPECT_EQ(q(&q0, &a), 0);
  Claimed cl{};
  EXPECT_EQ(claim(reg, &q0, &cl, &f), Claim::None);  // not on the list yet
  ASSERT_EQ(q(&q0, &b), 1);
  EXPECT_TRUE(fire(&a));
  EXPECT_FALSE(fire(&a));  // once
  run(&q0, &b);
  run(&q0, &a);
}

TEST_F(WorkCore, CancelOfADelayedItemStopsItsFiring) {
  ASSERT_EQ(queue_delayed(reg, &q0, &a, kThread, &f), 1);
  bool delayed = false;
  EXPECT_TRUE(take_pending(&a, &delayed));
  EXPECT_TRUE(delayed);
  EXPECT_FALSE(fire(&a));  // the timer fired anyway (raced with the cancel): nothing
  Claimed cl{};
  EXPECT_EQ(claim(reg, &q0, &cl, &f), Claim::None);
  EXPECT_EQ(q0.delayed, 0u);
}

// Linux 2.6.19's cancel_delayed_work (del_timer_sync, then clear pending only if the
// timer was armed): an item whose timer already fired stays queued and still runs.
TEST_F(WorkCore, TakeDelayedTakesOnlyAnItemWhoseTimerIsArmed) {
  ASSERT_EQ(queue_delayed(reg, &q0, &a, kThread, &f), 1);
  EXPECT_TRUE(take_delayed(&a));
  EXPECT_FALSE(work_pending(&a));
  EXPECT_EQ(q0.delayed, 0u);
  EXPECT_FALSE(take_delayed(&a));  // idle: nothing to take
  ASSERT_EQ(queue_delayed(reg, &q0, &a, kThread, &f), 1);
  ASSERT_TRUE(fire(&a));           // on the list now, to run
  EXPECT_FALSE(take_delayed(&a));  // 2.6.19: returns 0 and leaves it queued
  EXPECT_TRUE(work_pending(&a));
  run(&q0, &a);
  EXPECT_EQ(reg.active, 0u);
}

void fn_data(void* p) { *static_cast<int*>(p) += 1; }

// A 2.6.19-form item (WORK_FLAG_DATA_FORM): the claim says so and hands over its data,
// read before the function runs; the flag passes every check and survives queueings.
TEST_F(WorkCore, DataFormItemIsClaimedWithItsData) {
  DataFormWork d{};
  int counter = 0;
  INIT_WORK(&d.dw.work, reinterpret_cast<work_func_t>(reinterpret_cast<void (*)()>(&fn_data)));
  d.dw.work.wk_flags = WORK_FLAG_DATA_FORM;
  d.data = &counter;
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(queue_delayed(reg, &q0, &d.dw.work, kThread, &f), 1) << text(f);
    ASSERT_TRUE(fire(&d.dw.work));
    Claimed cl{};
    ASSERT_EQ(claim(reg, &q0, &cl, &f), Claim::Ok);
    EXPECT_TRUE(cl.data_form);
    EXPECT_EQ(cl.arg, &counter);
    reinterpret_cast<void (*)(void*)>(reinterpret_cast<void (*)()>(cl.func))(cl.arg);
    finish(&q0);
    EXPECT_TRUE(check_work(&d.dw.work, "queue_work", &f));
  }
  EXPECT_EQ(counter, 2);
  ASSERT_EQ(q(&q0, &a), 1);  // a plain item is claimed as itself
  Claimed cl{};
  ASSERT_EQ(claim(reg, &q0, &cl, &f), Claim::Ok);
  EXPECT_FALSE(cl.data_form);
  EXPECT_EQ(cl.arg, &a);
  finish(&q0);
}

TEST_F(WorkCore, UninitialisedCorruptAndFreedItemsAreRefused) {
  work_struct zero{};
  EXPECT_EQ(q(&q0, &zero), -1);
  EXPECT_EQ(f.kind, FaultKind::Uninitialised);
  EXPECT_NE(text(f).find("is not initialised (INIT_WORK or DECLARE_WORK first); refused"),
            std::string::npos);
  work_struct junk;
  std::memset(static_cast<void*>(&junk), 0x5a, sizeof junk);
  EXPECT_EQ(q(&q0, &junk), -1);
  EXPECT_EQ(f.kind, FaultKind::BadMagic);
  work_struct freed;
  std::memset(static_cast<void*>(&freed), 0x6b, sizeof freed);
  EXPECT_EQ(q(&q0, &freed), -1);
  EXPECT_EQ(f.kind, FaultKind::UseAfterFree);
  EXPECT_TRUE(cancel_begin(reg, &zero, kThread, "cancel_work_sync", &f).refused);
  EXPECT_TRUE(flush_work_target(reg, &junk, kThread, &f).refused);
  EXPECT_EQ(q0.queued, 0u);  // nothing changed
}

TEST_F(WorkCore, QueueOnADestroyedQueueIsRefused) {
  workqueue_struct gone{};
  init_queue(reg, &gone, "gone", 0, 1, 0);
  forget_queue(reg, &gone);
  EXPECT_EQ(q(&gone, &a), -1);
  EXPECT_EQ(f.kind, FaultKind::BadQueue);
  EXPECT_EQ(q(nullptr, &a), -1);
  EXPECT_EQ(f.kind, FaultKind::NullPointer);
  EXPECT_FALSE(work_pending(&a));
}

TEST_F(WorkCore, FreeOfAPendingItemIsReportedAndTakesItOff) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(q(&q0, &b), 1);
  ASSERT_EQ(q(&q0, &c), 1);
  EXPECT_TRUE(poison(reg, &b, kThread, &f));
  EXPECT_EQ(f.kind, FaultKind::FreeActive);
  EXPECT_EQ(f.func, &fn_b);
  EXPECT_NE(text(f, "fn_b").find("free of an active work item"), std::string::npos);
  EXPECT_NE(text(f, "fn_b").find("function fn_b, pending on q0"), std::string::npos);
  run(&q0, &a);
  run(&q0, &c);
  EXPECT_EQ(q(&q0, &b), -1);  // use after free
  EXPECT_EQ(f.kind, FaultKind::UseAfterFree);
  // An idle item: freed silently.
  EXPECT_FALSE(poison(reg, &a, kThread, &f));
}

TEST_F(WorkCore, FreeOfARunningItemIsReportedUnlessByItsOwnFunction) {
  ASSERT_EQ(q(&q0, &a), 1);
  start(&q0, &a);
  EXPECT_TRUE(poison(reg, &a, kThread, &f));
  EXPECT_EQ(f.kind, FaultKind::FreeRunning);
  finish(&q0);
  ASSERT_EQ(q(&q0, &b), 1);
  start(&q0, &b);
  EXPECT_FALSE(poison(reg, &b, kWorker0, &f));  // a function may free its own item
  finish(&q0);
}

TEST_F(WorkCore, ReinitialisedPendingItemIsDroppedAloneAndTheRestRuns) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(q(&q0, &b), 1);
  ASSERT_EQ(q(&q0, &c), 1);
  EXPECT_EQ(reg.active, 3u);
  INIT_WORK(&a, fn_a);  // a bug: a is pending
  Claimed cl{};
  EXPECT_EQ(claim(reg, &q0, &cl, &f), Claim::Corrupt);
  EXPECT_EQ(f.kind, FaultKind::Reinitialised);
  EXPECT_EQ(f.b, 0u);
  EXPECT_EQ(q0.queued, 2u);
  EXPECT_EQ(reg.active, 2u);
  run(&q0, &b);
  run(&q0, &c);
  EXPECT_EQ(claim(reg, &q0, &cl, &f), Claim::None);
  EXPECT_EQ(reg.active, 0u);
}

TEST_F(WorkCore, ActiveCountsPendingDelayedAndRunningItems) {
  EXPECT_EQ(reg.active, 0u);
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(queue_delayed(reg, &q1, &b, kThread, &f), 1);
  EXPECT_EQ(reg.active, 2u);
  start(&q0, &a);
  EXPECT_EQ(reg.active, 2u);  // running still counts
  EXPECT_TRUE(fire(&b));
  EXPECT_EQ(reg.active, 2u);
  finish(&q0);
  bool delayed;
  EXPECT_TRUE(take_pending(&b, &delayed));
  EXPECT_EQ(reg.active, 0u);
}

TEST_F(WorkCore, FindInRangeSeesQueuesPendingAndRunningItems) {
  struct Hits {
    std::vector<RangeHit> v;
  } hits;
  auto collect = [](void* ctx, const RangeHit& h) { static_cast<Hits*>(ctx)->v.push_back(h); };
  EXPECT_EQ(find_in_range(reg, 0x5000, 0x5001, collect, &hits), 1u);  // q0's creator
  EXPECT_EQ(hits.v[0].what, unsigned(kHitQueue));
  EXPECT_EQ(hits.v[0].wq, &q0);
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(queue_delayed(reg, &q1, &b, kThread, &f), 1);
  const auto lo = reinterpret_cast<std::uintptr_t>(&a);
  hits.v.clear();
  EXPECT_EQ(find_in_range(reg, lo, lo + sizeof a, collect, &hits), 1u);
  EXPECT_EQ(hits.v[0].what, unsigned(kHitWork));
  const auto fb = reinterpret_cast<std::uintptr_t>(&fn_b);
  hits.v.clear();
  EXPECT_EQ(find_in_range(reg, fb, fb + 1, collect, &hits), 1u);
  EXPECT_TRUE(hits.v[0].delayed);
  EXPECT_EQ(hits.v[0].what, unsigned(kHitFunc));
  start(&q0, &a);
  hits.v.clear();
  EXPECT_EQ(find_in_range(reg, lo, lo + sizeof a, collect, &hits), 1u);
  EXPECT_EQ(hits.v[0].what, unsigned(kHitRunning));
  finish(&q0);
  EXPECT_EQ(find_in_range(reg, lo, lo + sizeof a, nullptr, nullptr), 0u);
}

TEST_F(WorkCore, ViewsCopyQueuesAndItems) {
  ASSERT_EQ(q(&q0, &a), 1);
  ASSERT_EQ(queue_delayed(reg, &q0, &b, kThread, &f), 1);
  ItemInfo items[4];
  ASSERT_EQ(copy_items(&q0, items, 4), 2u);
  EXPECT_EQ(items[0].func, &fn_a);
  EXPECT_FALSE(items[0].delayed);
  EXPECT_TRUE(items[1].delayed);
  const QueueInfo i = queue_info(&q0);
  EXPECT_STREQ(i.name, "q0");
  EXPECT_EQ(i.queued, 1u);
  EXPECT_EQ(i.delayed, 1u);
  EXPECT_EQ(i.total_queued, 2u);
}

TEST_F(WorkCore, EveryFaultKindFormatsOneLine) {
  for (int k = 0; k <= int(FaultKind::DrainLimit); ++k) {
    Fault fault{FaultKind(k), "op", &a, fn_a, &q0, 3, 1};
    const std::string s = text(fault);
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(s.find('\n'), std::string::npos);
    EXPECT_STRNE(fault_kind_name(FaultKind(k)), "?");
  }
}

// ---- the model test ----
// 3 queues, 6 items. Steps, chosen at random: queue / queue_delayed from a thread or an
// interrupt, a timer firing, a worker step (claim, or finish the running item, whose
// function may requeue itself or queue another), cancel_work_sync as a thread that
// spans steps (begin, wait while running, end), flush_work and flush_workqueue as
// waiters that span steps. Interrupts queue between any two steps. The reference model
// keeps each queue's FIFO of instances; after every step the core must agree with it,
// and each waiter must return exactly when the model says its instances are done.
constexpr int kQ = 3;
constexpr int kW = 6;

struct ModelItem {
  bool pending = false, delayed = false;
  int on = -1;        // queue it is pending on
  int instance = -1;  // the pending instance
  int cancels = 0;
};
struct ModelQueue {
  std::deque<int> fifo;  // instances, in order
  int running_item = -1, running_instance = -1;
};

struct ModelTest : ::testing::TestWithParam<unsigned> {
  Registry reg;
  workqueue_struct qs[kQ]{};
  work_struct ws[kW]{};
  ModelItem mi[kW];
  ModelQueue mq[kQ];
  std::vector<int> instance_item;  // instance -> item
  std::vector<bool> done;          // instance finished or taken off
  std::mt19937 rng;

  struct Waiter {
    int kind;  // 0 cancel_sync, 1 flush_work, 2 flush_workqueue
    int item, queue;
    std::vector<int> instances;  // what it waits for
    const workqueue_struct* wq;
    unsigned long seq;
  };
  std::vector<Waiter> waiters;

  int idx(const work_struct* w) { return int(w - ws); }
  int qidx(const workqueue_struct* q) { return int(q - qs); }
  std::uintptr_t worker(int q) { return 1000 + q; }

  int new_instance(int item) {
    instance_item.push_back(item);
    done.push_back(false);
    return int(done.size()) - 1;
  }
  bool cancelling(int i) { return mi[i].cancels > 0; }
  bool running_anywhere(int i) {
    for (auto& m : mq)
      if (m.running_item == i) return true;
    return false;
  }

  void do_queue(int i, int qi, bool delayed, std::uintptr_t ctx) {
    Fault f{};
    const int r = delayed ? queue_delayed(reg, &qs[qi], &ws[i], ctx, &f)
                          : queue(reg, &qs[qi], &ws[i], ctx, &f);
    const int expect = (mi[i].pending || cancelling(i)) ? 0 : 1;
    ASSERT_EQ(r, expect) << "queue item " << i << " on " << qi;
    if (r == 1) {
      mi[i] = ModelItem{true, delayed, qi, new_instance(i), mi[i].cancels};
      if (!delayed) mq[qi].fifo.push_back(mi[i].instance);
    }
  }
  void do_fire(int i) {
    const bool fired = fire(&ws[i]);
    ASSERT_EQ(fired, mi[i].pending && mi[i].delayed);
    if (fired) {
      mi[i].delayed = false;
      mq[mi[i].on].fifo.push_back(mi[i].instance);
    }
  }
  void take_off_model(int i) {
    if (!mi[i].pending) return;
    if (!mi[i].delayed) {
      auto& fifo = mq[mi[i].on].fifo;
      for (auto it = fifo.begin(); it != fifo.end(); ++it)
        if (*it == mi[i].instance) {
          fifo.erase(it);
          break;
        }
    }
    done[mi[i].instance] = true;
    mi[i].pending = mi[i].delayed = false;
    mi[i].on = mi[i].instance = -1;
  }
  void worker_step(int qi) {
    Fault f{};
    ModelQueue& m = mq[qi];
    if (m.running_item >= 0) {  // the function runs: maybe requeue itself or another
      const int self = m.running_item;
      const int what = int(rng() % 4);
      if (what == 0) do_queue(self, qi, false, worker(qi));
      if (what == 1) do_queue(int(rng() % kW), int(rng() % kQ), false, worker(qi));
      finish(&qs[qi]);
      done[m.running_instance] = true;
      m.running_item = m.running_instance = -1;
      return;
    }
    Claimed cl{};
    const Claim c = claim(reg, &qs[qi], &cl, &f);
    if (m.fifo.empty()) {
      ASSERT_EQ(c, Claim::None);
      return;
    }
    const int inst = m.fifo.front();
    const int item = instance_item[inst];
    ASSERT_EQ(cl.work, &ws[item]);
    if (running_anywhere(item)) {  // non-reentrant
      ASSERT_EQ(c, Claim::Busy);
      return;
    }
    ASSERT_EQ(c, Claim::Ok);
    m.fifo.pop_front();
    mi[item].pending = false;
    mi[item].on = mi[item].instance = -1;
    m.running_item = item;
    m.running_instance = inst;
  }
  void start_waiter() {
    Fault f{};
    const int kind = int(rng() % 3);
    Waiter w{kind, int(rng() % kW), int(rng() % kQ), {}, nullptr, 0};
    if (kind == 0) {
      const CancelBegin cb = cancel_begin(reg, &ws[w.item], kThread, "cancel_work_sync", &f);
      ASSERT_FALSE(cb.refused);
      ASSERT_EQ(cb.was_pending, mi[w.item].pending);
      ASSERT_EQ(cb.was_delayed, mi[w.item].pending && mi[w.item].delayed);
      take_off_model(w.item);
      ++mi[w.item].cancels;
    } else if (kind == 1) {
      const FlushTarget t = flush_work_target(reg, &ws[w.item], kThread, &f);
      ASSERT_FALSE(t.refused);
      const ModelItem& m = mi[w.item];
      if (m.pending && !m.delayed) {
        w.instances.push_back(m.instance);
      } else {
        for (auto& q : mq)
          if (q.running_item == w.item) w.instances.push_back(q.running_instance);
      }
      ASSERT_EQ(t.wq == nullptr, w.instances.empty());
      w.wq = t.wq;
      w.seq = t.seq;
      if (!t.wq) return;  // returned at once
    } else {
      const FlushTarget t = flush_queue_target(&qs[w.queue], kThread, "flush_workqueue", &f);
      ASSERT_FALSE(t.refused);
      for (int inst : mq[w.queue].fifo) w.instances.push_back(inst);
      if (mq[w.queue].running_instance >= 0) w.instances.push_back(mq[w.queue].running_instance);
      w.wq = t.wq;
      w.seq = t.seq;
    }
    waiters.push_back(w);
  }
  // Each waiter looks once: it returns exactly when the model says it may.
  void poll_waiters() {
    for (size_t k = 0; k < waiters.size();) {
      Waiter& w = waiters[k];
      bool finished;
      if (w.kind == 0) {
        const bool running = running_on(reg, &ws[w.item]) != nullptr;
        ASSERT_EQ(running, running_anywhere(w.item));
        finished = !running;
        if (finished) {
          cancel_end(&ws[w.item]);
          --mi[w.item].cancels;
          ASSERT_FALSE(work_pending(&ws[w.item]));  // the contract on return
        }
      } else {
        finished = seq_reached(w.wq, w.seq);
        bool all_done = true;
        for (int inst : w.instances) all_done = all_done && done[inst];
        // Never early; and never later than the queue's going idle. (An instance
        // cancelled from the middle of the queue is waited for until the items before it
        // have run, as Linux's flush barrier is.)
        if (finished) {
          ASSERT_TRUE(all_done) << "flush kind " << w.kind << " returned early";
        }
        const ModelQueue& m = mq[qidx(w.wq)];
        if (all_done && m.fifo.empty() && m.running_item < 0) {
          ASSERT_TRUE(finished) << "flush kind " << w.kind << " never returns";
        }
      }
      if (finished)
        waiters.erase(waiters.begin() + long(k));
      else
        ++k;
    }
  }
  void check_state() {
    for (int i = 0; i < kW; ++i) {
      ASSERT_EQ(work_pending(&ws[i]), mi[i].pending) << "item " << i;
      Fault f{};
      ASSERT_TRUE(check_work(&ws[i], "check", &f)) << fault_kind_name(f.kind);
    }
    unsigned long active = 0;
    for (int q = 0; q < kQ; ++q) {
      ASSERT_EQ(qs[q].queued, mq[q].fifo.size());
      ASSERT_EQ(qs[q].running, mq[q].running_item >= 0);
      active += mq[q].fifo.size() + (mq[q].running_item >= 0 ? 1 : 0);
    }
    for (int i = 0; i < kW; ++i) active += (mi[i].pending && mi[i].delayed) ? 1 : 0;
    ASSERT_EQ(reg.active, active);  // kfree's fast path trusts it
  }
};

TEST_P(ModelTest, RandomStepsAgreeWithTheModel) {
  rng.seed(GetParam());
  for (int q = 0; q < kQ; ++q) {
    init_queue(reg, &qs[q], "mq", 0, 1, 0);
    set_worker(&qs[q], worker(q));
  }
  for (auto& w : ws) INIT_WORK(&w, fn_a);
  for (int step = 0; step < 50000; ++step) {
    const int op = int(rng() % 10);
    const int i = int(rng() % kW), qi = int(rng() % kQ);
    switch (op) {
      case 0:
      case 1:
        do_queue(i, qi, false, kThread);
        break;
      case 2:
        do_queue(i, qi, true, kThread);
        break;
      case 3:
        do_fire(i);
        break;
      case 4:
      case 5:
      case 6:
        worker_step(qi);
        break;
      case 7:
        if (waiters.size() < 4) start_waiter();
        break;
      default:
        break;
    }
    if (HasFatalFailure()) return;
    // A simulated interrupt between two steps: queues something, or fires a timer.
    if (rng() % 4 == 0) {
      if (rng() % 2)
        do_queue(int(rng() % kW), int(rng() % kQ), false, kThread);
      else
        do_fire(int(rng() % kW));
    }
    if (HasFatalFailure()) return;
    poll_waiters();
    if (HasFatalFailure()) return;
    check_state();
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Values(1u, 2u, 3u, 42u, 2026u));

}  // namespace
