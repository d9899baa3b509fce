// The out-of-line half of kernel/irq.h: the tick's bottom-half flag.
#include "kernel/irq.h"

namespace quartz {

volatile bool g_tick_bh_pending = false;

}  // namespace quartz
