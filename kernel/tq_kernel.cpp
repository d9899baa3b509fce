// The kernel's task queues: tq_timer and the C API (queue_task, run_task_queue,
// cancel_task_sync) instantiated from kernel/lib/task_queue.h with the real interrupt
// guard; the tick's bottom half; the fault-recovery hook for drains; `tq` and /proc/tq.
#include "kernel/tq_kernel.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/bottom_half.h"
#include "kernel/console.h"
#include "kernel/might_sleep.h"
#include "kernel/kallsyms.h"
#include "kernel/ktimer.h"
#include "kernel/panic.h"
#include "kernel/procfs.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/trace.h"

extern "C" char boot_stack_bottom[], boot_stack_top[];

namespace quartz {

uintptr_t tq_context_of(const Thread* thread, uint32_t depth) {
  // Before the scheduler exists there is one context per interrupt level, the boot code
  // (which then becomes the idle thread; no drain spans that). Thread objects are far
  // bigger than any interrupt depth, so (thread, depth) pairs never collide.
  return (thread ? reinterpret_cast<uintptr_t>(thread) : 1) + depth;
}

namespace {
bool on_a_stack(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  return (a >= kStackAreaBase && a - kStackAreaBase < kStackAreaSize) ||
         (a >= reinterpret_cast<uintptr_t>(boot_stack_bottom) &&
          a < reinterpret_cast<uintptr_t>(boot_stack_top));
}

struct KernelTqHooks : TaskQueueHooksBase {
  static uint64_t now() { return cpu::rdtsc(); }
  // Per thread and per interrupt level: a queue drained by a preempted thread is not
  // "running here" for another thread, nor for an interrupt on top of it. (IRQ 0's
  // bottom half runs at depth 1 and never switches threads, so tq_timer's drain is one
  // context from start to end.)
  static uintptr_t context() {
    return tq_context_of(current_thread(), __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED));
  }
  // A queue on a thread's stack (or the boot stack) lives in a frame that will return.
  static bool transient(const task_queue* q) { return on_a_stack(q); }
  // The routine runs in another thread (a queue that thread drains; it was preempted):
  // let it run. Only now is this a blocking call, so only now is it checked as one: a
  // cancel that never has to wait stays legal anywhere (from a routine, for a task later
  // in the same batch). From an interrupt handler or a routine it panics, by name.
  static void wait_while_running(const tq_struct*) {
    might_sleep("cancel_task_sync", __builtin_return_address(0));
    thread_yield();
  }
  // Another thread drains the queue run_task_queue was asked to drain: a thread (not an
  // interrupt handler, which would wait for a thread it interrupted) yields until it is
  // done. Yielding keeps the caller runnable: no sleep, so even a routine of the caller's
  // own drain may do it.
  static bool may_wait_for_drain() {
    return __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) == 0 && current_thread();
  }
  static void wait_for_drain(const task_queue*) { thread_yield(); }
  // A drain of tq_timer on the tick's fast path that raised more bottom halves (a routine
  // scheduled a tasklet, marked IMMEDIATE_BH): run them in this pass, as Linux's softirq
  // loop would. Only after a drain that ran something, so the empty tick pays nothing;
  // inside the layer's full path its own restart loop does it (g_bh_in_slow).
  static void step(TqStep s, task_queue* q, const tq_struct*) {
    if (s == TqStep::AfterFinish && q == &tq_timer && g_bh_pending && !g_bh_in_slow &&
        __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) != 0)  // not a thread's drain
      bottom_half_slow(0, false);
  }
  // The guard of this instantiation is InterruptDisabler: held means interrupts off.
  static void assert_guard_held(const char* where) {
    if (cpu::interrupts_enabled()) [[unlikely]]
      panic("task queues: %s called with interrupts on (the queue guard must be held)", where);
  }
  static void fault(const TqFault& f) {
    char name[96];
    ksyms_describe(reinterpret_cast<uintptr_t>(f.routine), name, sizeof name);
    char msg[256];
    format_tq_fault(f, name, msg, sizeof msg);
    if (f.kind == TqFaultKind::OwnRoutine) panic("%s", msg);
    // Like Linux's debug-objects: report loudly, refuse the operation, keep running.
    kprintf("tq: BUG: %s\n", msg);
    print_backtrace(cpu::frame_pointer());
  }
};
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
        trace_event(TraceType::RoutineEnd, trace_ptr(reinterpret_cast<void*>(q->running_routine)),
                    0);
        break;
      case TqStep::AfterFinish:
        trace_event(TraceType::DrainEnd, trace_ptr(trace_intern(q->name)), 0);
        break;
      default:
        break;
    }
  }
};
using TracingTaskQueue = TaskQueue<InterruptDisabler, TracingTqHooks>;
}  // namespace

// The bottom half of (almost) every tick: only TQUEUE_BH pending and nothing held off,
// so straight to the drain (the empty tick's figure). Anything else takes the layer's
// full path (kernel/bottom_half.cpp), which comes back through tq_timer_drain.
void tq_timer_bottom_half(uint32_t pending) {
  if ((pending | g_bh_held) != kBhTqueue || timer_due(jiffies)) [[unlikely]] {
    bottom_half_slow(pending, false);
    return;
  }
  KernelTaskQueue::run(&tq_timer);
}

void tq_timer_bottom_half_traced(uint32_t pending) { bottom_half_slow(pending, true); }

void tq_timer_drain(bool traced) {
  if (traced)
    TracingTaskQueue::run(&tq_timer);
  else
    KernelTaskQueue::run(&tq_timer);
}

void tq_immediate_drain(bool traced) {
  // A drain of it already in progress (this bottom half nested on it): what was queued
  // waits for the next irq_exit, not for the next mark_bh.
  if (tq_immediate.draining) {
    bh_mark(kBhImmediate);
    return;
  }
  if (traced)
    TracingTaskQueue::run(&tq_immediate);
  else
    KernelTaskQueue::run(&tq_immediate);
}

void tq_note_skipped_tick() { KernelTaskQueue::note_skipped(&tq_timer, 1); }

namespace {
const Thread* process_context_drainer = nullptr;  // set once at boot
}

void (*tq_current_routine())(void*) {
  if (process_context_drainer && current_thread() == process_context_drainer &&
      __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) == 0)
    return nullptr;  // keventd: process context
  return KernelTaskQueue::current_routine();
}
void (*tq_routine_running_here())(void*) { return KernelTaskQueue::current_routine(); }
void tq_set_process_context_drainer(const Thread* thread) { process_context_drainer = thread; }

size_t tq_find_in_range(uintptr_t lo, uintptr_t hi, TqRangeFn fn, void* ctx) {
  return KernelTaskQueue::find_in_range(lo, hi, fn, ctx);
}
size_t tq_collect_in_range(uintptr_t lo, uintptr_t hi, unsigned what, tq_struct** out, size_t cap) {
  struct Collect {
    unsigned what;
    tq_struct** out;
    size_t cap, n;
  } c{what, out, cap, 0};
  KernelTaskQueue::find_in_range(
      lo, hi,
      [](void* ctx, const TqRangeHit& hit) {
        auto* c = static_cast<Collect*>(ctx);
        if ((hit.what & c->what) && hit.task && c->n < c->cap)
          c->out[c->n++] = const_cast<tq_struct*>(hit.task);
      },
      &c);
  return c.n;
}
size_t tq_forget_queues_in_range(uintptr_t lo, uintptr_t hi) {
  return KernelTaskQueue::forget_queues_in_range(lo, hi);
}
size_t tq_cancel_in_range(uintptr_t lo, uintptr_t hi) {
  return KernelTaskQueue::cancel_in_range(lo, hi);
}
size_t tq_free_queues_in_range(uintptr_t lo, uintptr_t hi) {
  return KernelTaskQueue::free_queues_in_range(lo, hi);
}

bool tq_range_matters(uintptr_t lo, uintptr_t hi) { return KernelTaskQueue::range_matters(lo, hi); }
bool tq_is_pending(const tq_struct* task) { return KernelTaskQueue::is_pending(task); }
TqStats tq_stats(const task_queue* q) { return KernelTaskQueue::stats(q); }
bool tq_forget_queue(task_queue* q) { return KernelTaskQueue::forget_queue(q); }

namespace {
void show_line(void* out, const char* line) {
  proc_printf(static_cast<ProcFile*>(out), "%s\n", line);
}

// Every queue the kernel has seen: statistics, then the queued tasks, cut with
// "... and N more" past the listing's limits. Each queue is copied under the guard
// first; nothing walks a live list with interrupts on.
void show_tq(ProcFile* out, void*) { KernelTaskQueue::list(show_line, out, ksyms_describe); }

// A fault in a thread that is being returned to its recovery point (fault.h): the
// drains that thread was running at thread level are given up, or the queues would stay
// "draining" for good (and the next sleep anywhere would blame their routine). Runs in
// the fault path: interrupts off, on the faulting thread, g_interrupt_depth still 1.
void abandon_faulting_drains(const InterruptFrame& frame) {
  TqAbandoned gone[4];
  const size_t n = KernelTaskQueue::abandon_drains(tq_context_of(current_thread(), 0), gone, 4);
  for (size_t i = 0; i < n && i < 4; ++i) {
    char where[96];
    ksyms_describe(gone[i].routine ? reinterpret_cast<uintptr_t>(gone[i].routine) : frame.eip,
                   where, sizeof where);
    const char* qname = gone[i].queue->name ? gone[i].queue->name : "(unnamed)";
    kprintf("tq: drain of %s abandoned after a fault in %s; %lu tasks %s\n", qname, where,
            gone[i].tasks, gone[i].dropped ? "dropped with its stack frame" : "requeued");
  }
  if (n > 4) kprintf("tq: ... and %u more drains abandoned\n", unsigned(n - 4));
}

int cmd_tq(int argc, char**) {
  if (argc != 1) return shell_usage("tq");
  return proc_cat("tq");
}
}  // namespace

SHELL_COMMAND(tq, "", "task queues: length, tasks, drains, longest drain", cmd_tq);

void tqueue_init() {
  KernelTaskQueue::register_queue(&tq_timer);
  KernelTaskQueue::register_queue(&tq_immediate);
  proc_create("tq", show_tq, nullptr, nullptr);
  fault_add_recovery_hook(abandon_faulting_drains);
}

}  // namespace quartz

using quartz::KernelTaskQueue;

extern "C" {
DECLARE_TASK_QUEUE(tq_timer);
DECLARE_TASK_QUEUE(tq_immediate);

int queue_task(struct tq_struct* task, task_queue* queue) {
  if (task)
    quartz::trace(quartz::TraceType::QueueTask, quartz::trace_ptr(task),
                  quartz::trace_ptr(reinterpret_cast<void*>(task->routine)));
  return KernelTaskQueue::queue_task(task, queue);
}
void run_task_queue(task_queue* queue) { KernelTaskQueue::run(queue); }
// No might_sleep() up front: most cancels never wait (the task is pending or idle), and
// those are legal even from a routine (a task later in the same batch). The core calls
// wait_while_running, which checks might_sleep, only when the routine runs in another
// thread and there really is something to wait for. The call that could never return,
// from the routine's own context, is caught by the core (a panic: deadlock).
int cancel_task_sync(struct tq_struct* task) { return KernelTaskQueue::cancel_sync(task); }
void tq_debug_mark_freed(struct tq_struct* task) { KernelTaskQueue::poison(task); }
}
