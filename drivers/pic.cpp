// The one instance of the PIC driver (logic in kernel/lib/pic8259.h).
#include "pic.h"
namespace quartz {
Pic8259<cpu::PortIo> g_pic;
}
