// Host tests of the trace ring: order, overwrite of the oldest, counts, copy windows.
#include <gtest/gtest.h>

#include <vector>

#include "kernel/lib/trace_ring.h"

namespace quartz {
namespace {

struct CountingGuard {
  static inline int held = 0, taken = 0;
  CountingGuard() { ++held, ++taken; }
  ~CountingGuard() { --held; }
};
using Ring = TraceRing<8, CountingGuard>;

std::vector<uint32_t> all_a(const Ring& r) {
  std::vector<TraceEvent> ev(16);
  ev.resize(r.copy(0, ev.data(), ev.size()));
  std::vector<uint32_t> a;
  for (auto& e : ev) a.push_back(e.a);
  return a;
}

TEST(TraceRing, DisabledRecordsNothing) {
  Ring r;
  r.record(1, TraceType::Tick, 0, 1, 0);
  EXPECT_EQ(r.size(), 0u);
}

TEST(TraceRing, KeepsOrderAndFields) {
  Ring r;
  r.set_enabled(true);
  r.record(100, TraceType::QueueTask, 3, 0xAA, 0xBB);
  r.record(200, TraceType::Switch, 4, 1, 2);
  TraceEvent ev[4];
  ASSERT_EQ(r.copy(0, ev, 4), 2u);
  EXPECT_EQ(ev[0].tsc, 100u);
  EXPECT_EQ(ev[0].type, TraceType::QueueTask);
  EXPECT_EQ(ev[0].thread, 3);
  EXPECT_EQ(ev[0].a, 0xAAu);
  EXPECT_EQ(ev[0].b, 0xBBu);
  EXPECT_EQ(ev[1].type, TraceType::Switch);
  EXPECT_EQ(r.overwritten(), 0u);
}

TEST(TraceRing, OverwritesOldestWhenFullAndCounts) {
  Ring r;
  r.set_enabled(true);
  for (uint32_t i = 0; i < 13; ++i) r.record(i, TraceType::Tick, 0, i, 0);
  EXPECT_EQ(r.size(), 8u);
  EXPECT_EQ(r.overwritten(), 5u);
  EXPECT_EQ(all_a(r), (std::vector<uint32_t>{5, 6, 7, 8, 9, 10, 11, 12}));
}

TEST(TraceRing, ClearStartsAfreshAndCopyWindowsWork) {
  Ring r;
  r.set_enabled(true);
  for (uint32_t i = 0; i < 20; ++i) r.record(i, TraceType::Tick, 0, i, 0);
  r.clear();
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.overwritten(), 0u);
  for (uint32_t i = 0; i < 3; ++i) r.record(i, TraceType::Tick, 0, 100 + i, 0);
  EXPECT_EQ(all_a(r), (std::vector<uint32_t>{100, 101, 102}));
  TraceEvent ev[2];
  ASSERT_EQ(r.copy(1, ev, 2), 2u);
  EXPECT_EQ(ev[0].a, 101u);
  EXPECT_EQ(r.copy(3, ev, 2), 0u);
}

TEST(TraceRing, EveryRecordTakesTheGuard) {
  Ring r;
  r.set_enabled(true);
  const int before = CountingGuard::taken;
  r.record(1, TraceType::Tick, 0, 0, 0);
  EXPECT_EQ(CountingGuard::taken, before + 1);
  EXPECT_EQ(CountingGuard::held, 0);
}

}  // namespace
}  // namespace quartz
