// In-kernel self-tests of threads and wait queues under real interrupts, the lost-wakeup
// demonstration (`lostwakeup`), `sleepcrash`, and the scheduler benchmarks.
#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "context.h"
#include "sched.h"
#include "selftest.h"
#include "shell.h"
#include "timer.h"
#include "tqueue.h"

namespace quartz {
namespace {

// ---- wake from a task routine, on the same tick ----
struct RoutineWaker {
  tq_struct task;
  wait_queue_head_t wq;
  volatile bool flag;
  volatile unsigned long woke_at_jiffies;
};
RoutineWaker rw;
void wake_from_routine(void*) {
  rw.flag = true;
  rw.woke_at_jiffies = jiffies;
  wake_up(&rw.wq);
}

SELFTEST(sched_wake_from_task_routine_runs_same_tick) {
  rw = RoutineWaker{};
  init_waitqueue_head(&rw.wq);
  rw.task.routine = wake_from_routine;
  queue_task(&rw.task, &tq_timer);
  wait_event(rw.wq, rw.flag);
  // The waking interrupt switched straight to us: still the same tick.
  ST_EXPECT(jiffies == rw.woke_at_jiffies);
  return true;
}

// ---- sleeping, woken by the tick's timeout ----
SELFTEST(sched_sleep_ticks_wakes_on_time) {
  const unsigned long start = jiffies;
  sleep_ticks(5);
  const unsigned long slept = jiffies - start;
  ST_EXPECT(slept >= 5 && slept <= 6);
  return true;
}

// ---- wake from another thread ----
struct ThreadWaker {
  wait_queue_head_t wq;
  volatile bool flag;
  volatile bool exited;
};
ThreadWaker tw;
void waker_thread(void*) {
  sleep_ticks(3);
  tw.flag = true;
  wake_up(&tw.wq);
  tw.exited = true;
}

SELFTEST(sched_wake_from_another_thread) {
  tw = ThreadWaker{};
  init_waitqueue_head(&tw.wq);
  ST_EXPECT(thread_create("waker", waker_thread, nullptr) != nullptr);
  const unsigned long start = jiffies;
  wait_event(tw.wq, tw.flag);
  ST_EXPECT(tw.flag);
  ST_EXPECT(jiffies - start >= 3);
  while (!tw.exited) sleep_ticks(1);
  return true;
}

// ---- wait_event_timeout ----
SELFTEST(sched_wait_event_timeout_expires_and_returns_early) {
  DECLARE_WAIT_QUEUE_HEAD(never);
  const unsigned long start = jiffies;
  const long left = wait_event_timeout(never, false, 5);
  ST_EXPECT(left == 0);
  ST_EXPECT(jiffies - start >= 5);
  tw = ThreadWaker{};
  init_waitqueue_head(&tw.wq);
  ST_EXPECT(thread_create("waker", waker_thread, nullptr) != nullptr);
  const long left2 = wait_event_timeout(tw.wq, tw.flag, 100);
  ST_EXPECT(left2 > 0 && left2 < 100);
  ST_EXPECT(tw.flag);
  while (!tw.exited) sleep_ticks(1);
  return true;
}

// ---- two sleepers on one queue ----
struct Pair {
  wait_queue_head_t wq;
  volatile bool go;
  volatile int asleep, woken;
};
Pair pair;
void pair_sleeper(void*) {
  pair.asleep = pair.asleep + 1;
  wait_event(pair.wq, pair.go);
  pair.woken = pair.woken + 1;
}

SELFTEST(sched_two_sleepers_on_one_queue_both_wake) {
  pair = Pair{};
  init_waitqueue_head(&pair.wq);
  ST_EXPECT(thread_create("sleeper-a", pair_sleeper, nullptr));
  ST_EXPECT(thread_create("sleeper-b", pair_sleeper, nullptr));
  while (pair.asleep < 2) sleep_ticks(1);
  sleep_ticks(1);
  ST_EXPECT(pair.woken == 0);
  pair.go = true;
  wake_up(&pair.wq);
  while (pair.woken < 2) sleep_ticks(1);
  ST_EXPECT(pair.woken == 2);
  return true;
}

// ---- preemption: two busy threads that never yield both make progress ----
struct Busy {
  volatile bool stop;
  volatile unsigned long count[2];
  volatile int done;
};
Busy busy;
void busy_thread(void* which) {
  const int i = int(reinterpret_cast<uintptr_t>(which));
  while (!busy.stop) busy.count[i] = busy.count[i] + 1;
  busy.done = busy.done + 1;
}

SELFTEST(sched_preempts_busy_threads) {
  busy = Busy{};
  const unsigned saved = sched_slice();
  sched_set_slice(2);
  ST_EXPECT(thread_create("busy-0", busy_thread, reinterpret_cast<void*>(0)));
  ST_EXPECT(thread_create("busy-1", busy_thread, reinterpret_cast<void*>(1)));
  sleep_ticks(20);  // we get back only because the tick preempts the busy threads
  busy.stop = true;
  while (busy.done < 2) sleep_ticks(1);
  sched_set_slice(saved);
  ST_EXPECT(busy.count[0] > 0 && busy.count[1] > 0);
  return true;
}

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
  if (narrate) kprintf("lostwakeup: the routine saw the flag, called wake_up (nobody was "
                       "on the queue) and stopped requeuing itself\n");
  if (use_wait_event) {
    if (narrate) kprintf("lostwakeup: wait_event(wq, routine_done): queue first, then test\n");
    wait_event(lost.wq, lost.routine_done);
    return WakeReason::WakeUp;
  }
  if (narrate) kprintf("lostwakeup: sleep_on(wq): nobody will ever wake us...\n");
  return sleep_on_reason(&lost.wq);
}

SELFTEST(sched_lost_wakeup_sleep_on_hangs_wait_event_returns) {
  const unsigned long saved = sched_watchdog();
  sched_set_watchdog(20);
  const unsigned long releases = sched_watchdog_releases();
  const unsigned long start = jiffies;
  const WakeReason legacy = run_lost_wakeup(false, false);
  const unsigned long legacy_ticks = jiffies - start;
  const unsigned long start2 = jiffies;
  run_lost_wakeup(true, false);
  const unsigned long modern_ticks = jiffies - start2;
  sched_set_watchdog(saved);
  ST_EXPECT(legacy == WakeReason::Watchdog);  // only the watchdog got it out
  ST_EXPECT(sched_watchdog_releases() == releases + 1);
  ST_EXPECT(legacy_ticks >= 20);
  ST_EXPECT(modern_ticks <= 4);               // wait_event returned at once
  return true;
}

int cmd_lostwakeup(int argc, char** argv) {
  if (argc != 2) return shell_usage("lostwakeup");
  const bool use_wait_event = __builtin_strcmp(argv[1], "wait_event") == 0;
  if (!use_wait_event && __builtin_strcmp(argv[1], "sleep_on") != 0) return shell_usage("lostwakeup");
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
  kprintf("schedbench: yield round trip between two threads %llu instructions\n",
          static_cast<unsigned long long>((t1 - t0) / kRounds));
  sleep_ticks(2);  // pong exits
  // Wake latency: a tq_timer routine wakes us while the CPU idles.
  wb = WakeBench{};
  init_waitqueue_head(&wb.wq);
  wb.task.routine = bench_waker;
  queue_task(&wb.task, &tq_timer);
  wait_event(wb.wq, wb.flag);
  const uint64_t woke = cpu::rdtsc();
  const unsigned long woke_jiffies = jiffies;
  kprintf("schedbench: wake from IRQ 0 (its handler) to the woken thread running: %llu "
          "instructions (%llu from the routine's wake_up), %s\n",
          static_cast<unsigned long long>(woke - wb.tick_tsc),
          static_cast<unsigned long long>(woke - wb.wake_tsc),
          woke_jiffies == wb.wake_jiffies ? "same tick" : "a later tick");
  return 0;
}

}  // namespace

SHELL_COMMAND(lostwakeup, "sleep_on|wait_event", "the lost-wakeup race of sleep_on, on purpose",
              cmd_lostwakeup);
SHELL_COMMAND(sleepcrash, "irq", "sleep in an interrupt handler on purpose (panics)", cmd_sleepcrash);
SHELL_COMMAND(schedbench, "", "yield round trip and wake latency (exact under -icount)",
              cmd_schedbench);

}  // namespace quartz
