// The bottom-half layer's full path: every pending bit in Linux's order, bh_disable and
// bh_enable, and mark_bh for modules (see kernel/bottom_half.h for the contract).
#include "kernel/bottom_half.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/ktasklet.h"
#include "kernel/compat/compat.h"
#include "kernel/ktimer.h"
#include <quartz/interrupt.h>
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"

namespace quartz {

volatile uint32_t g_bh_held = 0;  // interrupts off to change

namespace {
// At most this many passes again per irq_exit for work raised by the bottom half itself
// (Linux's __do_softirq: MAX_SOFTIRQ_RESTART, 10); the rest waits for the next irq_exit.
constexpr int kMaxRestarts = 10;

void one_pass(uint32_t pending, bool traced) {
  // Linux's order: timers first (TIMER_BH 0), then tq_timer (TQUEUE_BH 1). A tick
  // marks only TQUEUE_BH; whether a timer is due is one compare here (ktimer.h).
  if ((pending & kBhTimer) || ((pending & kBhTqueue) && timer_due(jiffies))) {
    if (traced)
      timers_bottom_half_traced();
    else
      timers_bottom_half();
  }
  if (pending & kBhTqueue) {
    tq_timer_drain(traced);
    if (g_bh_held & kBhLinux22Tq) linux22_tq_timer_drain();  // 2.2's tq_timer, same bottom half
  }
  // Linux 2.4's IMMEDIATE_BH (9): tq_immediate, drained.
  if (pending & kBhImmediate) tq_immediate_drain(traced);
  // Then the tasklets: hi ones first (Linux's HI_SOFTIRQ before TASKLET_SOFTIRQ).
  if (pending & kBhTaskletHi) tasklets_bottom_half(true, traced);
  if (pending & kBhTasklet) tasklets_bottom_half(false, traced);
}
}  // namespace

volatile uint32_t g_bh_in_slow = 0;

void bottom_half_slow(uint32_t pending, bool traced) {
  struct InSlow {  // nests: a tick's bottom half on top of this one
    InSlow() { g_bh_in_slow = g_bh_in_slow + 1; }
    ~InSlow() { g_bh_in_slow = g_bh_in_slow - 1; }
  } in_slow;
  for (int pass = 0;; ++pass) {
    if (g_bh_held >= kBhHeldOne) {  // (below the count: kBhLinux22Tq, not a hold)
      // Held off: the tick's drain is counted as skipped (as before the layer existed);
      // the rest stays pending for the first irq_exit after bh_enable.
      if (pending & kBhTqueue) tq_note_skipped_tick();
      if (const uint32_t keep = pending & ~kBhTqueue) bh_mark(keep);
      return;
    }
    if (pending) one_pass(pending, traced);
    // What this pass raised (a timer scheduling a tasklet, a routine marking
    // IMMEDIATE_BH) runs now, as Linux's softirq loop restarts, not an irq_exit later.
    // (A tick nested in the pass took its own bits at its own irq_exit.)
    {
      InterruptDisabler guard;
      pending = g_bh_pending;
      if (!pending || pass == kMaxRestarts) return;
      g_bh_pending = 0;
    }
  }
}

}  // namespace quartz

// Linux 2.4's mark_bh for modules: TIMER_BH, TQUEUE_BH and IMMEDIATE_BH exist here.
extern "C" void mark_bh(int nr) {
  using namespace quartz;
  switch (nr) {
    case TIMER_BH:
      bh_mark(kBhTimer);
      return;
    case TQUEUE_BH:
      bh_mark(kBhTqueue);
      return;
    case IMMEDIATE_BH:
      bh_mark(kBhImmediate);
      return;
    default:
      kprintf("mark_bh: no bottom half %d in Quartz (TIMER_BH 0, TQUEUE_BH 1, IMMEDIATE_BH 9)\n",
              nr);
  }
}

namespace quartz {

void bh_disable() {
  InterruptDisabler guard;
  g_bh_held = g_bh_held + kBhHeldOne;
}
void bh_enable() {
  InterruptDisabler guard;
  if (g_bh_held >= kBhHeldOne) g_bh_held = g_bh_held - kBhHeldOne;
}

}  // namespace quartz
