// Host micro-benchmark of the task queue: queue_task plus drain, reported per task, for
// batches of 1, 16 and 1024 tasks. The guard is a plain compiler barrier (what masking
// interrupts costs is measured in the kernel under QEMU, not here).
//   cmake --build <dir> --target quartz_host_bench && <dir>/quartz_host_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "kernel/lib/task_queue.h"

namespace {

struct BarrierGuard {
  BarrierGuard() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
  ~BarrierGuard() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }
  BarrierGuard(const BarrierGuard&) = delete;
  BarrierGuard& operator=(const BarrierGuard&) = delete;
};

using Tq = quartz::TaskQueue<BarrierGuard>;

void count(void* data) { ++*static_cast<unsigned long*>(data); }

void BM_QueueTaskAndDrain(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<tq_struct> tasks(n);
  unsigned long runs = 0;
  for (auto& t : tasks) INIT_TQUEUE(&t, count, &runs);
  task_queue q{};
  q.name = "bench";
  for (auto _ : state) {
    for (auto& t : tasks) Tq::queue_task(&t, &q);
    Tq::run(&q);
  }
  benchmark::DoNotOptimize(runs);
  if (runs != n * state.iterations()) state.SkipWithError("not every task ran");
  state.SetItemsProcessed(static_cast<std::int64_t>(n * state.iterations()));
  state.counters["ns_per_task"] =
      benchmark::Counter(static_cast<double>(n * state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  Tq::forget_queue(&q);
}
BENCHMARK(BM_QueueTaskAndDrain)->Arg(1)->Arg(16)->Arg(1024);

void BM_EmptyDrain(benchmark::State& state) {
  task_queue q{};
  for (auto _ : state) Tq::run(&q);
  Tq::forget_queue(&q);
}
BENCHMARK(BM_EmptyDrain);

}  // namespace
