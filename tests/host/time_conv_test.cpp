// Host tests of kernel/lib/time_conv.h: milliseconds to ticks, rounded up, including the
// products that overflowed 32 bits (the constants are computed by hand in the comments).
#include "kernel/lib/time_conv.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

using quartz::ms_to_ticks;
constexpr uint32_t kMax = 0xFFFFFFFFu;

TEST(MsToTicks, RoundsUpToWholeTicks) {
  EXPECT_EQ(ms_to_ticks(0, 1000), 0u);
  EXPECT_EQ(ms_to_ticks(1, 1000), 1u);
  EXPECT_EQ(ms_to_ticks(1, 100), 1u);     // 0.1 tick -> 1
  EXPECT_EQ(ms_to_ticks(10, 100), 1u);    // exactly 1
  EXPECT_EQ(ms_to_ticks(11, 100), 2u);    // 1.1 -> 2
  EXPECT_EQ(ms_to_ticks(999, 19), 19u);   // 18981 / 1000 = 18.981 -> 19
  EXPECT_EQ(ms_to_ticks(1000, 19), 19u);  // exactly 19
  EXPECT_EQ(ms_to_ticks(600000, 1000), 600000u);
}

// 4294967 * 1000 + 999 = 4294967999 > 2^32 - 1: in 32 bits this was 703 / 1000 = 0
// ticks, and 4294968 ms (4294968000 -> 704 + 999 = 1703) was 1 tick.
TEST(MsToTicks, ProductsPast32BitsDoNotWrap) {
  EXPECT_EQ(ms_to_ticks(4294966, 1000), 4294966u);  // 4294966999: the last that fit
  EXPECT_EQ(ms_to_ticks(4294967, 1000), 4294967u);
  EXPECT_EQ(ms_to_ticks(4294968, 1000), 4294968u);
  EXPECT_EQ(ms_to_ticks(kMax, 1000), 4294967295u);  // 2^32 - 1 ms at HZ=1000
  EXPECT_EQ(ms_to_ticks(kMax, 100), 429496730u);    // 429496729.5 -> 429496730
  EXPECT_EQ(ms_to_ticks(kMax, 19), 81604379u);      // 81604378605 / 1000 = 81604378.605
}

// The largest product the function can see: (2^32 - 1)^2 + 999 =
// 18446744065119617025 + 999 = 18446744065119618024 < 2^64; / 1000 = 18446744065119618.
TEST(MsToTicks, TheLargestInputsStillFit) {
  EXPECT_EQ(ms_to_ticks(kMax, kMax), 18446744065119618ull);
  static_assert(ms_to_ticks(4294968, 1000) == 4294968u, "usable in constant expressions");
}

}  // namespace
