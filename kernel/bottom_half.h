// The bottom-half layer: the mask of pending bottom halves an interrupt's irq_exit runs
// (Linux 2.2's bh_active/mark_bh), their order, and holding them off (bh_disable).
//
// Order, per irq_exit that finds bits pending (interrupts on, after the EOI):
//   TIMER_BH      due kernel timers (kernel/ktimer.cpp)
//   TQUEUE_BH     tq_timer, drained
//   IMMEDIATE_BH  tq_immediate, drained
//   tasklets      tasklet_hi_schedule'd ones, then tasklet_schedule'd ones
// Linux 2.2 ran its bottom halves in bit order, TIMER_BH (0) before TQUEUE_BH (1) before
// IMMEDIATE_BH (9) (kernel/softirq.c, do_bottom_half); Linux 2.4 kept the numbers and ran
// the old bottom halves from the HI_SOFTIRQ before TASKLET_SOFTIRQ (kernel/softirq.c,
// include/linux/interrupt.h). See docs/timers.md for the one way 2.4 differed.
//
// Contract:
//   mark_bh, bh_mark   any context; interrupts on or off. The bit runs at the next
//                      irq_exit (at the latest the next tick).
//   bh_disable/enable  any context; they nest. While held: ticks count jiffies, the
//                      tq_timer drain is skipped (counted), timers, tq_immediate and
//                      tasklets stay pending and run at the first irq_exit after the last
//                      bh_enable.
//   bottom_half*       irq_exit only, interrupts on.
// A tick nested in a bottom half (interrupts are on there) runs its own bottom half
// nested; each mechanism refuses to nest on itself (counted as `delayed`) and the outer
// one takes what became due meanwhile (timers) or leaves it for the next irq_exit.
#pragma once
#include <cstdint>

namespace quartz {

// Bits of g_bh_pending: Linux 2.4's bottom-half numbers (include/linux/interrupt.h:
// TIMER_BH 0, TQUEUE_BH 1, IMMEDIATE_BH 9), and the two tasklet softirqs as 16 and 17.
constexpr uint32_t kBhTimer = 1u << 0;
constexpr uint32_t kBhTqueue = 1u << 1;
constexpr uint32_t kBhImmediate = 1u << 9;
constexpr uint32_t kBhTaskletHi = 1u << 16;
constexpr uint32_t kBhTasklet = 1u << 17;

// Written with interrupts off (or by one atomic `or`); irq_exit takes and clears it.
extern volatile uint32_t g_bh_pending;
// bh_disable's nesting count, in units of kBhHeldOne (above every pending bit, so that
// the tick's fast path tests "only TQUEUE_BH, nothing held" with one compare of
// pending | g_bh_held): a count of one or more holds every bottom half off.
constexpr uint32_t kBhHeldOne = 1u << 24;
// One flag shares g_bh_held, below the count: Linux 2.2's own tq_timer (the --linux 2.2
// modules', kernel/compat/tqueue22.cpp) has tasks. The tick's fast path then fails the
// same one compare and takes the full path, which drains that queue after tq_timer; an
// empty 2.2 queue costs the empty tick nothing. Set and cleared with interrupts off.
constexpr uint32_t kBhLinux22Tq = 1u << 23;
extern volatile uint32_t g_bh_held;

// Any context: makes the next irq_exit run these bottom halves.
inline void bh_mark(uint32_t bits) { __atomic_or_fetch(&g_bh_pending, bits, __ATOMIC_RELAXED); }

// irq_exit's call: `pending` is what it took from g_bh_pending. The usual tick (only
// TQUEUE_BH, nothing held off) goes straight to the tq_timer drain (tq_kernel.cpp, where
// the drain is inlined: the empty tick's figure); anything else to bottom_half_slow.
// (`break quartz::tq_timer_bottom_half` in GDB stops at every tick's bottom half.)
void tq_timer_bottom_half(uint32_t pending);
void tq_timer_bottom_half_traced(uint32_t pending);
// Everything else: the full order above (bottom_half.cpp), then again for what the pass
// itself raised (at most 10 more passes, like Linux's softirq restart); `pending` 0 only
// looks for that.
void bottom_half_slow(uint32_t pending, bool traced);
// Non-zero while bottom_half_slow runs (nesting count).
extern volatile uint32_t g_bh_in_slow;

void bh_disable();
void bh_enable();
}  // namespace quartz
