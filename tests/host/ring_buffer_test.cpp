// Host tests for kernel/lib/ring_buffer: FIFO order, full/empty, drops, index wrap.
#include "kernel/lib/ring_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>

using quartz::RingBuffer;

TEST(RingBuffer, StartsEmpty) {
  RingBuffer<8> rb;
  uint8_t b = 0x55;
  EXPECT_TRUE(rb.empty());
  EXPECT_EQ(rb.size(), 0u);
  EXPECT_FALSE(rb.pop(&b));
  EXPECT_EQ(b, 0x55);  // untouched
  EXPECT_EQ(RingBuffer<8>::capacity(), 8u);
}

TEST(RingBuffer, FifoOrder) {
  RingBuffer<8> rb;
  for (uint8_t i = 1; i <= 5; ++i) EXPECT_TRUE(rb.push(i));
  EXPECT_EQ(rb.size(), 5u);
  for (uint8_t i = 1; i <= 5; ++i) {
    uint8_t b;
    ASSERT_TRUE(rb.pop(&b));
    EXPECT_EQ(b, i);
  }
  EXPECT_TRUE(rb.empty());
}

TEST(RingBuffer, FullDropsAndCounts) {
  RingBuffer<4> rb;
  for (uint8_t i = 0; i < 4; ++i) EXPECT_TRUE(rb.push(i));  // all N slots usable
  EXPECT_FALSE(rb.push(99));
  EXPECT_FALSE(rb.push(98));
  EXPECT_EQ(rb.dropped(), 2u);
  EXPECT_EQ(rb.size(), 4u);
  uint8_t b;
  ASSERT_TRUE(rb.pop(&b));
  EXPECT_EQ(b, 0);
  EXPECT_TRUE(rb.push(4));
  for (uint8_t want : {1, 2, 3, 4}) {
    ASSERT_TRUE(rb.pop(&b));
    EXPECT_EQ(b, want);
  }
  EXPECT_EQ(rb.dropped(), 2u);
}

TEST(RingBuffer, IndicesWrapPastTwoToThe32) {
  RingBuffer<8> rb(0xfffffffau);  // head/tail cross 2^32 after six bytes
  uint8_t b;
  for (int round = 0; round < 4; ++round) {
    for (uint8_t i = 0; i < 8; ++i) ASSERT_TRUE(rb.push(static_cast<uint8_t>(round * 8 + i)));
    EXPECT_FALSE(rb.push(0xee));  // still sees "full" across the wrap
    EXPECT_EQ(rb.size(), 8u);
    for (uint8_t i = 0; i < 8; ++i) {
      ASSERT_TRUE(rb.pop(&b));
      ASSERT_EQ(b, round * 8 + i);
    }
    EXPECT_TRUE(rb.empty());
  }
  EXPECT_EQ(rb.dropped(), 4u);
}

TEST(RingBuffer, RandomInterleavingAgainstModel) {
  // Simulates an IRQ producer preempting the consumer at arbitrary points.
  RingBuffer<16> rb;
  std::deque<uint8_t> model;
  size_t drops = 0;
  std::mt19937 rng(3);
  for (int i = 0; i < 200000; ++i) {
    if (rng() % 2) {
      auto v = static_cast<uint8_t>(rng());
      bool ok = rb.push(v);
      ASSERT_EQ(ok, model.size() < 16);
      if (ok)
        model.push_back(v);
      else
        ++drops;
    } else {
      uint8_t b;
      bool ok = rb.pop(&b);
      ASSERT_EQ(ok, !model.empty());
      if (ok) {
        ASSERT_EQ(b, model.front());
        model.pop_front();
      }
    }
    ASSERT_EQ(rb.size(), model.size());
    ASSERT_EQ(rb.dropped(), drops);
  }
}
