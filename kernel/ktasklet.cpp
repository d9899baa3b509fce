// The kernel's tasklets: the C API of quartz/interrupt.h (but mark_bh) instantiated from
// kernel/lib/tasklet_core.h with the real interrupt guard, the tasklet parts of the
// bottom half, /proc/tasklets and the `tasklets` command.
#include "kernel/ktasklet.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/bottom_half.h"
#include "kernel/console.h"
#include "kernel/kallsyms.h"
#include "kernel/might_sleep.h"
#include "kernel/panic.h"
#include "kernel/procfs.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/tq_kernel.h"
#include "kernel/trace.h"

namespace quartz {

TaskletBase g_tasklet_base;

namespace {
struct KernelTaskletHooks : TaskletHooksBase {
  static uintptr_t context() {
    return tq_context_of(current_thread(), __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED));
  }
  static bool in_interrupt() { return quartz::in_interrupt(); }
  // tasklet_kill waits for a scheduled tasklet to run (at the next irq_exit), or for a
  // function preempted in another thread: give the CPU away until then.
  static void wait(const tasklet_struct*) {
    might_sleep("tasklet_kill", __builtin_return_address(0));
    thread_yield();
  }
  static void assert_guard_held(const char* where) {
    if (cpu::interrupts_enabled()) [[unlikely]]
      panic("tasklets: %s called with interrupts on (the tasklet guard must be held)", where);
  }
  static void fault(const TaskletFault& f) {
    char name[96];
    ksyms_describe(f.function, name, sizeof name);
    char msg[256];
    format_tasklet_fault(f, name, msg, sizeof msg);
    if (f.kind == TaskletFaultKind::KillInInterrupt) panic("%s", msg);
    if (f.kind == TaskletFaultKind::ScheduledAfterKill) {
      kprintf("tasklet: info: %s\n", msg);
      return;
    }
    kprintf("tasklet: BUG: %s\n", msg);
    print_backtrace(cpu::frame_pointer());
  }
};
using KernelTasklets = TaskletCore<InterruptDisabler, KernelTaskletHooks>;

struct TracingTaskletHooks : KernelTaskletHooks {
  static void step(TaskletStep s, const tasklet_struct* t) {
    if (s == TaskletStep::AfterClaim)
      trace_event(TraceType::TaskletStart, uint32_t(g_tasklet_base.running_fn), trace_ptr(t));
    else if (s == TaskletStep::AfterFunction)
      trace_event(TraceType::TaskletEnd, uint32_t(g_tasklet_base.running_fn), 0);
  }
};
using TracingTasklets = TaskletCore<InterruptDisabler, TracingTaskletHooks>;

constexpr size_t kListTasklets = 32;

void show_tasklets(ProcFile* out, void*) {
  TaskletInfo ts[kListTasklets];
  TaskletStats s;
  const size_t n = KernelTasklets::snapshot(g_tasklet_base, ts, kListTasklets, &s);
  char line[192];
  tasklet_detail::format_stats_line(s, line, sizeof line);
  proc_printf(out, "%s\n", line);
  const size_t shown = n < kListTasklets ? n : kListTasklets;
  for (size_t i = 0; i < shown; ++i) {
    char name[96];
    const bool named = ksyms_describe(ts[i].function, name, sizeof name) > 0;
    tasklet_detail::format_tasklet_line(ts[i], named ? name : nullptr, line, sizeof line);
    proc_printf(out, "%s\n", line);
  }
  if (n > shown) proc_printf(out, "  ... and %u more\n", unsigned(n - shown));
}

int cmd_tasklets(int argc, char**) {
  if (argc != 1) return shell_usage("tasklets");
  return proc_cat("tasklets");
}
}  // namespace

SHELL_COMMAND(tasklets, "", "tasklets: scheduled ones, runs, delayed runs", cmd_tasklets);

void tasklets_init() { proc_create("tasklets", show_tasklets, nullptr, nullptr); }

void tasklets_bottom_half(bool hi, bool traced) {
  const int r =
      traced ? TracingTasklets::run(g_tasklet_base, hi) : KernelTasklets::run(g_tasklet_base, hi);
  if (r == KernelTasklets::kRefused) bh_mark(hi ? kBhTaskletHi : kBhTasklet);
}

uintptr_t tasklet_current_function() { return KernelTasklets::current_function(g_tasklet_base); }

size_t tasklet_find_in_range(uintptr_t lo, uintptr_t hi, TaskletRangeFn fn, void* ctx) {
  return KernelTasklets::find_in_range(g_tasklet_base, lo, hi, fn, ctx);
}
size_t tasklet_drop_in_range(uintptr_t lo, uintptr_t hi) {
  return KernelTasklets::drop_in_range(g_tasklet_base, lo, hi);
}

size_t tasklet_debug_free_range(uintptr_t lo, uintptr_t hi) {
  if (tasklets_idle()) return 0;  // the usual case: nothing to find
  size_t total = 0;
  for (int round = 0; round < 64; ++round) {
    struct Collect {
      tasklet_struct* out[8];
      size_t n;
    } c{{}, 0};
    KernelTasklets::find_in_range(
        g_tasklet_base, lo, hi,
        [](void* ctx, const TaskletRangeHit& hit) {
          auto* c = static_cast<Collect*>(ctx);
          if ((hit.what & (kTaskletHitTasklet | kTaskletHitAfterKill)) && c->n < 8)
            c->out[c->n++] = const_cast<tasklet_struct*>(hit.tasklet);
        },
        &c);
    // Only the tasklets whose memory is in the block (a record of one elsewhere whose
    // function is here is not this free's business).
    size_t mine = 0;
    for (size_t i = 0; i < c.n; ++i) {
      const auto a = reinterpret_cast<uintptr_t>(c.out[i]);
      if (a >= lo && a < hi) c.out[mine++] = c.out[i];
    }
    if (!mine) break;
    for (size_t i = 0; i < mine; ++i) KernelTasklets::poison(g_tasklet_base, c.out[i]);
    total += mine;
  }
  if (tasklet_struct* r = __atomic_load_n(&g_tasklet_base.running, __ATOMIC_RELAXED)) {
    const auto a = reinterpret_cast<uintptr_t>(r);
    if (a >= lo && a < hi) KernelTasklets::poison(g_tasklet_base, r);
  }
  return total;
}

}  // namespace quartz

using quartz::g_tasklet_base;
using quartz::KernelTasklets;

extern "C" {
void tasklet_init(struct tasklet_struct* t, void (*func)(unsigned long), unsigned long data) {
  KernelTasklets::init(g_tasklet_base, t, func, data);
}
void tasklet_setup(struct tasklet_struct* t, void (*callback)(struct tasklet_struct*)) {
  KernelTasklets::setup(g_tasklet_base, t, callback);
}
void tasklet_schedule(struct tasklet_struct* t) {
  if (KernelTasklets::schedule(g_tasklet_base, t, false)) quartz::bh_mark(quartz::kBhTasklet);
}
void tasklet_hi_schedule(struct tasklet_struct* t) {
  if (KernelTasklets::schedule(g_tasklet_base, t, true)) quartz::bh_mark(quartz::kBhTaskletHi);
}
void tasklet_kill(struct tasklet_struct* t) { KernelTasklets::kill(g_tasklet_base, t); }
void tasklet_disable(struct tasklet_struct* t) { KernelTasklets::disable(g_tasklet_base, t, true); }
void tasklet_disable_nosync(struct tasklet_struct* t) {
  KernelTasklets::disable(g_tasklet_base, t, false);
}
void tasklet_enable(struct tasklet_struct* t) {
  if (KernelTasklets::enable(g_tasklet_base, t))
    quartz::bh_mark((t->state & TASKLET_STATE_HI) ? quartz::kBhTaskletHi : quartz::kBhTasklet);
}
}
