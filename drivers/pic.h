// The PC's 8259A PIC pair, instantiated with real port I/O that checks the contract.
#pragma once
#include "kernel/lib/pic8259.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"

namespace quartz {

// Port I/O for the PIC that asserts "interrupts off" on every write to a data port: the
// mask (set_masked) and the initialisation words (remap), whose read-modify-write of the
// cached mask and multi-byte sequences an interrupt must not split. The command-port
// accesses (EOI, OCW3) come from the IRQ dispatcher under the interrupt gate, which
// cleared IF itself: checking them would add four instructions to every tick for a
// condition the CPU guarantees.
struct PicPortIo : cpu::PortIo {
  static void out8(uint16_t port, uint8_t v) {
    if (port == pic::kMasterData || port == pic::kSlaveData)
      assert_irqs_off("Pic8259 set_masked/remap (the PIC mask)");
    cpu::outb(port, v);
  }
};

extern Pic8259<PicPortIo> g_pic;  // interrupts off for every use (checked: PicPortIo)
}  // namespace quartz
