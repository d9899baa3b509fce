// The out-of-line half of kernel/irq.h: the tick's bottom-half flag and irq_exit while
// tracing is on.
#include "kernel/irq.h"

namespace quartz {

volatile bool g_tick_bh_pending = false;

void irq_detail::leave_traced(uint32_t vector) { leave<true>(vector); }

}  // namespace quartz
