// In-kernel self-tests of tq_timer under real ticks: counting, requeueing, cancelling,
// held-off drains, interrupt state, nesting, debug checks, queues that are not globals,
// contexts and names. Tests only: the demos are in kernel/demo/tq_demos.cpp.
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/might_sleep.h"
#include "kernel/kallsyms.h"
#include "kernel/kheap.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "drivers/pic.h"

extern "C" void bench_nop_routine(void*);
#include "kernel/demo/tick_counter.h"

namespace quartz {
namespace {

SELFTEST(tq_self_requeue_counts_every_tick) {
  static Counter c;
  const TqStats before = tq_stats(&tq_timer);
  start_counter(c);
  wait_ticks(20);
  ST_EXPECT(cancel_task_sync(&c.task) == 1);
  const TqStats after = tq_stats(&tq_timer);
  // While the drain kept up (no delayed or skipped tick), the count equals the ticks.
  ST_EXPECT(after.delayed == before.delayed && after.skipped == before.skipped);
  ST_EXPECT(c.count >= 19);
  ST_EXPECT(c.count == c.last_jiffies - c.first_jiffies + 1);
  return true;
}

SELFTEST(tq_requeue_from_routine_lands_on_next_tick) {
  static Counter c;
  start_counter(c);
  wait_ticks(10);
  cancel_task_sync(&c.task);
  ST_EXPECT(c.count >= 8);
  for (int i = 1; i < 8; ++i) ST_EXPECT(c.seen[i] == c.seen[i - 1] + 1);
  return true;
}

SELFTEST(tq_cancel_sync_stops_a_self_requeuing_task) {
  static Counter c;
  start_counter(c);
  wait_ticks(3);
  ST_EXPECT(cancel_task_sync(&c.task) == 1);
  ST_EXPECT(!tq_is_pending(&c.task));
  const unsigned long frozen = c.count;
  wait_ticks(5);
  ST_EXPECT(c.count == frozen);
  ST_EXPECT(cancel_task_sync(&c.task) == 0);  // idle now
  return true;
}

SELFTEST(tq_held_off_drain_runs_routine_once) {
  // history §1 (docs/history.md): a drain held off across several ticks runs a self-requeuing routine
  // once, so its count falls behind the tick count; the skipped ticks are counted.
  static Counter c;
  start_counter(c);
  wait_ticks(2);
  const TqStats before = tq_stats(&tq_timer);
  const unsigned long count_before = c.count;
  bh_disable();
  wait_ticks(5);
  bh_enable();
  wait_ticks(2);
  cancel_task_sync(&c.task);
  const TqStats after = tq_stats(&tq_timer);
  ST_EXPECT(after.skipped - before.skipped >= 5);
  ST_EXPECT(c.count - count_before <= 3);  // 7+ ticks went by, at most 3 drains ran it
  ST_EXPECT(c.last_jiffies - c.first_jiffies + 1 - c.count >= 5);
  return true;
}

struct IrqState {
  tq_struct task;
  volatile bool ran, interrupts_on, in_irq;
};
void record_irq_state(void* data) {
  auto* s = static_cast<IrqState*>(data);
  s->interrupts_on = cpu::interrupts_enabled();
  s->in_irq = in_interrupt();
  s->ran = true;
}

SELFTEST(tq_routines_run_with_interrupts_on_in_interrupt_context) {
  static IrqState s;
  s = IrqState{};
  s.task.routine = record_irq_state;
  s.task.data = &s;
  ST_EXPECT(queue_task(&s.task, &tq_timer) == 1);
  ST_EXPECT(queue_task(&s.task, &tq_timer) == 0);  // already pending
  wait_ticks(2);
  ST_EXPECT(s.ran);
  ST_EXPECT(s.interrupts_on);  // documented: as in Linux, routines run with IF set
  ST_EXPECT(s.in_irq);         // ... but in interrupt context (they must not sleep)
  return true;
}

struct Spinner {
  tq_struct task;
  volatile int depth, max_depth, runs;
};
void spin_three_ticks(void* data) {
  auto* s = static_cast<Spinner*>(data);
  s->depth = s->depth + 1;
  if (s->depth > s->max_depth) s->max_depth = s->depth;
  s->runs = s->runs + 1;
  const unsigned long until = jiffies + 3;  // interrupts are on: ticks keep coming
  while (long(jiffies - until) < 0) {
  }
  s->depth = s->depth - 1;
}

SELFTEST(tq_tick_during_drain_never_nests) {
  static Spinner s;
  s = Spinner{};
  s.task.routine = spin_three_ticks;
  s.task.data = &s;
  const TqStats before = tq_stats(&tq_timer);
  queue_task(&s.task, &tq_timer);
  wait_ticks(6);
  const TqStats after = tq_stats(&tq_timer);
  ST_EXPECT(s.runs == 1);
  ST_EXPECT(s.max_depth == 1);
  ST_EXPECT(after.delayed - before.delayed >= 2);  // the ticks that arrived mid-drain
  ST_EXPECT(after.longest_drain > 0);
  return true;
}

struct Bulk {
  volatile unsigned long runs;
  volatile unsigned long first_jiffies;
  volatile bool all_same_tick;
};
Bulk bulk;
void bulk_routine(void*) {
  if (bulk.runs == 0)
    bulk.first_jiffies = jiffies;
  else if (jiffies != bulk.first_jiffies)
    bulk.all_same_tick = false;
  bulk.runs = bulk.runs + 1;
}

SELFTEST(tq_ten_thousand_tasks_run_in_one_drain) {
  constexpr int kTasks = 10000;
  auto* tasks = static_cast<tq_struct*>(kzalloc(sizeof(tq_struct) * kTasks));
  ST_EXPECT(tasks != nullptr);
  bulk = Bulk{0, 0, true};
  const TqStats before = tq_stats(&tq_timer);
  bh_disable();  // queue them all before any drain sees them
  for (int i = 0; i < kTasks; ++i) {
    tasks[i].routine = bulk_routine;
    if (queue_task(&tasks[i], &tq_timer) != 1) {
      bh_enable();
      ST_EXPECT(false);
    }
  }
  ST_EXPECT(tq_stats(&tq_timer).queued == before.queued + kTasks);
  bh_enable();
  wait_ticks(2);
  const TqStats after = tq_stats(&tq_timer);
  kfree(tasks);
  ST_EXPECT(bulk.runs == kTasks);
  ST_EXPECT(bulk.all_same_tick);
  ST_EXPECT(after.tasks_run - before.tasks_run == kTasks);
  ST_EXPECT(after.queued == before.queued);
  return true;
}

DECLARE_TASK_QUEUE(selftest_queue);

SELFTEST(tq_freed_or_corrupt_task_is_refused) {
  static tq_struct poisoned;
  __builtin_memset(static_cast<void*>(&poisoned), 0x6b,
                   sizeof poisoned);  // what kfree leaves behind
  poisoned.routine = bench_nop_routine;
  const unsigned long queued = tq_stats(&tq_timer).queued;
  ST_EXPECT(queue_task(&poisoned, &tq_timer) == 0);
  static tq_struct garbage;
  __builtin_memset(static_cast<void*>(&garbage), 0x5a, sizeof garbage);  // never initialised
  ST_EXPECT(queue_task(&garbage, &tq_timer) == 0);
  ST_EXPECT(tq_stats(&tq_timer).queued == queued);
  return true;
}

SELFTEST(tq_kfree_of_a_pending_task_is_caught) {
  auto* t = static_cast<tq_struct*>(kzalloc(sizeof(tq_struct)));
  ST_EXPECT(t != nullptr);
  t->routine = bench_nop_routine;
  const unsigned long ran = tq_stats(&selftest_queue).tasks_run;
  ST_EXPECT(queue_task(t, &selftest_queue) == 1);
  ST_EXPECT(tq_stats(&selftest_queue).queued == 1);
  kfree(t);  // reported as "free of an active task" and taken off the queue
  ST_EXPECT(tq_stats(&selftest_queue).queued == 0);
  run_task_queue(&selftest_queue);  // nothing left to run from freed memory
  ST_EXPECT(tq_stats(&selftest_queue).tasks_run == ran);
  return true;
}

// ---- queues that are not static globals; contexts; names ----

SELFTEST(tq_stack_queue_leaves_the_registry_when_emptied) {
  DECLARE_TASK_QUEUE(stack_queue);  // on this thread's stack: transient
  static tq_struct t;
  INIT_TQUEUE(&t, bench_nop_routine, nullptr);
  ST_EXPECT(queue_task(&t, &stack_queue) == 1);
  ST_EXPECT(stack_queue.registered);  // busy: visible to tq, kfree and the unloader
  run_task_queue(&stack_queue);
  ST_EXPECT(!stack_queue.registered);  // empty and idle: this frame may return now
  ST_EXPECT(queue_task(&t, &stack_queue) == 1);
  ST_EXPECT(cancel_task_sync(&t) == 1);
  ST_EXPECT(!stack_queue.registered);
  run_task_queue(&stack_queue);  // an empty drain does not register it
  ST_EXPECT(!stack_queue.registered);
  ST_EXPECT(queue_task(&t, &selftest_queue) == 1);
  run_task_queue(&selftest_queue);
  ST_EXPECT(selftest_queue.registered);  // a static queue stays, empty or not
  return true;
}

SELFTEST(tq_kfree_forgets_the_queues_in_the_block) {
  auto* idle = static_cast<task_queue*>(kzalloc(sizeof(task_queue)));
  auto* busy = static_cast<task_queue*>(kzalloc(sizeof(task_queue)));
  ST_EXPECT(idle && busy);
  idle->name = "selftest_idle";
  busy->name = "selftest_busy";
  static tq_struct a, b;
  INIT_TQUEUE(&a, bench_nop_routine, nullptr);
  INIT_TQUEUE(&b, bench_nop_routine, nullptr);
  ST_EXPECT(queue_task(&a, idle) == 1);
  run_task_queue(idle);
  ST_EXPECT(queue_task(&b, busy) == 1);
  kfree(idle);  // silently forgotten
  kfree(busy);  // "free of an active queue selftest_busy": b is taken off
  ST_EXPECT(!tq_is_pending(&b));
  // Every registry walk (this one is might_sleep's) would meet the 0x6b poison otherwise.
  ST_EXPECT(tq_current_routine() == nullptr);
  ST_EXPECT(queue_task(&b, &selftest_queue) == 1);
  run_task_queue(&selftest_queue);
  return true;
}

SELFTEST(tq_cancel_in_range_unlinks_without_waiting) {
  static tq_struct a, b;
  INIT_TQUEUE(&a, bench_nop_routine, nullptr);
  INIT_TQUEUE(&b, bench_nop_routine, nullptr);
  const unsigned long ran = tq_stats(&selftest_queue).tasks_run;
  ST_EXPECT(queue_task(&a, &selftest_queue) == 1);
  ST_EXPECT(queue_task(&b, &selftest_queue) == 1);
  const auto lo = reinterpret_cast<uintptr_t>(&a);
  ST_EXPECT(tq_cancel_in_range(lo, lo + sizeof a) == 1);
  ST_EXPECT(!tq_is_pending(&a) && tq_is_pending(&b));
  run_task_queue(&selftest_queue);
  ST_EXPECT(tq_stats(&selftest_queue).tasks_run == ran + 1);
  return true;
}

// A private queue drained by another thread, whose routine spins (that thread is
// preempted meanwhile): this thread may sleep, and cancelling waits for the routine.
struct ThreadDrain {
  task_queue queue;
  tq_struct task;
  volatile bool started, finished, exited;
};
ThreadDrain thread_drain;
void spin_five_ticks(void*) {
  thread_drain.started = true;
  const unsigned long until = jiffies + 5;
  while (long(jiffies - until) < 0) {
  }
  thread_drain.finished = true;
}
void drain_in_a_thread(void*) {
  run_task_queue(&thread_drain.queue);
  thread_drain.exited = true;
}

SELFTEST(tq_private_queue_drained_by_another_thread) {
  thread_drain.queue = task_queue{};
  thread_drain.queue.name = "selftest_thread_queue";
  thread_drain.started = false;
  thread_drain.finished = false;
  thread_drain.exited = false;
  INIT_TQUEUE(&thread_drain.task, spin_five_ticks, nullptr);
  ST_EXPECT(queue_task(&thread_drain.task, &thread_drain.queue) == 1);
  const unsigned slice = sched_slice();
  sched_set_slice(1);  // the spinning thread is preempted at every tick
  const bool created = thread_create("tqdrain", drain_in_a_thread, nullptr) != nullptr;
  bool ok = created;
  while (created && !thread_drain.started) thread_yield();
  ok = ok && tq_current_routine() == nullptr;  // it runs, but not in this thread
  sleep_ticks(1);                              // used to panic: "called from ... routine"
  ok = ok && !thread_drain.finished;
  ok = ok && cancel_task_sync(&thread_drain.task) == 0;  // waited; used to "deadlock"
  ok = ok && thread_drain.finished;
  while (created && !thread_drain.exited) sleep_ticks(1);
  sched_set_slice(slice);
  ST_EXPECT(ok);
  ST_EXPECT(tq_forget_queue(&thread_drain.queue));
  return true;
}

SELFTEST(tq_context_is_per_thread_and_interrupt_level) {
  const Thread* self = current_thread();
  ST_EXPECT(tq_context_of(self, 0) != tq_context_of(self, 1));
  ST_EXPECT(tq_context_of(self, 1) != tq_context_of(nullptr, 1));
  return true;
}

SELFTEST(tq_ksyms_describe_names_code_or_prints_the_address) {
  char buf[96];
  ksyms_describe(reinterpret_cast<uintptr_t>(bench_nop_routine), buf, sizeof buf);
  ST_EXPECT(str_eq(buf, "bench_nop_routine+0x0"));
  ksyms_describe(0x10, buf, sizeof buf);
  ST_EXPECT(str_eq(buf, "0x00000010"));
  char tiny[4];
  ST_EXPECT(ksyms_describe(0x10, tiny, sizeof tiny) == 10 && tiny[3] == 0);
  return true;
}

}  // namespace
}  // namespace quartz
