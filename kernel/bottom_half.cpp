// The bottom-half layer's full path: every pending bit in Linux's order, bh_disable and
// bh_enable, and mark_bh for modules (see kernel/bottom_half.h for the contract).
#include "kernel/bottom_half.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/ktimer.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"

namespace quartz {

volatile uint32_t g_bh_held = 0;  // interrupts off to change

void bottom_half_slow(uint32_t pending, bool traced) {
  if (g_bh_held) {
    // Held off: the tick's drain is counted as skipped (as before the layer existed);
    // the rest stays pending for the first irq_exit after bh_enable.
    if (pending & kBhTqueue) tq_note_skipped_tick();
    if (const uint32_t keep = pending & ~kBhTqueue) bh_mark(keep);
    return;
  }
  // Linux's order: timers first (TIMER_BH 0), then tq_timer (TQUEUE_BH 1). A tick
  // marks only TQUEUE_BH; whether a timer is due is one compare here (ktimer.h).
  if ((pending & kBhTimer) || ((pending & kBhTqueue) && timer_due(jiffies))) {
    if (traced)
      timers_bottom_half_traced();
    else
      timers_bottom_half();
  }
  if (pending & kBhTqueue) tq_timer_drain(traced);
}

void bh_disable() {
  InterruptDisabler guard;
  g_bh_held = g_bh_held + kBhHeldOne;
}
void bh_enable() {
  InterruptDisabler guard;
  if (g_bh_held) g_bh_held = g_bh_held - kBhHeldOne;
}

}  // namespace quartz
