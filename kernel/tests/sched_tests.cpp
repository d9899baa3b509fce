// In-kernel self-tests of threads and wait queues under real interrupts: wakeups from
// routines, threads and timeouts, preemption, the lost wakeup, and the scan for threads
// executing in a range. A test waiting for a thread it started sleeps on a wait queue
// the thread wakes (never a sleep_ticks(1) polling loop: this kernel's lesson is wait
// queues). Tests only: the demos are in kernel/demo/sched_demos.cpp.
#include "kernel/lib/kstring.h"
#include <climits>

#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/might_sleep.h"
#include "kernel/kallsyms.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "drivers/pic.h"
#include "kernel/demo/lost_wakeup.h"

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
  int asleep, woken;  // atomic: two preemptible threads count
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
  ST_EXPECT(modern_ticks <= 4);  // wait_event returned at once
  return true;
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
// A function nobody runs: the scan must find no thread in it.
[[gnu::noinline]] void never_running() { asm volatile("" ::: "memory"); }

// What a fault recovery hook uses to give back a lock the faulting thread held.
SELFTEST(sched_mutex_release_after_fault_only_the_holders) {
  static DEFINE_MUTEX(fault_test_lock);
  ST_EXPECT(!mutex_release_after_fault(&fault_test_lock));  // not held: nothing to do
  mutex_lock(&fault_test_lock);
  ST_EXPECT(mutex_held_by_current(&fault_test_lock));
  ST_EXPECT(mutex_release_after_fault(&fault_test_lock));
  ST_EXPECT(!mutex_is_locked(&fault_test_lock));
  ST_EXPECT(!mutex_held_by_current(&fault_test_lock));
  return true;
}

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
  const size_t n_bench = scan_function(reinterpret_cast<const void*>(never_running), &in_bench);
  const size_t n_own = scan_own_function(&in_own);
  sp.go = true;
  wake_up(&sp.wq);
  wait_event(sp.done, sp.exited);
  sleep_ticks(1);  // it has exited (Dead): no longer executing anywhere
  ScanSeen after;
  const size_t n_after = scan_function(reinterpret_cast<const void*>(scan_probe_sleep), &after);
  ST_EXPECT(probe_asleep);
  ST_EXPECT(n_probe == 1 && in_probe.calls == 1 && in_probe.t == probe);
  ST_EXPECT(n_idle == 1 && in_idle.t && str_eq(in_idle.t->name, "idle"));
  ST_EXPECT(n_bench == 0 && in_bench.calls == 0);  // a function nobody is in
  ST_EXPECT(n_own == 0);                           // the caller itself is not scanned
  ST_EXPECT(n_after == 0);
  return true;
}

}  // namespace
}  // namespace quartz
