// Host tests for kernel/lib/ram_map: memory map regions to page spans, and first fit.
#include "kernel/lib/ram_map.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using quartz::PageSpan;
using quartz::ram_first_fit;
using quartz::ram_spans;
using quartz::RamRegion;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

std::vector<PageSpan> spans(const std::vector<RamRegion>& regions, size_t limit_page) {
  std::vector<PageSpan> out(regions.size() + 1, PageSpan{999, 999});
  const size_t n = ram_spans(regions.data(), regions.size(), limit_page, out.data());
  EXPECT_EQ(out[regions.size()].begin, 999u) << "wrote past n entries";
  out.resize(n);
  return out;
}

}  // namespace

namespace quartz {
void PrintTo(const PageSpan& s, std::ostream* o) { *o << "[" << s.begin << "," << s.end << ")"; }
}  // namespace quartz

// What QEMU reports with -m 3584: low RAM, RAM from 1 MiB to just under 3 GiB, and 512
// MiB above 4 GiB that 32-bit paging without PAE cannot reach.
TEST(RamMap, QemuMapAt3584MiB) {
  const std::vector<RamRegion> map = {
      {0, 0x9fc00}, {0x100000, 0xbfee0000}, {0x100000000, 0x20000000}};
  const size_t limit = size_t(3 * GiB / 4096);
  EXPECT_EQ(spans(map, limit), (std::vector<PageSpan>{{0, 0x9f}, {0x100, 0xbffe0}}));
}

TEST(RamMap, PartialPagesAreNotRam) {
  // 0x9fc00 ends inside page 0x9f; 0x1800 starts inside page 1; a region smaller than
  // a page and not covering a whole one gives nothing.
  EXPECT_EQ(spans({{0x1800, 0x3000}}, 1000), (std::vector<PageSpan>{{2, 4}}));
  EXPECT_EQ(spans({{0x1001, 0xffe}}, 1000), std::vector<PageSpan>{});
  EXPECT_EQ(spans({{0x1000, 0x1000}}, 1000), (std::vector<PageSpan>{{1, 2}}));
  EXPECT_EQ(spans({{0, 0}}, 1000), std::vector<PageSpan>{});
}

TEST(RamMap, UnsortedOverlappingAndTouchingRegionsMerge) {
  const std::vector<RamRegion> map = {
      {20 * 4096, 10 * 4096},  // [20,30)
      {0, 5 * 4096},           // [0,5)
      {25 * 4096, 10 * 4096},  // [25,35) overlaps
      {5 * 4096, 2 * 4096},    // [5,7) touches [0,5)
      {40 * 4096, 4096},       // [40,41) apart
      {21 * 4096, 4096},       // inside [20,30)
  };
  EXPECT_EQ(spans(map, 1000), (std::vector<PageSpan>{{0, 7}, {20, 35}, {40, 41}}));
}

TEST(RamMap, LimitCutsAndDrops) {
  const std::vector<RamRegion> map = {{0x100000, 8 * MiB}, {16 * MiB, 16 * MiB}};
  EXPECT_EQ(spans(map, 0x800), (std::vector<PageSpan>{{0x100, 0x800}}));  // 8 MiB limit
  EXPECT_EQ(spans(map, 0x100), std::vector<PageSpan>{});
  EXPECT_EQ(spans(map, 0x1000000), (std::vector<PageSpan>{{0x100, 0x900}, {0x1000, 0x2000}}));
}

TEST(RamMap, HugeAndWrappingRegions) {
  const std::vector<RamRegion> map = {{UINT64_MAX - 4095, 8192}, {64 * GiB, 1}, {0, UINT64_MAX}};
  EXPECT_EQ(spans(map, 100), (std::vector<PageSpan>{{0, 100}}));
}

TEST(RamMap, RandomAgainstAPageModel) {
  std::mt19937 rng(12);
  for (int round = 0; round < 2000; ++round) {
    const size_t limit = 1 + rng() % 300;
    std::vector<RamRegion> map(rng() % 8);
    std::vector<bool> ram(400);
    for (auto& r : map) {
      r.base = rng() % (320 * 4096);
      r.length = rng() % (80 * 4096);
      for (uint64_t p = (r.base + 4095) / 4096; p < (r.base + r.length) / 4096; ++p)
        if (p < limit) ram[p] = true;
    }
    const auto got = spans(map, limit);
    std::vector<bool> seen(400);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_LT(got[i].begin, got[i].end);
      if (i) {
        ASSERT_LT(got[i - 1].end, got[i].begin) << "sorted, disjoint, not touching";
      }
      for (size_t p = got[i].begin; p < got[i].end; ++p) seen[p] = true;
    }
    ASSERT_EQ(seen, ram) << "round " << round;
  }
}

TEST(RamMap, FirstFitSkipsReservedSpans) {
  const std::vector<PageSpan> ram = {{0, 0x9f}, {0x100, 0x800}};
  // First MiB, the kernel at [0x100,0x180), a module right after it.
  const std::vector<PageSpan> reserved = {{0x180, 0x190}, {0, 0x100}, {0x100, 0x180}};
  size_t at = 0;
  ASSERT_TRUE(
      ram_first_fit(ram.data(), ram.size(), reserved.data(), reserved.size(), 0x100, 4, &at));
  EXPECT_EQ(at, 0x190u);
  // A smaller request still does not go below min_page, into low RAM.
  ASSERT_TRUE(ram_first_fit(ram.data(), ram.size(), reserved.data(), 0, 0x100, 1, &at));
  EXPECT_EQ(at, 0x100u);
  ASSERT_TRUE(ram_first_fit(ram.data(), ram.size(), reserved.data(), 0, 0, 0x9f, &at));
  EXPECT_EQ(at, 0u);
  ASSERT_TRUE(ram_first_fit(ram.data(), ram.size(), reserved.data(), 0, 0, 0xa0, &at));
  EXPECT_EQ(at, 0x100u) << "too big for low RAM: the next span";
  // Exactly the room left at the top; one page more does not fit.
  ASSERT_TRUE(ram_first_fit(ram.data(), ram.size(), reserved.data(), reserved.size(), 0x100,
                            0x800 - 0x190, &at));
  EXPECT_EQ(at, 0x190u);
  EXPECT_FALSE(ram_first_fit(ram.data(), ram.size(), reserved.data(), reserved.size(), 0x100,
                             0x800 - 0x18f, &at));
  EXPECT_FALSE(
      ram_first_fit(ram.data(), ram.size(), reserved.data(), reserved.size(), 0x100, 0, &at));
  EXPECT_FALSE(
      ram_first_fit(ram.data(), ram.size(), reserved.data(), reserved.size(), 0x900, 1, &at));
}

TEST(RamMap, FirstFitJumpsAGapBetweenReservedSpans) {
  const std::vector<PageSpan> ram = {{0, 100}};
  // Reserved out of order: a hole of 3 pages at [10,13), of 5 at [20,25).
  const std::vector<PageSpan> reserved = {{13, 20}, {0, 10}, {25, 100}, {7, 7}};
  size_t at = 0;
  ASSERT_TRUE(ram_first_fit(ram.data(), 1, reserved.data(), reserved.size(), 0, 3, &at));
  EXPECT_EQ(at, 10u);
  ASSERT_TRUE(ram_first_fit(ram.data(), 1, reserved.data(), reserved.size(), 0, 4, &at));
  EXPECT_EQ(at, 20u);
  EXPECT_FALSE(ram_first_fit(ram.data(), 1, reserved.data(), reserved.size(), 0, 6, &at));
  // An empty reserved span reserves nothing.
  const PageSpan empty[] = {{5, 5}};
  ASSERT_TRUE(ram_first_fit(ram.data(), 1, empty, 1, 0, 10, &at));
  EXPECT_EQ(at, 0u);
}

TEST(RamMap, FirstFitRandomAgainstBruteForce) {
  std::mt19937 rng(5);
  for (int round = 0; round < 3000; ++round) {
    std::vector<RamRegion> map(1 + rng() % 4);
    for (auto& r : map) r = {uint64_t(rng() % 200) * 4096, uint64_t(rng() % 60) * 4096};
    std::vector<PageSpan> ram(map.size());
    ram.resize(ram_spans(map.data(), map.size(), 256, ram.data()));
    std::vector<PageSpan> reserved(rng() % 5);
    for (auto& s : reserved) {
      s.begin = rng() % 256;
      s.end = s.begin + rng() % 30;
    }
    const size_t min_page = rng() % 64, count = rng() % 40;
    size_t expect = SIZE_MAX;
    for (size_t p = min_page; count && p + count <= 256 && expect == SIZE_MAX; ++p) {
      bool inside = false;
      for (const auto& s : ram) inside |= s.begin <= p && p + count <= s.end;
      bool clear = true;
      for (const auto& s : reserved)
        clear &= s.begin == s.end || !(s.begin < p + count && p < s.end);
      if (inside && clear) expect = p;
    }
    size_t at = SIZE_MAX;
    const bool ok = ram_first_fit(ram.data(), ram.size(), reserved.data(), reserved.size(),
                                  min_page, count, &at);
    ASSERT_EQ(ok, expect != SIZE_MAX)
        << "round " << round << " min " << min_page << " count " << count << " at " << at << " ram "
        << ::testing::PrintToString(ram) << " res " << ::testing::PrintToString(reserved);
    if (ok) {
      ASSERT_EQ(at, expect) << "round " << round;
    }
  }
}
