// Entering and leaving interrupt context: the generic kernel's side of every interrupt
// (Linux's irq_enter and irq_exit), so that the arch dispatcher knows no device, no
// bottom half, no tracing and no scheduler policy.
//
// Contract: the arch dispatcher calls irq_enter first for every vector, then exactly one
// exit: irq_exit after a hardware IRQ (its handler has returned and its EOI gone out, or
// it was spurious), exception_exit after a CPU exception's handler returned. All with
// interrupts off. mark_tick_bh from an IRQ handler, interrupts off. Inline, since every
// tick runs them (the empty tick's figure, tools/bench.py); irq.cpp holds the rest.
#pragma once
#include <cstdint>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/bottom_half.h"
#include "kernel/ktimer.h"
#include "kernel/sched.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "kernel/trace.h"

namespace quartz {

// Asks this interrupt's irq_exit to run the tick's bottom halves with interrupts on,
// once the handler has returned and the EOI has gone out, so that further ticks and other
// IRQs may arrive while the deferred work runs (Linux 2.2's mark_bh(TQUEUE_BH); the
// timers' TIMER_BH is decided there, by one compare against the cached earliest expiry).
// The timer's IRQ handler calls it at every tick. One instruction.
inline void mark_tick_bh() { bh_mark(kBhTqueue); }

// The arch dispatcher is a template on Traced, instantiated twice and chosen once per
// interrupt by g_trace_enabled: the plain build (tracing off) has no trace points on the
// hottest path, the traced one records entry, the tick, the drain's steps and exit.

// Entry: accounts the idle halt this interrupt ended, raises the nesting depth
// (in_interrupt()), records the entry when tracing.
template <bool Traced>
[[gnu::always_inline]] inline void irq_enter(uint32_t vector) {
  if (g_idle_halted) [[unlikely]]
    sched_account_idle();
  __atomic_add_fetch(&g_interrupt_depth, 1, __ATOMIC_RELAXED);  // one `incl`
  if constexpr (Traced) trace_event(TraceType::IrqEntry, vector, 0);
}

// After a hardware IRQ: runs the bottom half its handler marked, lowers the depth, and,
// leaving the outermost interrupt, switches threads if the interrupt woke one or used up
// the slice (the interrupted thread resumes here later and returns through iret).
template <bool Traced>
[[gnu::always_inline]] inline void irq_exit(uint32_t vector) {
  if (const uint32_t pending = g_bh_pending) {
    // Like Linux's bottom halves: the EOI has gone, so further ticks (and other IRQs)
    // may arrive while the deferred work runs. The work must cope with that. The mask is
    // cleared first: a tick nested in it marks, and runs, its own.
    g_bh_pending = 0;
    cpu::raw_sti();
    if constexpr (Traced) {
      if (pending & kBhTqueue) trace_event(TraceType::Tick, uint32_t(jiffies), 0);
      tq_timer_bottom_half_traced(pending);
    } else {
      tq_timer_bottom_half(pending);
    }
    cpu::raw_cli();
  }
  if constexpr (Traced) trace_event(TraceType::IrqExit, vector, 0);
  __atomic_sub_fetch(&g_interrupt_depth, 1, __ATOMIC_RELAXED);
  if (__atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) == 0 && *g_need_resched)
    sched_preempt_on_irq_exit();
}

// After a CPU exception whose handler returned: lowers the depth; no bottom half, no
// preemption (the exception may have hit anywhere, even the scheduler with interrupts off).
template <bool Traced>
[[gnu::always_inline]] inline void exception_exit(uint32_t vector) {
  if constexpr (Traced) trace_event(TraceType::IrqExit, vector, 0);
  __atomic_sub_fetch(&g_interrupt_depth, 1, __ATOMIC_RELAXED);
}

}  // namespace quartz
