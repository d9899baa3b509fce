// The kernel's side of the <linux/...> headers (modules/compat/linux, built with
// tools/build-module.sh --linux): what the bottom half, the module loader and the
// unloader call into. The entry points modules call are in the files beside this one,
// one per area and generation: kernel_h (printk's helpers), tqueue22, wait22, proc
// (shared /proc glue), proc22, proc24, proc26, workqueue26 (2.6.19's work items on
// Quartz's). Types here are opaque: the Linux layouts live only in the compat files,
// which include the module headers.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quartz {
struct Thread;

// TQUEUE_BH, after tq_timer, when kBhLinux22Tq is set (interrupts on): drains Linux
// 2.2's tq_timer the way 2.2 did. A drain nested in another (a tick in a routine) does
// nothing; what was queued meanwhile runs at the next tick.
void linux22_tq_timer_drain();
// Calls fn for each 2.2 task still queued whose memory, routine or data is in [lo, hi),
// and for a 2.2 routine in [lo, hi) running right now. Returns how many. fn runs with
// interrupts on, after the scan.
size_t linux22_tq_find_in_range(uintptr_t lo, uintptr_t hi,
                                void (*fn)(void* ctx, const void* task, uintptr_t routine,
                                           bool running),
                                void* ctx);
// Takes every such queued task off Linux 2.2's tq_timer (a failed or faulted module's).
size_t linux22_tq_cancel_in_range(uintptr_t lo, uintptr_t hi);
// Calls fn for each thread asleep on a Linux 2.2 wait queue whose pointer lies in
// [lo, hi). Thread context.
void linux22_waiters_in_range(uintptr_t lo, uintptr_t hi, void (*fn)(void* ctx, const Thread& t),
                              void* ctx);
}  // namespace quartz
