// The kernel's task queues: tq_timer and the C API (queue_task, run_task_queue,
// cancel_task_sync) instantiated from kernel/lib/task_queue.h with the real interrupt
// guard; the tick's bottom half; the `tq` command and /proc/tq.
#include "tqueue.h"
#include "arch/x86/cpu.h"
#include "arch/x86/fault.h"
#include "arch/x86/idt.h"
#include "arch/x86/irq_guard.h"
#include "console.h"
#include "kallsyms.h"
#include "panic.h"
#include "procfs.h"
#include "shell.h"
#include "timer.h"
#include "trace.h"

namespace quartz {
namespace {
struct KernelTqHooks : TaskQueueHooksBase {
  static uint64_t now() { return cpu::rdtsc(); }
  // One CPU, and the tick's bottom half never switches threads: while a routine runs,
  // nothing else does, so one context is exact.
  static uintptr_t context() { return 1; }
  static void wait_while_running(const tq_struct*) {}
  static void fault(const TqFault& f) {
    const char* name = nullptr;
    uint32_t off;
    if (f.routine) ksyms_lookup(reinterpret_cast<uintptr_t>(f.routine), &name, &off);
    char msg[192];
    format_tq_fault(f, name, msg, sizeof msg);
    if (f.kind == TqFaultKind::OwnRoutine) panic("%s", msg);
    // Like Linux's debug-objects: report loudly, refuse the operation, keep running.
    kprintf("tq: BUG: %s\n", msg);
    print_backtrace(cpu::frame_pointer());
  }
};
volatile uint32_t bh_disable_count = 0;  // interrupts off to change
}  // namespace

using KernelTaskQueue = TaskQueue<InterruptDisabler, KernelTqHooks>;

namespace {
// The same queue with trace points at each step of a drain, used only while tracing:
// the plain drain keeps no trace points (they would cost every task an instruction or
// two). Both share the queues (the registry is per guard type).
struct TracingTqHooks : KernelTqHooks {
  static void step(TqStep s, task_queue* q, const tq_struct* t) {
    switch (s) {
      case TqStep::AfterTakeover:
        trace_event(TraceType::DrainStart, trace_ptr(trace_intern(q->name)), 0);
        break;
      case TqStep::AfterClaim:
        trace_event(TraceType::RoutineStart, trace_ptr(reinterpret_cast<void*>(q->running_routine)),
                    trace_ptr(t));
        break;
      case TqStep::AfterRoutine:
        trace_event(TraceType::RoutineEnd, trace_ptr(reinterpret_cast<void*>(q->running_routine)), 0);
        break;
      case TqStep::AfterFinish:
        trace_event(TraceType::DrainEnd, trace_ptr(trace_intern(q->name)), 0);
        break;
      default: break;
    }
  }
};
using TracingTaskQueue = TaskQueue<InterruptDisabler, TracingTqHooks>;
}  // namespace

void tq_timer_bottom_half() {
  if (bh_disable_count) [[unlikely]] {
    KernelTaskQueue::note_skipped(&tq_timer, 1);
    return;
  }
  KernelTaskQueue::run(&tq_timer);
}

void tq_timer_bottom_half_traced() {
  if (bh_disable_count) {
    KernelTaskQueue::note_skipped(&tq_timer, 1);
    return;
  }
  TracingTaskQueue::run(&tq_timer);
}

void bh_disable() {
  InterruptDisabler guard;
  bh_disable_count = bh_disable_count + 1;
}
void bh_enable() {
  InterruptDisabler guard;
  if (bh_disable_count) bh_disable_count = bh_disable_count - 1;
}

void (*tq_current_routine())(void*) { return KernelTaskQueue::current_routine(); }

size_t tq_find_in_range(uintptr_t lo, uintptr_t hi, TqRangeFn fn, void* ctx) {
  return KernelTaskQueue::find_in_range(lo, hi, fn, ctx);
}

bool tq_is_pending(const tq_struct* task) { return KernelTaskQueue::is_pending(task); }
TqStats tq_stats(const task_queue* q) { return KernelTaskQueue::stats(q); }
bool tq_forget_queue(task_queue* q) { return KernelTaskQueue::forget_queue(q); }

namespace {
void print_routine(ProcFile* out, void (*routine)(void*)) {
  const char* name;
  uint32_t off;
  if (routine && ksyms_lookup(reinterpret_cast<uintptr_t>(routine), &name, &off))
    proc_printf(out, "%s+0x%x", name, off);
  else
    proc_printf(out, "%p", reinterpret_cast<void*>(routine));
}

// Shows every queue the kernel has seen: statistics, then the queued tasks. The lists
// are copied under the guard first; nothing walks a live list with interrupts on.
void show_tq(ProcFile* out, void*) {
  constexpr size_t kMaxQueues = 16, kMaxShown = 32;
  task_queue* queues[kMaxQueues];
  const size_t nq = KernelTaskQueue::queues(queues, kMaxQueues);
  for (size_t i = 0; i < nq; ++i) {
    TqTaskInfo tasks[kMaxShown];
    TqStats s;
    const size_t n = KernelTaskQueue::snapshot(queues[i], tasks, kMaxShown, &s);
    proc_printf(out, "%s: %lu queued, %lu drains, %lu tasks run, longest drain %llu tsc, "
                "%lu delayed, %lu skipped ticks%s\n",
                s.name ? s.name : "(unnamed)", s.queued, s.drains, s.tasks_run,
                static_cast<unsigned long long>(s.longest_drain), s.delayed, s.skipped,
                s.draining ? " (draining)" : "");
    for (size_t t = 0; t < n; ++t) {
      proc_printf(out, "  %p ", static_cast<const void*>(tasks[t].task));
      print_routine(out, tasks[t].routine);
      proc_printf(out, " data=%p%s\n", tasks[t].data, tasks[t].in_batch ? " (in this drain)" : "");
    }
    if (s.queued > n) proc_printf(out, "  ... and %lu more\n", s.queued - n);
  }
}

int cmd_tq(int argc, char**) {
  if (argc != 1) return shell_usage("tq");
  return proc_cat("tq");
}
}  // namespace

SHELL_COMMAND(tq, "", "task queues: length, tasks, drains, longest drain", cmd_tq);

void tqueue_init() {
  KernelTaskQueue::register_queue(&tq_timer);
  proc_create("tq", show_tq, nullptr, nullptr);
}

}  // namespace quartz

using quartz::KernelTaskQueue;

extern "C" {
DECLARE_TASK_QUEUE(tq_timer);

int queue_task(struct tq_struct* task, task_queue* queue) {
  if (task) quartz::trace(quartz::TraceType::QueueTask, quartz::trace_ptr(task),
                          quartz::trace_ptr(reinterpret_cast<void*>(task->routine)));
  return KernelTaskQueue::queue_task(task, queue);
}
void run_task_queue(task_queue* queue) { KernelTaskQueue::run(queue); }
// No might_sleep() here: on one CPU a routine never runs while a thread does (the
// bottom half does not switch threads), so cancelling never has to wait. The one call
// that could never return, from the task's own routine, is caught by the core.
int cancel_task_sync(struct tq_struct* task) {
  return KernelTaskQueue::cancel_sync(task);
}
void tq_debug_mark_freed(struct tq_struct* task) { KernelTaskQueue::poison(task); }
}
