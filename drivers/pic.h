// The PC's 8259A PIC pair, instantiated with real port I/O.
#pragma once
#include "pic8259.h"
#include "../kernel/arch/x86/cpu.h"

namespace quartz {
extern Pic8259<cpu::PortIo> g_pic;  // interrupts off for every use
}
