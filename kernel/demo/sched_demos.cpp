// Scheduler demos and benchmarks: `lostwakeup` (sleep_on's race, made to happen),
// `sleepcrash` and `assertcrash` (contracts broken on purpose: they panic), and
// `schedbench` (yield round trip and wake latency, exact under -icount). Not the mechanism.
#include <climits>

#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/console.h"
#include "kernel/might_sleep.h"
#include "kernel/kallsyms.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "drivers/pic.h"
#include "kernel/demo/lost_wakeup.h"

namespace quartz {
namespace {

// ---- the lost wakeup of sleep_on, made to happen ----
// The guide's unload protocol: cleanup sets a flag and sleeps; the timer routine sees
// the flag, wakes the sleeper and stops requeuing itself. If the tick comes after the
// flag is set but before the sleeper is on the queue, the wake_up finds nobody.
struct Lost {
  tq_struct task;
  wait_queue_head_t wq;
  volatile bool flag;          // "please stop" (set by the sleeper)
  volatile bool routine_done;  // the routine saw the flag, woke the queue, stopped
  volatile int woken;          // how many the routine's wake_up found
};
Lost lost;
void lost_routine(void*) {
  if (lost.flag) {
    wake_up(&lost.wq);
    lost.routine_done = true;
  } else {
    queue_task(&lost.task, &tq_timer);
  }
}

// Runs the protocol with the tick placed exactly in the window. Returns how the sleep
// ended.
}  // namespace

WakeReason run_lost_wakeup(bool use_wait_event, bool narrate) {
  lost = Lost{};
  __init_waitqueue_head(&lost.wq, "lost_wakeup_wq");
  lost.task.routine = lost_routine;
  queue_task(&lost.task, &tq_timer);
  sleep_ticks(2);
  lost.flag = true;
  if (narrate) kprintf("lostwakeup: flag set; now a tick arrives before we sleep...\n");
  // The window: let the tick run the routine before we reach the queue.
  while (!lost.routine_done) cpu::sti_and_hlt();
  if (narrate)
    kprintf(
        "lostwakeup: the routine saw the flag, called wake_up (nobody was "
        "on the queue) and stopped requeuing itself\n");
  if (use_wait_event) {
    if (narrate) kprintf("lostwakeup: wait_event(wq, routine_done): queue first, then test\n");
    wait_event(lost.wq, lost.routine_done);
    return WakeReason::WakeUp;
  }
  if (narrate) kprintf("lostwakeup: sleep_on(wq): nobody will ever wake us...\n");
  return sleep_on_reason(&lost.wq);
}

namespace {
int cmd_lostwakeup(int argc, char** argv) {
  if (argc != 2) return shell_usage("lostwakeup");
  const bool use_wait_event = __builtin_strcmp(argv[1], "wait_event") == 0;
  if (!use_wait_event && __builtin_strcmp(argv[1], "sleep_on") != 0)
    return shell_usage("lostwakeup");
  const unsigned long start = jiffies;
  const WakeReason why = run_lost_wakeup(use_wait_event, true);
  kprintf("lostwakeup: %s returned after %lu ticks: %s\n", argv[1], jiffies - start,
          why == WakeReason::Watchdog ? "released by the watchdog (the wakeup was lost)"
                                      : "the condition was already true (nothing lost)");
  return 0;
}

// ---- sleeping where it is forbidden ----
void sleeping_irq_handler(InterruptFrame&) { msleep(10); }

int cmd_sleepcrash(int argc, char** argv) {
  if (argc != 2 || __builtin_strcmp(argv[1], "irq") != 0) return shell_usage("sleepcrash");
  kprintf("sleepcrash: an IRQ 5 handler that calls msleep, raised with int $0x25\n");
  irq_register(5, sleeping_irq_handler);
  cpu::soft_interrupt<kIrqBase + 5>();
  irq_register(5, nullptr);
  kprintf("sleepcrash: no panic\n");
  return 1;
}

// ---- "interrupts off" contracts, broken on purpose ----
int cmd_assertcrash(int argc, char** argv) {
  if (argc != 2) return shell_usage("assertcrash");
  if (__builtin_strcmp(argv[1], "tick") == 0) {
    kprintf(
        "assertcrash: the IRQ 0 tick's scheduler work, called from a thread with "
        "interrupts on\n");
    sched_timer_tick();
  } else if (__builtin_strcmp(argv[1], "pic") == 0) {
    kprintf("assertcrash: the PIC mask written with interrupts on\n");
    g_pic.set_masked(5, true);
  } else {
    return shell_usage("assertcrash");
  }
  kprintf("assertcrash: no panic\n");
  return 1;
}

// ---- benchmarks ----
volatile bool pong_stop;
void pong_thread(void*) {
  while (!pong_stop) thread_yield();
}

struct WakeBench {
  tq_struct task;
  wait_queue_head_t wq;
  volatile bool flag;
  volatile uint64_t wake_tsc, tick_tsc;
  volatile unsigned long wake_jiffies;
};
WakeBench wb;
void bench_waker(void*) {
  wb.flag = true;
  wb.wake_jiffies = jiffies;
  wb.wake_tsc = cpu::rdtsc();
  wb.tick_tsc = g_tick_tsc;
  wake_up(&wb.wq);
}

int cmd_schedbench(int argc, char**) {
  if (argc != 1) return shell_usage("schedbench");
  // Yield round trip: us -> pong -> us, with only the two of us runnable.
  constexpr int kRounds = 1000;
  pong_stop = false;
  if (!thread_create("pong", pong_thread, nullptr)) return 1;
  thread_yield();  // let pong start
  const uint64_t t0 = cpu::rdtsc();
  for (int i = 0; i < kRounds; ++i) thread_yield();
  const uint64_t t1 = cpu::rdtsc();
  pong_stop = true;
  // key=value for tools/bench.py, then words for people.
  kprintf("schedbench: yield_round_trip_instructions=%llu (us -> pong -> us, mean of %d)\n",
          static_cast<unsigned long long>((t1 - t0) / kRounds), kRounds);
  sleep_ticks(2);  // pong exits
  // Wake latency: a tq_timer routine wakes us while the CPU idles.
  wb = WakeBench{};
  init_waitqueue_head(&wb.wq);
  wb.task.routine = bench_waker;
  queue_task(&wb.task, &tq_timer);
  wait_event(wb.wq, wb.flag);
  const uint64_t woke = cpu::rdtsc();
  const unsigned long woke_jiffies = jiffies;
  kprintf(
      "schedbench: wake_from_irq0_instructions=%llu wake_from_wake_up_instructions=%llu "
      "wake_same_tick=%d (from timer_irq's rdtsc, or the routine's, to the woken thread)\n",
      static_cast<unsigned long long>(woke - wb.tick_tsc),
      static_cast<unsigned long long>(woke - wb.wake_tsc), woke_jiffies == wb.wake_jiffies ? 1 : 0);
  return 0;
}

}  // namespace

SHELL_COMMAND(lostwakeup, "sleep_on|wait_event", "the lost-wakeup race of sleep_on, on purpose",
              cmd_lostwakeup);
SHELL_COMMAND(sleepcrash, "irq", "sleep in an interrupt handler on purpose (panics)",
              cmd_sleepcrash);
SHELL_COMMAND(assertcrash, "tick|pic", "break an 'interrupts off' contract on purpose (panics)",
              cmd_assertcrash);
SHELL_COMMAND(schedbench, "", "yield round trip and wake latency (exact under -icount)",
              cmd_schedbench);

}  // namespace quartz
