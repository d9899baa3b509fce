// Randomised test of the task queue against a reference model (std::deque per queue).
// Mixed operations on 8 tasks and 3 queues: queue_task, run_task_queue, cancel_task_sync,
// from the top level, from routines (which requeue themselves, queue or cancel others,
// drain other queues) and from simulated interrupts injected at every point of a drain
// where a real one could arrive (the core's step hook). The whole observable state is
// compared with the model after every operation. Fixed seeds.
#include "kernel/lib/task_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <sstream>
#include <string>

namespace {

using quartz::TqFault;
using quartz::TqFaultKind;
using quartz::TqStep;

constexpr int kQueues = 3;
constexpr int kTasks = 8;          // task kTasks-1 has a NULL routine
constexpr int kSelfRequeuers = 4;  // tasks 0..3 usually requeue themselves
constexpr int kMaxDepth = 3;       // nesting of routines and interrupts

struct Irq {
  static inline int depth = 0;
  static inline bool enabled = true;
};
struct ModelGuard {  // default-constructible, like the kernel's guard
  ModelGuard() : saved_(Irq::enabled) {
    Irq::enabled = false;
    ++Irq::depth;
  }
  ~ModelGuard() {
    --Irq::depth;
    Irq::enabled = saved_;
  }
  ModelGuard(const ModelGuard&) = delete;
  ModelGuard& operator=(const ModelGuard&) = delete;
  bool saved_;
};

class Model;
Model* g_model = nullptr;

// Builds the message only on failure: check_all runs after every one of ~10^5 operations.
#define MODEL_CHECK(cond, msg)   \
  do {                           \
    if (!(cond)) fail_with(msg); \
  } while (0)

struct ModelHooks : quartz::TaskQueueHooksBase {
  static std::uint64_t now();
  static void fault(const TqFault& f);
  static void step(TqStep s, task_queue* q, const tq_struct* t);
  static void wait_while_running(const tq_struct*);
  static inline long asserts = 0;
  static void assert_guard_held(const char* where) {
    ++asserts;
    if (Irq::depth == 0) ADD_FAILURE() << where << " ran without the guard";
  }
};
using Tq = quartz::TaskQueue<ModelGuard, ModelHooks>;

void model_routine(void* data);

class Model {
 public:
  explicit Model(std::uint32_t seed) : rng_(seed) {
    for (int i = 0; i < kQueues; ++i) {
      q_[i].name = names_[i];
      running_[i] = -1;
    }
    for (int i = 0; i < kTasks; ++i) {
      INIT_TQUEUE(&t_[i], i == kTasks - 1 ? nullptr : model_routine,
                  reinterpret_cast<void*>(static_cast<std::intptr_t>(i)));
      where_[i] = -1;
    }
  }

  // Runs operations until `n` have been checked (top-level ones, those issued by routines
  // and by simulated interrupts all count); returns the first mismatch, or "".
  std::string run(long n) {
    while (ops_ < n && error_.empty()) random_op();
    // Wind down, with no more interrupts: cancelling everything must empty every queue.
    quiet_ = true;
    for (int i = 0; i < kTasks && error_.empty(); ++i) do_cancel(i);
    for (int qi = 0; qi < kQueues && error_.empty(); ++qi) {
      MODEL_CHECK(q_[qi].queued == 0, "queue not empty after cancelling everything");
      MODEL_CHECK(Tq::forget_queue(&q_[qi]), "forget_queue refused");
    }
    if (!error_.empty()) {  // leave no queue registered, whatever state it is in
      for (auto& q : q_) {
        q.head = q.tail = q.batch = nullptr;
        q.queued = 0;
        q.draining = 0;
        Tq::forget_queue(&q);
      }
    }
    return error_;
  }
  long operations() const { return ops_; }
  long faults() const { return faults_; }
  long runs() const {
    long n = 0;
    for (long r : actual_runs_) n += r;
    return n;
  }
  long delayed() const {
    long n = 0;
    for (unsigned long d : delayed_) n += static_cast<long>(d);
    return n;
  }

  // ---- hooks from the core ----
  void on_fault(const TqFault& f) {
    ++faults_;
    MODEL_CHECK(f.kind == TqFaultKind::OwnRoutine, "unexpected fault kind");
  }

  void on_step(TqStep s, task_queue* qp, const tq_struct* tp) {
    MODEL_CHECK(Irq::depth == 0 && Irq::enabled, "step hook called with interrupts off");
    const int qi = qp ? static_cast<int>(qp - q_) : -1;
    const int ti = tp ? static_cast<int>(tp - t_) : -1;
    switch (s) {
      case TqStep::AfterTakeover:
        break;
      case TqStep::AfterClaim:
        MODEL_CHECK(!batch_[qi].empty() && batch_[qi].front() == ti, "claimed out of order");
        if (!error_.empty()) return;
        batch_[qi].pop_front();
        where_[ti] = -1;
        running_[qi] = ti;
        if (ti != kTasks - 1) {
          ++expected_runs_[ti];
          ++in_flight_[ti];  // may nest: requeued and run by an interrupt meanwhile
          ++ran_this_drain_[qi];
        }
        break;
      case TqStep::AfterRoutine:
        MODEL_CHECK(running_[qi] == ti, "AfterRoutine for a task that was not running");
        MODEL_CHECK(std::count(running_, running_ + kQueues, ti) > 1 || in_flight_[ti] == 0,
                    "routine was claimed but not called");
        running_[qi] = -1;
        break;
      case TqStep::AfterFinish:
        MODEL_CHECK(batch_[qi].empty(), "drain finished with tasks left in its batch");
        draining_[qi] = false;
        ++drains_[qi];
        tasks_run_[qi] += ran_this_drain_[qi];
        ran_this_drain_[qi] = 0;
        break;
      case TqStep::CancelUnlinked:
        ++cancelling_[ti];
        break;
    }
    check_all();
    // A simulated interrupt at this point: one or two operations, nested.
    if (!quiet_ && depth_ < kMaxDepth && rng_() % 3 == 0) {
      ++depth_;
      const int k = 1 + static_cast<int>(rng_() % 2);
      for (int i = 0; i < k; ++i) random_op();
      --depth_;
    }
  }

  void on_routine(int ti) {
    MODEL_CHECK(Irq::depth == 0 && Irq::enabled, "routine called with interrupts off");
    MODEL_CHECK(in_flight_[ti] > 0, "routine ran without being claimed");
    --in_flight_[ti];
    ++actual_runs_[ti];
    MODEL_CHECK(std::count(running_, running_ + kQueues, ti) >= 1, "running task not recorded");
    if (ti < kSelfRequeuers && rng_() % 10 < 7) {
      do_queue(ti, static_cast<int>(rng_() % kQueues));
    }
    if (depth_ < kMaxDepth) {
      ++depth_;
      const int k = static_cast<int>(rng_() % 3);
      for (int i = 0; i < k; ++i) random_op();
      --depth_;
    }
  }

 private:
  void random_op() {
    if (!error_.empty()) return;
    const std::uint32_t r = rng_() % 100;
    const int ti = static_cast<int>(rng_() % kTasks);
    const int qi = static_cast<int>(rng_() % kQueues);
    if (r < 50) {
      do_queue(ti, qi);
    } else if (r < 75) {
      do_run(qi);
    } else {
      do_cancel(ti);
    }
  }

  void do_queue(int ti, int qi) {
    const int expected = (where_[ti] != -1 || cancelling_[ti] > 0) ? 0 : 1;
    const int got = Tq::queue_task(&t_[ti], &q_[qi]);
    MODEL_CHECK(got == expected, "queue_task returned " + std::to_string(got));
    if (expected) {
      pending_[qi].push_back(ti);
      where_[ti] = qi;
    }
    check_all();
  }

  void do_run(int qi) {
    if (draining_[qi]) {
      ++delayed_[qi];
    } else if (pending_[qi].empty()) {
      ++drains_[qi];
    } else {
      batch_[qi] = std::move(pending_[qi]);
      pending_[qi].clear();
      draining_[qi] = true;
      ran_this_drain_[qi] = 0;
    }
    Tq::run(&q_[qi]);
    check_all();
  }

  void do_cancel(int ti) {
    const bool running = std::count(running_, running_ + kQueues, ti) > 0;
    if (running) {
      // Same context as the drain (one CPU): waiting would deadlock, so it is refused.
      const long before = faults_;
      const int got = Tq::cancel_sync(&t_[ti]);
      MODEL_CHECK(got == 0 && faults_ == before + 1, "cancel of a running task not refused");
      check_all();
      return;
    }
    const int expected = where_[ti] != -1 ? 1 : 0;
    if (expected) {
      const int qi = where_[ti];
      for (std::deque<int>* list : {&pending_[qi], &batch_[qi]}) {
        auto it = std::find(list->begin(), list->end(), ti);
        if (it != list->end()) list->erase(it);
      }
      where_[ti] = -1;
    }
    const int got = Tq::cancel_sync(&t_[ti]);
    --cancelling_[ti];
    MODEL_CHECK(got == expected, "cancel_task_sync returned " + std::to_string(got));
    check_all();
  }

  void fail_with(const std::string& what) {
    if (error_.empty()) {
      std::ostringstream s;
      s << what << " (after " << ops_ << " operations)";
      error_ = s.str();
    }
  }

  void check_all() {
    ++ops_;
    if (!error_.empty()) return;
    for (int qi = 0; qi < kQueues; ++qi) {
      quartz::TqTaskInfo info[kTasks + 1];
      quartz::TqStats st{};
      const std::size_t n = Tq::snapshot(&q_[qi], info, kTasks + 1, &st);
      std::deque<int> expected = batch_[qi];
      expected.insert(expected.end(), pending_[qi].begin(), pending_[qi].end());
      MODEL_CHECK(n == expected.size(), "queue length differs from the model");
      for (std::size_t k = 0; k < n && k < expected.size(); ++k) {
        MODEL_CHECK(info[k].task == &t_[expected[k]], "queue order differs from the model");
        MODEL_CHECK(info[k].in_batch == (k < batch_[qi].size()), "batch membership differs");
      }
      MODEL_CHECK(st.draining == draining_[qi], "draining flag differs");
      // The one link a drain trusts when the head of its batch is corrupt.
      MODEL_CHECK(batch_[qi].empty() || q_[qi].batch_tail == &t_[batch_[qi].back()],
                  "batch_tail is not the last task of the batch");
      MODEL_CHECK(st.delayed == delayed_[qi], "delayed count differs");
      MODEL_CHECK(st.drains == drains_[qi], "drain count differs");
      MODEL_CHECK(st.tasks_run == tasks_run_[qi], "tasks_run differs");
      const int r = running_[qi];
      MODEL_CHECK(st.running_routine == (r >= 0 ? t_[r].routine : nullptr),
                  "running routine differs");
    }
    for (int ti = 0; ti < kTasks; ++ti) {
      MODEL_CHECK(Tq::is_pending(&t_[ti]) == (where_[ti] != -1), "pending bit differs");
      MODEL_CHECK(actual_runs_[ti] + in_flight_[ti] == expected_runs_[ti],
                  "run count of task " + std::to_string(ti) + " differs: ran " +
                      std::to_string(actual_runs_[ti]) + ", in flight " +
                      std::to_string(in_flight_[ti]) + ", expected " +
                      std::to_string(expected_runs_[ti]));
      const unsigned long magic = t_[ti].tq_magic;
      MODEL_CHECK(where_[ti] != -1 ? magic == TQ_MAGIC_PENDING
                                   : (magic == TQ_MAGIC_NONE || magic == TQ_MAGIC_IDLE),
                  "debug state differs");
    }
    MODEL_CHECK(Irq::depth == 0, "guard leaked");
  }

  std::mt19937 rng_;
  const char* names_[kQueues] = {"tq_timer", "tq_immediate", "tq_disk"};
  task_queue q_[kQueues]{};
  tq_struct t_[kTasks]{};
  // The reference model.
  std::deque<int> pending_[kQueues];  // queued, in order
  std::deque<int> batch_[kQueues];    // taken over by the drain in progress, in order
  bool draining_[kQueues]{};
  int running_[kQueues];
  unsigned long drains_[kQueues]{}, delayed_[kQueues]{}, tasks_run_[kQueues]{};
  unsigned long ran_this_drain_[kQueues]{};
  int where_[kTasks];         // queue a task is pending on, or -1
  int cancelling_[kTasks]{};  // cancel_task_sync calls in progress
  long expected_runs_[kTasks]{}, actual_runs_[kTasks]{};
  long in_flight_[kTasks]{};  // claimed, routine not yet called
  int depth_ = 0;
  bool quiet_ = false;
  long ops_ = 0;
  long faults_ = 0;
  std::string error_;
};

std::uint64_t ModelHooks::now() { return 0; }
void ModelHooks::fault(const TqFault& f) { g_model->on_fault(f); }
void ModelHooks::step(TqStep s, task_queue* q, const tq_struct* t) { g_model->on_step(s, q, t); }
void ModelHooks::wait_while_running(const tq_struct*) {
  ADD_FAILURE() << "with a single context cancel_task_sync never has to wait";
}
void model_routine(void* data) {
  g_model->on_routine(static_cast<int>(reinterpret_cast<std::intptr_t>(data)));
}

class TaskQueueModel : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(TaskQueueModel, HundredThousandOperationsMatchTheReferenceModel) {
  auto model = std::make_unique<Model>(GetParam());
  g_model = model.get();
  const std::string error = model->run(100000);
  g_model = nullptr;
  EXPECT_EQ(error, "");
  // The run must have exercised what it claims to.
  EXPECT_GE(model->operations(), 100000);
  EXPECT_GT(model->runs(), 5000);
  EXPECT_GT(model->delayed(), 100);
  EXPECT_GT(model->faults(), 10);     // cancel of a running task from its own context
  EXPECT_GT(ModelHooks::asserts, 0);  // the locked helpers checked the guard
  std::printf(
      "seed %u: %ld operations, %ld routine runs, %ld delayed drains, %ld refused "
      "cancels\n",
      GetParam(), model->operations(), model->runs(), model->delayed(), model->faults());
}

INSTANTIATE_TEST_SUITE_P(Seeds, TaskQueueModel, ::testing::Values(1u, 2u, 3u, 42u, 20240601u));

}  // namespace
