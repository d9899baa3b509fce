// The out-of-line half of kernel/irq.h: the mask of pending bottom halves.
#include "kernel/irq.h"

namespace quartz {

volatile uint32_t g_bh_pending = 0;

}  // namespace quartz
