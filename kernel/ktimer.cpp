// The kernel's timers: the C API of quartz/timer.h instantiated from kernel/lib/timer_core.h
// with the real interrupt guard, the TIMER_BH part of the bottom half, /proc/timers and
// the `timers` command.
#include "kernel/ktimer.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/kallsyms.h"
#include "kernel/might_sleep.h"
#include "kernel/panic.h"
#include "kernel/procfs.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "kernel/trace.h"

namespace quartz {

TimerBase g_timer_base;

namespace {
struct KernelTimerHooks : TimerHooksBase {
  // The same identity as the task queues': (thread, interrupt depth). The bottom half
  // runs at depth 1 on whatever thread the tick interrupted and never switches threads.
  static uintptr_t context() {
    return tq_context_of(current_thread(), __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED));
  }
  static bool in_interrupt() { return quartz::in_interrupt(); }
  static unsigned long jiffies() { return ::jiffies; }
  // The function runs in another context (only possible on a thread's stack of bottom
  // halves, i.e. never on one CPU unless a function was preempted): let it finish.
  static void wait_while_running(const timer_list*) {
    might_sleep("del_timer_sync", __builtin_return_address(0));
    thread_yield();
  }
  static void assert_guard_held(const char* where) {
    if (cpu::interrupts_enabled()) [[unlikely]]
      panic("timers: %s called with interrupts on (the timer guard must be held)", where);
  }
  static void fault(const TimerFault& f) {
    char name[96];
    ksyms_describe(f.function, name, sizeof name);
    char msg[256];
    format_timer_fault(f, name, msg, sizeof msg);
    if (f.kind == TimerFaultKind::OwnFunction || f.kind == TimerFaultKind::SyncInInterrupt)
      panic("%s", msg);
    if (f.kind == TimerFaultKind::Shutdown) {  // Linux says nothing; we say it once
      kprintf("timer: info: %s\n", msg);
      return;
    }
    kprintf("timer: BUG: %s\n", msg);
    print_backtrace(cpu::frame_pointer());
  }
};
using KernelTimers = TimerCore<InterruptDisabler, KernelTimerHooks>;

// Trace points around each function, in the traced variant only.
struct TracingTimerHooks : KernelTimerHooks {
  static void step(TimerStep s, const timer_list* t) {
    if (s == TimerStep::AfterClaim)
      trace_event(TraceType::TimerStart,
                  trace_ptr(reinterpret_cast<void*>(g_timer_base.running_fn)), trace_ptr(t));
    else if (s == TimerStep::AfterFunction)
      trace_event(TraceType::TimerEnd, trace_ptr(reinterpret_cast<void*>(g_timer_base.running_fn)),
                  0);
  }
};
using TracingTimers = TimerCore<InterruptDisabler, TracingTimerHooks>;

constexpr size_t kListTimers = 32;

void show_timers(ProcFile* out, void*) {
  TimerInfo timers[kListTimers];
  TimerStats s;
  const unsigned long now = jiffies;
  const size_t armed = KernelTimers::snapshot(g_timer_base, timers, kListTimers, &s);
  char line[192];
  timer_detail::format_stats_line(s, now, line, sizeof line);
  proc_printf(out, "%s\n", line);
  const size_t shown = armed < kListTimers ? armed : kListTimers;
  for (size_t i = 0; i < shown; ++i) {
    char name[96];
    const bool named = ksyms_describe(timers[i].function, name, sizeof name) > 0;
    timer_detail::format_timer_line(timers[i], now, named ? name : nullptr, line, sizeof line);
    proc_printf(out, "%s\n", line);
  }
  if (armed > shown) proc_printf(out, "  ... and %u more\n", unsigned(armed - shown));
}

int cmd_timers(int argc, char**) {
  if (argc != 1) return shell_usage("timers");
  return proc_cat("timers");
}
}  // namespace

SHELL_COMMAND(timers, "", "kernel timers: armed ones by expiry and function, runs", cmd_timers);

void timers_init() {
  {
    InterruptDisabler guard;
    timer_detail::update_next(g_timer_base, jiffies);
  }
  proc_create("timers", show_timers, nullptr, nullptr);
}

void timers_bottom_half() { KernelTimers::run(g_timer_base); }
void timers_bottom_half_traced() { TracingTimers::run(g_timer_base); }

TimerFn timer_current_function() { return KernelTimers::current_function(g_timer_base); }

size_t timer_find_in_range(uintptr_t lo, uintptr_t hi, TimerRangeFn fn, void* ctx) {
  return KernelTimers::find_in_range(g_timer_base, lo, hi, fn, ctx);
}
size_t timer_disarm_in_range(uintptr_t lo, uintptr_t hi) {
  return KernelTimers::disarm_in_range(g_timer_base, lo, hi);
}

size_t timer_debug_free_range(uintptr_t lo, uintptr_t hi) {
  // With no timer armed and none running (the usual case) there is nothing to find. Plain
  // reads: a timer armed meanwhile inside the block being freed is the caller's bug.
  if (timers_idle()) return 0;
  // Collected under the guard, poisoned after (each poison takes the guard again).
  size_t total = 0;
  for (int round = 0; round < 64; ++round) {
    struct Collect {
      timer_list* out[8];
      size_t n;
    } c{{}, 0};
    KernelTimers::find_in_range(
        g_timer_base, lo, hi,
        [](void* ctx, const TimerRangeHit& hit) {
          auto* c = static_cast<Collect*>(ctx);
          if ((hit.what & kTimerHitTimer) && c->n < 8)
            c->out[c->n++] = const_cast<timer_list*>(hit.timer);
        },
        &c);
    if (!c.n) break;
    for (size_t i = 0; i < c.n; ++i) KernelTimers::poison(g_timer_base, c.out[i]);
    total += c.n;
  }
  // A function running elsewhere on a timer in the block is reported by poison too.
  if (timer_list* r = __atomic_load_n(&g_timer_base.running, __ATOMIC_RELAXED)) {
    const auto a = reinterpret_cast<uintptr_t>(r);
    if (a >= lo && a < hi) KernelTimers::poison(g_timer_base, r);
  }
  return total;
}

TimerStats timer_stats() { return KernelTimers::stats(g_timer_base); }

}  // namespace quartz

using quartz::g_timer_base;
using quartz::KernelTimers;

extern "C" {
void timer_setup(struct timer_list* timer, void (*fn)(struct timer_list*), unsigned int flags) {
  KernelTimers::setup(g_timer_base, timer, fn, flags);
}
void init_timer_data_form(struct timer_list* timer) {
  KernelTimers::init_data_form(g_timer_base, timer);
}
void add_timer(struct timer_list* timer) { KernelTimers::add(g_timer_base, timer); }
int mod_timer(struct timer_list* timer, unsigned long expires) {
  return KernelTimers::mod(g_timer_base, timer, expires);
}
int del_timer(struct timer_list* timer) { return KernelTimers::del(g_timer_base, timer); }
// No might_sleep up front: the core refuses interrupt context itself (a panic naming the
// function) and waits through the hook (which checks might_sleep) only when it must.
int del_timer_sync(struct timer_list* timer) {
  return KernelTimers::del_sync(g_timer_base, timer, false);
}
int timer_shutdown_sync(struct timer_list* timer) {
  return KernelTimers::del_sync(g_timer_base, timer, true);
}
int timer_pending(const struct timer_list* timer) { return KernelTimers::pending(timer) ? 1 : 0; }
}
