// In-kernel self-tests of threads and wait queues under real interrupts, the lost-wakeup
// demonstration (`lostwakeup`), `sleepcrash`, `assertcrash`, and the scheduler benchmarks.
// A test waiting for a thread it started sleeps on a wait queue the thread wakes (never
// a sleep_ticks(1) polling loop: this kernel's lesson is wait queues).
#include <climits>

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "context.h"
#include "kallsyms.h"
#include "sched.h"
#include "selftest.h"
#include "shell.h"
#include "timer.h"
#include "tqueue.h"
#include "../drivers/pic.h"

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
  wait_queue_head_t done;  // woken when the thread is about to exit
  volatile bool flag;
  volatile bool exited;
};
ThreadWaker tw;
void waker_thread(void*) {
  sleep_ticks(3);
  tw.flag = true;
  wake_up(&tw.wq);
  tw.exited = true;
  wake_up(&tw.done);
}
void tw_init() {
  tw = ThreadWaker{};
  init_waitqueue_head(&tw.wq);
  init_waitqueue_head(&tw.done);
}

SELFTEST(sched_wake_from_another_thread) {
  tw_init();
  ST_EXPECT(thread_create("waker", waker_thread, nullptr) != nullptr);
  const unsigned long start = jiffies;
  wait_event(tw.wq, tw.flag);
  ST_EXPECT(tw.flag);
  ST_EXPECT(jiffies - start >= 3);
  wait_event(tw.done, tw.exited);
  return true;
}

// ---- wait_event_timeout ----
SELFTEST(sched_wait_event_timeout_expires_and_returns_early) {
  DECLARE_WAIT_QUEUE_HEAD(never);
  const unsigned long start = jiffies;
  const long left = wait_event_timeout(never, false, 5);
  ST_EXPECT(left == 0);
  ST_EXPECT(jiffies - start >= 5);
  tw_init();
  ST_EXPECT(thread_create("waker", waker_thread, nullptr) != nullptr);
  const long left2 = wait_event_timeout(tw.wq, tw.flag, 100);
  ST_EXPECT(left2 > 0 && left2 < 100);
  ST_EXPECT(tw.flag);
  wait_event(tw.done, tw.exited);
  return true;
}

// A timeout past what one deadline can reach (2^31 - 1 ticks) is waited in chunks: it
// must not read as "already expired". Woken after 3 ticks, it reports ticks left.
SELFTEST(sched_wait_event_timeout_past_the_horizon) {
  tw_init();
  ST_EXPECT(thread_create("waker", waker_thread, nullptr) != nullptr);
  const unsigned long start = jiffies;
  const long left = wait_event_timeout(tw.wq, tw.flag, ULONG_MAX);
  const unsigned long waited = jiffies - start;
  wait_event(tw.done, tw.exited);
  ST_EXPECT(tw.flag);
  ST_EXPECT(waited >= 3);
  ST_EXPECT(left == LONG_MAX);  // 2^32 - 1 - 3 ticks left: more than a long holds
  return true;
}

// ---- two sleepers on one queue ----
struct Pair {
  wait_queue_head_t wq;
  wait_queue_head_t progress;  // the test sleeps here; each sleeper wakes it at each step
  volatile bool go;
  int asleep, woken;           // atomic: two preemptible threads count
};
Pair pair;
void pair_sleeper(void*) {
  __atomic_add_fetch(&pair.asleep, 1, __ATOMIC_SEQ_CST);
  wake_up(&pair.progress);
  wait_event(pair.wq, pair.go);
  __atomic_add_fetch(&pair.woken, 1, __ATOMIC_SEQ_CST);
  wake_up(&pair.progress);
}
int pair_count(int* n) { return __atomic_load_n(n, __ATOMIC_SEQ_CST); }

SELFTEST(sched_two_sleepers_on_one_queue_both_wake) {
  pair = Pair{};
  init_waitqueue_head(&pair.wq);
  init_waitqueue_head(&pair.progress);
  ST_EXPECT(thread_create("sleeper-a", pair_sleeper, nullptr));
  ST_EXPECT(thread_create("sleeper-b", pair_sleeper, nullptr));
  wait_event(pair.progress, pair_count(&pair.asleep) == 2);
  sleep_ticks(1);  // a tick in which nobody wakes them: both stay asleep
  ST_EXPECT(pair_count(&pair.woken) == 0);
  pair.go = true;
  wake_up(&pair.wq);
  wait_event(pair.progress, pair_count(&pair.woken) == 2);
  ST_EXPECT(pair_count(&pair.woken) == 2);
  return true;
}

// ---- preemption: two busy threads that never yield both make progress ----
struct Busy {
  volatile bool stop;
  volatile unsigned long count[2];
  int done;  // atomic: both threads count
  wait_queue_head_t done_wq;
};
Busy busy;
void busy_thread(void* which) {
  const int i = int(reinterpret_cast<uintptr_t>(which));
  while (!busy.stop) busy.count[i] = busy.count[i] + 1;
  __atomic_add_fetch(&busy.done, 1, __ATOMIC_SEQ_CST);
  wake_up(&busy.done_wq);
}

SELFTEST(sched_preempts_busy_threads) {
  busy = Busy{};
  init_waitqueue_head(&busy.done_wq);
  const unsigned saved = sched_slice();
  sched_set_slice(2);
  ST_EXPECT(thread_create("busy-0", busy_thread, reinterpret_cast<void*>(0)));
  ST_EXPECT(thread_create("busy-1", busy_thread, reinterpret_cast<void*>(1)));
  sleep_ticks(20);  // we get back only because the tick preempts the busy threads
  busy.stop = true;
  wait_event(busy.done_wq, __atomic_load_n(&busy.done, __ATOMIC_SEQ_CST) == 2);
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

// ---- which threads execute in an address range (what rmmod must check) ----
struct ScanProbe {
  wait_queue_head_t wq, done;
  volatile bool asleep, go, exited;
};
ScanProbe sp;
// The probe thread sleeps in here: its return address into this function sits on its
// stack until it is woken.
[[gnu::noinline]] void scan_probe_sleep() {
  sp.asleep = true;
  wake_up(&sp.done);
  wait_event(sp.wq, sp.go);
}
void scan_probe_thread(void*) {
  scan_probe_sleep();
  sp.exited = true;
  wake_up(&sp.done);
}

// [lo, hi) of the kernel function starting at fn, from the symbol table.
bool function_bounds(const void* fn, uintptr_t* lo, uintptr_t* hi) {
  const auto start = reinterpret_cast<uintptr_t>(fn);
  const char* name;
  uint32_t off;
  if (!ksyms_lookup(start, &name, &off) || off != 0) return false;
  uintptr_t end = start;
  const char* at;
  while (ksyms_lookup(end, &at, &off) && at == name) ++end;
  *lo = start;
  *hi = end;
  return end > start;
}

struct ScanSeen {
  size_t calls;
  const Thread* t;
  uintptr_t addr;
};
void scan_record(void* ctx, const Thread& t, uintptr_t addr) {
  auto* s = static_cast<ScanSeen*>(ctx);
  ++s->calls;
  s->t = &t;
  s->addr = addr;
}
// Scans for the range of the function at fn; *seen gets the last thread reported.
size_t scan_function(const void* fn, ScanSeen* seen) {
  *seen = ScanSeen{};
  uintptr_t lo, hi;
  if (!function_bounds(fn, &lo, &hi)) return size_t(-1);
  const size_t n = threads_executing_in_range(lo, hi, scan_record, seen);
  if (seen->calls && (seen->addr < lo || seen->addr >= hi)) return size_t(-2);
  return n;
}
// The caller of the scan runs in here; it is never reported (it is the current thread).
[[gnu::noinline]] size_t scan_own_function(ScanSeen* seen) {
  return scan_function(reinterpret_cast<const void*>(scan_own_function), seen);
}
int cmd_schedbench(int argc, char**);

SELFTEST(sched_threads_executing_in_range) {
  sp = ScanProbe{};
  init_waitqueue_head(&sp.wq);
  init_waitqueue_head(&sp.done);
  Thread* probe = thread_create("scanprobe", scan_probe_thread, nullptr);
  ST_EXPECT(probe);
  wait_event(sp.done, sp.asleep);
  sleep_ticks(1);  // the probe, the only other runnable thread, goes on to its wait_event
  const bool probe_asleep = probe->sched.waiting_on == &sp.wq;
  ScanSeen in_probe, in_idle, in_bench, in_own;
  const size_t n_probe = scan_function(reinterpret_cast<const void*>(scan_probe_sleep), &in_probe);
  const size_t n_idle = scan_function(reinterpret_cast<const void*>(sched_idle_loop), &in_idle);
  const size_t n_bench = scan_function(reinterpret_cast<const void*>(cmd_schedbench), &in_bench);
  const size_t n_own = scan_own_function(&in_own);
  sp.go = true;
  wake_up(&sp.wq);
  wait_event(sp.done, sp.exited);
  sleep_ticks(1);  // it has exited (Dead): no longer executing anywhere
  ScanSeen after;
  const size_t n_after = scan_function(reinterpret_cast<const void*>(scan_probe_sleep), &after);
  ST_EXPECT(probe_asleep);
  ST_EXPECT(n_probe == 1 && in_probe.calls == 1 && in_probe.t == probe);
  ST_EXPECT(n_idle == 1 && in_idle.t && __builtin_strcmp(in_idle.t->name, "idle") == 0);
  ST_EXPECT(n_bench == 0 && in_bench.calls == 0);  // a function nobody is in
  ST_EXPECT(n_own == 0);                           // the caller itself is not scanned
  ST_EXPECT(n_after == 0);
  return true;
}

// ---- "interrupts off" contracts, broken on purpose ----
int cmd_assertcrash(int argc, char** argv) {
  if (argc != 2) return shell_usage("assertcrash");
  if (__builtin_strcmp(argv[1], "tick") == 0) {
    kprintf("assertcrash: the IRQ 0 tick's scheduler work, called from a thread with "
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
  kprintf("schedbench: wake_from_irq0_instructions=%llu wake_from_wake_up_instructions=%llu "
          "wake_same_tick=%d (from timer_irq's rdtsc, or the routine's, to the woken thread)\n",
          static_cast<unsigned long long>(woke - wb.tick_tsc),
          static_cast<unsigned long long>(woke - wb.wake_tsc),
          woke_jiffies == wb.wake_jiffies ? 1 : 0);
  return 0;
}

}  // namespace

SHELL_COMMAND(lostwakeup, "sleep_on|wait_event", "the lost-wakeup race of sleep_on, on purpose",
              cmd_lostwakeup);
SHELL_COMMAND(sleepcrash, "irq", "sleep in an interrupt handler on purpose (panics)", cmd_sleepcrash);
SHELL_COMMAND(assertcrash, "tick|pic", "break an 'interrupts off' contract on purpose (panics)",
              cmd_assertcrash);
SHELL_COMMAND(schedbench, "", "yield round trip and wake latency (exact under -icount)",
              cmd_schedbench);

}  // namespace quartz
