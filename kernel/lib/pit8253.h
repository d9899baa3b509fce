// The 8253/8254 programmable interval timer, channel 0, as pure logic over an injected
// port I/O type: the HZ range, the divisor, and the programming sequence.
//
// Contract: program() with interrupts off (the two divisor bytes must not be split by
// another access). Facts: Intel 8254 datasheet (control word 0x34 = channel 0, lobyte/
// hibyte access, mode 2 rate generator; input clock 1.193182 MHz).
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
constexpr uint16_t divisor_for(uint32_t hz) { return uint16_t((kInputHz + hz / 2) / hz); }
}  // namespace pit

template <class Io>
void pit_program(uint32_t hz) {
  const uint16_t d = pit::divisor_for(hz);
  Io::out8(pit::kCommand, pit::kCh0LoHiRateGen);
  Io::out8(pit::kChannel0, uint8_t(d & 0xFF));
  Io::out8(pit::kChannel0, uint8_t(d >> 8));
}

}  // namespace quartz
