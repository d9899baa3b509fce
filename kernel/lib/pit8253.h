// The 8253/8254 programmable interval timer, channel 0, as pure logic over an injected
// port I/O type: the HZ range, the divisor, and the programming sequence.
//
// Contract: program() with interrupts off (the two divisor bytes must not be split by
// another access). Facts: Intel 8254 datasheet (control word 0x34 = channel 0, lobyte/
// hibyte access, mode 2 rate generator); the input clock is the PC board's, not the chip's:
// 14.31818 MHz / 12 = 105/88 MHz = 1193181.8 Hz (IBM PC Technical Reference).
#pragma once
#include <cstdint>

namespace quartz {

namespace pit {
constexpr uint32_t kInputHz = 1193182;
constexpr uint16_t kChannel0 = 0x40;
constexpr uint16_t kCommand = 0x43;
constexpr uint8_t kCh0LoHiRateGen = 0x34;
// The divisor is 16 bits (0 means 65536), which puts the floor at 19 Hz; above 1000 Hz
// an emulated machine spends most of its time in the tick.
constexpr uint32_t kMinHz = 19;
constexpr uint32_t kMaxHz = 1000;
constexpr uint32_t kDefaultHz = 100;

constexpr bool hz_valid(long long hz) { return hz >= kMinHz && hz <= kMaxHz; }
// Rounded to the nearest divisor.
constexpr uint16_t divisor_for(uint32_t hz) {
  // LAB(1) BEGIN: the channel-0 divisor for `hz`: kInputHz / hz, rounded to the nearest integer
  return uint16_t((kInputHz + hz / 2) / hz);
  // LAB(1) STUB: (void)hz;
  // LAB(1) STUB: return 0;
  // LAB(1) END
}
}  // namespace pit

template <class Io>
void pit_program(uint32_t hz) {
  const uint16_t d = pit::divisor_for(hz);
  // LAB(1) BEGIN: program channel 0: the control word to the command port, then the divisor's low byte and high byte
  Io::out8(pit::kCommand, pit::kCh0LoHiRateGen);
  Io::out8(pit::kChannel0, uint8_t(d & 0xFF));
  Io::out8(pit::kChannel0, uint8_t(d >> 8));
  // LAB(1) STUB: (void)d;
  // LAB(1) END
}

}  // namespace quartz
