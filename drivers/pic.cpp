// The one instance of the PIC driver (logic in kernel/lib/pic8259.h; the contract check
// in PicPortIo, drivers/pic.h).
#include "drivers/pic.h"
namespace quartz {
Pic8259<PicPortIo> g_pic;
}
