// The 8259A programmable interrupt controller pair as pure logic over an injected port
// I/O type, so host tests can record exactly what the chips would have been told.
//
// Contract: remap() at boot with interrupts off; eoi()/is_spurious() from IRQ handlers
// with interrupts off; set_mask() with interrupts off. Facts: Intel 8259A datasheet
// (ICW1-ICW4, OCW2 non-specific EOI = 0x20, OCW3 read ISR = 0x0B).
#pragma once
#include <cstdint>

namespace quartz {

namespace pic {
constexpr uint16_t kMasterCmd = 0x20, kMasterData = 0x21;
constexpr uint16_t kSlaveCmd = 0xA0, kSlaveData = 0xA1;
constexpr uint8_t kIcw1Init = 0x10, kIcw1Icw4 = 0x01;
constexpr uint8_t kIcw4_8086 = 0x01;
constexpr uint8_t kOcw2Eoi = 0x20;
constexpr uint8_t kOcw3ReadIsr = 0x0B;
constexpr int kCascadeIrq = 2;
}  // namespace pic

template <class Io>
class Pic8259 {
 public:
  // Moves IRQ 0-7 to `master_base` and 8-15 to `slave_base` (away from the CPU
  // exceptions at 0-31) and masks every line except the cascade.
  void remap(uint8_t master_base, uint8_t slave_base) {
    using namespace pic;
    Io::out8(kMasterCmd, kIcw1Init | kIcw1Icw4);
    Io::wait();
    Io::out8(kSlaveCmd, kIcw1Init | kIcw1Icw4);
    Io::wait();
    Io::out8(kMasterData, master_base);  // ICW2: vector offset
    Io::wait();
    Io::out8(kSlaveData, slave_base);
    Io::wait();
    Io::out8(kMasterData, 1u << kCascadeIrq);  // ICW3: slave on IRQ2
    Io::wait();
    Io::out8(kSlaveData, kCascadeIrq);  // ICW3: slave identity
    Io::wait();
    Io::out8(kMasterData, kIcw4_8086);
    Io::wait();
    Io::out8(kSlaveData, kIcw4_8086);
    Io::wait();
    mask_ = 0xFFFF & ~(1u << kCascadeIrq);
    write_mask();
  }

  void set_masked(int irq, bool masked) {
    if (irq < 0 || irq > 15) return;
    if (masked)
      mask_ |= uint16_t(1u << irq);
    else
      mask_ &= uint16_t(~(1u << irq));
    write_mask();
  }
  uint16_t mask() const { return mask_; }

  // IRQ 7 and 15 are where the 8259 reports a request that vanished before the CPU
  // acknowledged it. Such a spurious IRQ is not in the in-service register and must
  // not be acknowledged on its own chip, but a spurious IRQ 15 still took the cascade
  // line, so the master needs its EOI.
  bool is_spurious(int irq) {
    // LAB(2) BEGIN: IRQ 7/15: read the ISR with OCW3; spurious if its top bit is clear (a spurious 15 still EOIs the master)
    using namespace pic;
    if (irq == 7) {
      Io::out8(kMasterCmd, kOcw3ReadIsr);
      return (Io::in8(kMasterCmd) & 0x80) == 0;
    }
    if (irq == 15) {
      Io::out8(kSlaveCmd, kOcw3ReadIsr);
      if ((Io::in8(kSlaveCmd) & 0x80) == 0) {
        Io::out8(kMasterCmd, kOcw2Eoi);
        return true;
      }
    }
    return false;
    // LAB(2) STUB: (void)irq;
    // LAB(2) STUB: return false;
    // LAB(2) END
  }

  void eoi(int irq) {
    if (irq >= 8) Io::out8(pic::kSlaveCmd, pic::kOcw2Eoi);
    Io::out8(pic::kMasterCmd, pic::kOcw2Eoi);
  }

 private:
  void write_mask() {
    Io::out8(pic::kMasterData, uint8_t(mask_ & 0xFF));
    Io::out8(pic::kSlaveData, uint8_t(mask_ >> 8));
  }
  uint16_t mask_ = 0xFFFF;
};

}  // namespace quartz
