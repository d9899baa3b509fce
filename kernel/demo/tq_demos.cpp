// Task-queue demos and benchmarks: `tqdemo` (a kernel task counting ticks, for `tq` and
// /proc/tq to show), `tqcrash` (the misuses that must panic, with the routine named) and
// `bench tick` (exact instruction counts of the tick under -icount). Not the mechanism.
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/console.h"
#include "kernel/might_sleep.h"
#include "kernel/kallsyms.h"
#include "kernel/kheap.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "drivers/pic.h"

extern "C" void bench_nop_routine(void*);
#include "kernel/demo/tick_counter.h"

namespace quartz {
namespace {

// ---- tqdemo: a kernel task that counts ticks, for `tq` and /proc/tq to show ----
Counter demo;
bool demo_running = false;

int cmd_tqdemo(int argc, char** argv) {
  if (argc == 2 && str_eq(argv[1], "start")) {
    if (demo_running) {
      kprintf("tqdemo: already running\n");
      return 1;
    }
    start_counter(demo);
    demo_running = true;
    kprintf("tqdemo: counting_routine queued on tq_timer\n");
    return 0;
  }
  if (argc == 2 && str_eq(argv[1], "stop")) {
    if (!demo_running) {
      kprintf("tqdemo: not running\n");
      return 1;
    }
    cancel_task_sync(&demo.task);
    demo_running = false;
    kprintf("tqdemo: stopped after %lu runs\n", demo.count);
    return 0;
  }
  if (argc == 2 && str_eq(argv[1], "count")) {
    kprintf("tqdemo: %lu runs\n", demo.count);
    return 0;
  }
  return shell_usage("tqdemo");
}

// ---- tqcrash: the misuses that must panic, with the routine named ----
tq_struct crash_task;
void sleepy_routine(void*) { msleep(10); }
void self_cancelling_routine(void*) { cancel_task_sync(&crash_task); }

int cmd_tqcrash(int argc, char** argv) {
  if (argc == 2 && str_eq(argv[1], "sleep"))
    crash_task.routine = sleepy_routine;
  else if (argc == 2 && str_eq(argv[1], "cancel-self"))
    crash_task.routine = self_cancelling_routine;
  else
    return shell_usage("tqcrash");
  kprintf("tqcrash: queueing %s on tq_timer\n", argv[1]);
  queue_task(&crash_task, &tq_timer);
  wait_ticks(3);
  kprintf("tqcrash: no panic\n");
  return 1;
}

// ---- bench: exact instruction counts of the tick under -icount shift=0 ----
// A fixed spin loop is timed with the TSC twice: once with IRQ 0 masked at the PIC
// (the loop alone), once with ticks arriving. Every instruction of every tick's path,
// from the entry stub to iret, is the difference; divided by the ticks counted.
struct Window {
  uint64_t tsc;
  unsigned long ticks;
};

[[gnu::noinline]] Window spin_window(uint32_t iterations) {
  cpu::raw_cli();
  const unsigned long j0 = jiffies;
  const uint64_t t0 = cpu::rdtsc();
  cpu::raw_sti();
  for (uint32_t i = 0; i < iterations; ++i) asm volatile("" ::: "memory");
  cpu::raw_cli();
  const uint64_t t1 = cpu::rdtsc();
  const unsigned long j1 = jiffies;
  cpu::raw_sti();
  return {t1 - t0, j1 - j0};
}

uint64_t per_tick_cost(const Window& with_ticks, const Window& alone) {
  return (with_ticks.tsc - alone.tsc) / with_ticks.ticks;
}

int cmd_bench(int argc, char** argv) {
  if (argc != 2 || !str_eq(argv[1], "tick")) return shell_usage("bench");
  constexpr uint32_t kIterations = 3000000;
  constexpr int kTasks = 200;
  static tq_struct tasks[kTasks];
  const uint32_t saved_hz = timer_hz();
  timer_set_hz(1000);  // more ticks per window
  // Other interrupts (a key typed meanwhile) can only add instructions: keep the
  // smallest of three runs of each measurement.
  {
    InterruptDisabler guard;  // the PIC mask: interrupts off (drivers/pic.h checks it)
    g_pic.set_masked(0, true);
  }
  Window alone = spin_window(kIterations);
  for (int i = 0; i < 2; ++i) {
    const Window w = spin_window(kIterations);
    if (w.tsc < alone.tsc) alone = w;
  }
  {
    InterruptDisabler guard;
    g_pic.set_masked(0, false);
  }
  if (alone.ticks != 0) {
    timer_set_hz(saved_hz);
    kprintf("bench: a tick arrived with IRQ 0 masked; no figures\n");
    return 1;
  }
  Window empty = spin_window(kIterations);
  for (int i = 0; i < 2; ++i) {
    const Window w = spin_window(kIterations);
    if (w.ticks && (!empty.ticks || per_tick_cost(w, alone) < per_tick_cost(empty, alone)))
      empty = w;
  }
  if (empty.ticks == 0) {
    timer_set_hz(saved_hz);
    kprintf("bench: no tick arrived in the window; no figures\n");
    return 1;
  }
  // The drain's own fixed cost (timestamps, statistics) is the same for 100 tasks as
  // for 200, so the difference between the two is the pure cost of one more task.
  auto drain_cost = [&](int n) {
    for (int i = 0; i < n; ++i) {
      tasks[i].routine = bench_nop_routine;
      queue_task(&tasks[i], &tq_timer);
    }
    const Window w = spin_window(kIterations);
    return w.tsc - alone.tsc - per_tick_cost(empty, alone) * w.ticks;
  };
  const uint64_t cost_small = drain_cost(kTasks / 2), cost_large = drain_cost(kTasks);
  timer_set_hz(saved_hz);
  const uint64_t per_tick = per_tick_cost(empty, alone);
  // Minus the routine's body, its one `ret`.
  const uint64_t per_task = (cost_large - cost_small) / (kTasks / 2) - 1;
  // key=value for tools/bench.py, then words for people (see tools/bench.py's FIGURES).
  kprintf("bench: hz=1000 ticks=%lu loop_instructions=%llu ticks_instructions=%llu\n", empty.ticks,
          static_cast<unsigned long long>(alone.tsc),
          static_cast<unsigned long long>(empty.tsc - alone.tsc));
  kprintf("bench: empty_tick_instructions=%llu (entry stub to iret, tq_timer empty)\n",
          static_cast<unsigned long long>(per_tick));
  kprintf(
      "bench: drain_%d_instructions=%llu drain_%d_instructions=%llu (beyond the empty "
      "ticks)\n",
      kTasks / 2, static_cast<unsigned long long>(cost_small), kTasks,
      static_cast<unsigned long long>(cost_large));
  kprintf(
      "bench: per_task_instructions=%llu (the drain's cost per task besides its "
      "routine's body; queue_task not included)\n",
      static_cast<unsigned long long>(per_task));
  return 0;
}
}  // namespace

SHELL_COMMAND(tqdemo, "start|stop|count", "a kernel task counting ticks on tq_timer", cmd_tqdemo);
SHELL_COMMAND(tqcrash, "sleep|cancel-self", "misuse a task routine on purpose (panics)",
              cmd_tqcrash);
SHELL_COMMAND(bench, "tick", "instruction counts (exact under -icount shift=0)", cmd_bench);

}  // namespace quartz
