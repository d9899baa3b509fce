// Host tests of the 8259 PIC and 8254 PIT logic against a recording fake port I/O.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "kernel/lib/pic8259.h"
#include "kernel/lib/pit8253.h"

namespace quartz {
namespace {

struct FakeIo {
  static inline std::vector<std::pair<uint16_t, uint8_t>> writes;
  static inline uint8_t master_isr = 0, slave_isr = 0;
  static inline uint8_t last_ocw3[2] = {0, 0};
  static void out8(uint16_t port, uint8_t v) {
    writes.emplace_back(port, v);
    if (port == pic::kMasterCmd) last_ocw3[0] = v;
    if (port == pic::kSlaveCmd) last_ocw3[1] = v;
  }
  static uint8_t in8(uint16_t port) {
    if (port == pic::kMasterCmd && last_ocw3[0] == pic::kOcw3ReadIsr) return master_isr;
    if (port == pic::kSlaveCmd && last_ocw3[1] == pic::kOcw3ReadIsr) return slave_isr;
    return 0;
  }
  static void wait() {}
  static void reset() {
    writes.clear();
    master_isr = slave_isr = 0;
  }
};

using W = std::vector<std::pair<uint16_t, uint8_t>>;

TEST(Pic8259, RemapSendsIcwSequenceAndMasksAllButCascade) {
  FakeIo::reset();
  Pic8259<FakeIo> p;
  p.remap(0x20, 0x28);
  const W expected = {{0x20, 0x11}, {0xA0, 0x11}, {0x21, 0x20}, {0xA1, 0x28}, {0x21, 0x04},
                      {0xA1, 0x02}, {0x21, 0x01}, {0xA1, 0x01}, {0x21, 0xFB}, {0xA1, 0xFF}};
  EXPECT_EQ(FakeIo::writes, expected);
  EXPECT_EQ(p.mask(), 0xFFFB);
}

TEST(Pic8259, UnmaskingLinesWritesBothMaskRegisters) {
  FakeIo::reset();
  Pic8259<FakeIo> p;
  p.remap(0x20, 0x28);
  FakeIo::writes.clear();
  p.set_masked(0, false);
  p.set_masked(12, false);
  EXPECT_EQ(p.mask(), 0xEFFA);
  const W expected = {{0x21, 0xFA}, {0xA1, 0xFF}, {0x21, 0xFA}, {0xA1, 0xEF}};
  EXPECT_EQ(FakeIo::writes, expected);
  p.set_masked(16, false);  // out of range: ignored
  EXPECT_EQ(p.mask(), 0xEFFA);
}

TEST(Pic8259, EoiGoesToSlaveThenMasterForHighIrqs) {
  FakeIo::reset();
  Pic8259<FakeIo> p;
  p.eoi(3);
  EXPECT_EQ(FakeIo::writes, (W{{0x20, 0x20}}));
  FakeIo::writes.clear();
  p.eoi(12);
  EXPECT_EQ(FakeIo::writes, (W{{0xA0, 0x20}, {0x20, 0x20}}));
}

TEST(Pic8259, SpuriousIrq7IsNotAcknowledged) {
  FakeIo::reset();
  Pic8259<FakeIo> p;
  FakeIo::master_isr = 0x00;  // IRQ7 not in service: spurious
  EXPECT_TRUE(p.is_spurious(7));
  EXPECT_EQ(FakeIo::writes, (W{{0x20, 0x0B}}));  // only the ISR read command, no EOI
  FakeIo::reset();
  FakeIo::master_isr = 0x80;  // real IRQ7
  EXPECT_FALSE(p.is_spurious(7));
}

TEST(Pic8259, SpuriousIrq15StillAcknowledgesTheMaster) {
  FakeIo::reset();
  Pic8259<FakeIo> p;
  FakeIo::slave_isr = 0x00;
  EXPECT_TRUE(p.is_spurious(15));
  EXPECT_EQ(FakeIo::writes, (W{{0xA0, 0x0B}, {0x20, 0x20}}));
  FakeIo::reset();
  FakeIo::slave_isr = 0x80;
  EXPECT_FALSE(p.is_spurious(15));
  EXPECT_EQ(FakeIo::writes, (W{{0xA0, 0x0B}}));
}

TEST(Pic8259, OtherIrqsAreNeverSpurious) {
  FakeIo::reset();
  Pic8259<FakeIo> p;
  for (int irq = 0; irq < 16; ++irq) {
    if (irq == 7 || irq == 15) continue;
    EXPECT_FALSE(p.is_spurious(irq)) << irq;
  }
  EXPECT_TRUE(FakeIo::writes.empty());
}

// The PIT's input clock on a PC is 1193182 Hz: the board's 14.31818 MHz oscillator (four
// times the NTSC colour burst, 315/88 MHz) divided by 12, i.e. 105/88 MHz = 1193181.8 Hz
// (IBM PC Technical Reference; the Intel 8254 datasheet gives the counter's modes and
// control word, not the board's clock). The expected divisors below are worked out by hand
// from that number, not from the code's formula, so a wrong clock in the code (1193180,
// 1193000) or a truncating division fails here.
constexpr uint32_t kPcPitHz = 1193182;

struct Divisor {
  uint32_t hz;
  uint16_t divisor;
};
// 1193182 = q * hz + r; the nearest divisor is q, or q + 1 when 2r >= hz.
constexpr Divisor kHandComputed[] = {
    {19, 62799},   // 62799 * 19 = 1193181, r = 1: q (the slowest rate that fits 16 bits)
    {22, 54236},   // 54235 * 22 = 1193170, r = 12 >= 11: q + 1 (1193180 would give 54235)
    {38, 31400},   // 31399 * 38 = 1193162, r = 20 >= 19: q + 1 (1193180: 31399)
    {100, 11932},  // 11931 * 100 = 1193100, r = 82 >= 50: q + 1
    {114, 10467},  // 10466 * 114 = 1193124, r = 58 >= 57: q + 1 (1193180: 10466)
    {164, 7276},   // 7275 * 164 = 1193100, r = 82 = 164 / 2: a tie, rounded up
    {250, 4773},   // 4772 * 250 = 1193000, r = 182 >= 125: q + 1 (truncating: 4772)
    {1000, 1193},  // 1193 * 1000 = 1193000, r = 182 < 500: q
};

TEST(Pit8253, HzRangeMatchesTheSixteenBitDivisor) {
  EXPECT_FALSE(pit::hz_valid(18));
  EXPECT_TRUE(pit::hz_valid(19));
  EXPECT_TRUE(pit::hz_valid(100));
  EXPECT_TRUE(pit::hz_valid(1000));
  EXPECT_FALSE(pit::hz_valid(1001));
  EXPECT_FALSE(pit::hz_valid(-100));
  for (const Divisor& d : kHandComputed) EXPECT_EQ(pit::divisor_for(d.hz), d.divisor) << d.hz;
  // Every valid rate: a divisor that fits in 16 bits, is not 0 (= 65536), and is the
  // nearest to the true one: |divisor * hz - 1193182| <= hz / 2.
  for (uint32_t hz = pit::kMinHz; hz <= pit::kMaxHz; ++hz) {
    const int64_t d = pit::divisor_for(hz);
    EXPECT_GT(d, 0) << hz;
    EXPECT_LE(2 * std::abs(d * int64_t(hz) - int64_t(kPcPitHz)), int64_t(hz)) << hz;
  }
}

TEST(Pit8253, ProgramsChannel0RateGeneratorLowByteFirst) {
  FakeIo::reset();
  pit_program<FakeIo>(100);  // 11932 = 0x2E9C (above)
  EXPECT_EQ(FakeIo::writes, (W{{0x43, 0x34}, {0x40, 0x9C}, {0x40, 0x2E}}));
  FakeIo::reset();
  pit_program<FakeIo>(1000);  // 1193 = 0x04A9
  EXPECT_EQ(FakeIo::writes, (W{{0x43, 0x34}, {0x40, 0xA9}, {0x40, 0x04}}));
  FakeIo::reset();
  pit_program<FakeIo>(22);  // 54236 = 0xD3DC
  EXPECT_EQ(FakeIo::writes, (W{{0x43, 0x34}, {0x40, 0xDC}, {0x40, 0xD3}}));
}

}  // namespace
}  // namespace quartz
