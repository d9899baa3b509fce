// Host tests for kernel/lib/page_bitmap: page-frame bookkeeping against a simple model.
#include "kernel/lib/page_bitmap.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using quartz::PageBitmap;

namespace {

// Over stale storage: the bitmap must never read a word it has not written.
struct Fixture {
  explicit Fixture(size_t npages, bool start_free = false)
      : words(PageBitmap::words_for(npages), 0xA5A5A5A5u) {
    if (start_free)
      bm.init_free(words.data(), npages);
    else
      bm.init(words.data(), npages);
  }
  std::vector<uint32_t> words;
  PageBitmap bm;
};

}  // namespace

TEST(PageBitmap, InitAllUsed) {
  Fixture f(100);
  EXPECT_EQ(f.words.size(), 4u);
  EXPECT_EQ(f.bm.total(), 100u);
  EXPECT_EQ(f.bm.free_count(), 0u);
  size_t p;
  EXPECT_FALSE(f.bm.alloc(&p));
  EXPECT_FALSE(f.bm.is_free(0));
}

TEST(PageBitmap, AllocLowestFirst) {
  Fixture f(100);
  ASSERT_TRUE(f.bm.mark_free(10, 50));
  EXPECT_EQ(f.bm.free_count(), 50u);
  size_t p;
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_EQ(p, 10u);
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_EQ(p, 11u);
  ASSERT_TRUE(f.bm.free(10));
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_EQ(p, 10u);  // a freed lower page is found again despite the hint
  EXPECT_EQ(f.bm.free_count(), 48u);
}

TEST(PageBitmap, MarkRanges) {
  Fixture f(64);
  EXPECT_TRUE(f.bm.mark_free(0, 64));
  EXPECT_TRUE(f.bm.mark_free(0, 64));  // idempotent
  EXPECT_EQ(f.bm.free_count(), 64u);
  EXPECT_TRUE(f.bm.mark_used(30, 4));
  EXPECT_TRUE(f.bm.mark_used(31, 4));
  EXPECT_EQ(f.bm.free_count(), 59u);
  EXPECT_FALSE(f.bm.mark_free(60, 5));  // out of range: nothing changes
  EXPECT_FALSE(f.bm.mark_used(65, 0));
  EXPECT_FALSE(f.bm.mark_used(SIZE_MAX, 2));  // no overflow in the range check
  EXPECT_EQ(f.bm.free_count(), 59u);
  EXPECT_TRUE(f.bm.mark_used(64, 0));  // empty range at the end is fine
}

TEST(PageBitmap, ExhaustionAndTailBits) {
  Fixture f(37);  // the last word has 27 bits that do not exist
  f.bm.mark_free(0, 37);
  std::vector<bool> seen(37);
  size_t p;
  for (int i = 0; i < 37; ++i) {
    ASSERT_TRUE(f.bm.alloc(&p));
    ASSERT_LT(p, 37u);
    ASSERT_FALSE(seen[p]);
    seen[p] = true;
  }
  EXPECT_FALSE(f.bm.alloc(&p));
  EXPECT_EQ(f.bm.free_count(), 0u);
  EXPECT_TRUE(f.bm.free(36));
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_EQ(p, 36u);
}

TEST(PageBitmap, DoubleFreeAndOutOfRange) {
  Fixture f(64);
  f.bm.mark_free(0, 64);
  size_t p;
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_TRUE(f.bm.free(p));
  EXPECT_FALSE(f.bm.free(p));  // double free detected
  EXPECT_FALSE(f.bm.free(64));
  EXPECT_FALSE(f.bm.free(SIZE_MAX));
  EXPECT_EQ(f.bm.free_count(), 64u);
}

TEST(PageBitmap, Contiguous) {
  Fixture f(256);
  f.bm.mark_free(0, 256);
  f.bm.mark_used(3, 1);
  f.bm.mark_used(40, 1);
  size_t first;
  ASSERT_TRUE(f.bm.alloc_contiguous(3, &first));
  EXPECT_EQ(first, 0u);
  ASSERT_TRUE(f.bm.alloc_contiguous(36, &first));
  EXPECT_EQ(first, 4u);  // 4..39 fits exactly before the used page 40
  ASSERT_TRUE(f.bm.alloc_contiguous(16, &first, 16));
  EXPECT_EQ(first, 48u);  // aligned to 16 pages
  EXPECT_EQ(f.bm.free_count(), 256u - 2 - 3 - 36 - 16);
  EXPECT_FALSE(f.bm.alloc_contiguous(0, &first));
  EXPECT_FALSE(f.bm.alloc_contiguous(1, &first, 3));  // alignment not a power of two
  EXPECT_FALSE(f.bm.alloc_contiguous(300, &first));
  ASSERT_TRUE(f.bm.alloc_contiguous(192, &first));
  EXPECT_EQ(first, 64u);
  EXPECT_FALSE(f.bm.alloc_contiguous(8, &first));  // only 41..47 are left
  ASSERT_TRUE(f.bm.alloc_contiguous(7, &first));
  EXPECT_EQ(first, 41u);
  EXPECT_EQ(f.bm.free_count(), 0u);

  EXPECT_TRUE(f.bm.free_range(64, 192));
  EXPECT_FALSE(f.bm.free_range(64, 1));    // already free
  EXPECT_FALSE(f.bm.free_range(250, 10));  // out of range
  ASSERT_TRUE(f.bm.alloc_contiguous(100, &first, 64));
  EXPECT_EQ(first, 64u);
}

TEST(PageBitmap, FreeRangeIsAllOrNothing) {
  Fixture f(64);
  f.bm.mark_free(0, 64);
  size_t first;
  ASSERT_TRUE(f.bm.alloc_contiguous(8, &first));
  ASSERT_TRUE(f.bm.free(4));
  EXPECT_FALSE(f.bm.free_range(0, 8));  // page 4 is already free
  EXPECT_FALSE(f.bm.is_free(0));        // nothing freed
  EXPECT_EQ(f.bm.free_count(), 57u);
}

class PageBitmapRandom : public ::testing::TestWithParam<bool> {};

// Starts all used (init) or all free (init_free) over stale storage, then random
// operations, each checked against a per-page model.
TEST_P(PageBitmapRandom, AgainstModel) {
  constexpr size_t n = 1000;
  const bool start_free = GetParam();
  Fixture f(n, start_free);
  std::vector<bool> used(n, !start_free);
  std::mt19937 rng(99);
  size_t model_free = 0;
  auto count_free = [&] {
    size_t c = 0;
    for (bool u : used) c += !u;
    return c;
  };
  for (int op = 0; op < 50000; ++op) {
    switch (rng() % 6) {
      case 0: {
        size_t a = rng() % n, c = rng() % 40;
        bool ok = f.bm.mark_free(a, c);
        ASSERT_EQ(ok, a + c <= n);
        if (ok)
          for (size_t i = a; i < a + c; ++i) used[i] = false;
        break;
      }
      case 1: {
        size_t a = rng() % n, c = rng() % 10;
        if (f.bm.mark_used(a, c))
          for (size_t i = a; i < a + c; ++i) used[i] = true;
        break;
      }
      case 2:
      case 3: {
        size_t p;
        size_t lowest = n;
        for (size_t i = 0; i < n; ++i)
          if (!used[i]) {
            lowest = i;
            break;
          }
        bool ok = f.bm.alloc(&p);
        ASSERT_EQ(ok, lowest != n);
        if (ok) {
          ASSERT_EQ(p, lowest);
          used[p] = true;
        }
        break;
      }
      case 4: {
        size_t p = rng() % (n + 5);
        bool expect = p < n && used[p];
        ASSERT_EQ(f.bm.free(p), expect);
        if (expect) used[p] = false;
        break;
      }
      case 5: {
        size_t c = 1 + rng() % 20, align = size_t{1} << (rng() % 4);
        size_t expect = n;
        for (size_t s = 0; s + c <= n; s += align) {
          size_t i = s;
          while (i < s + c && !used[i]) ++i;
          if (i == s + c) {
            expect = s;
            break;
          }
        }
        size_t first;
        bool ok = f.bm.alloc_contiguous(c, &first, align);
        ASSERT_EQ(ok, expect != n);
        if (ok) {
          ASSERT_EQ(first, expect);
          for (size_t i = first; i < first + c; ++i) used[i] = true;
        }
        break;
      }
    }
    model_free = count_free();
    ASSERT_EQ(f.bm.free_count(), model_free);
    if (op % 1000 == 0) {
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(f.bm.is_free(i), !used[i]);
    }
  }
}

TEST(PageBitmap, InitFreeLeavesOnlyTheTailUsed) {
  for (size_t n : {1u, 31u, 32u, 33u, 64u, 100u}) {
    std::vector<uint32_t> words(PageBitmap::words_for(n), 0x5A5A5A5Au);  // stale contents
    PageBitmap bm;
    bm.init_free(words.data(), n);
    EXPECT_EQ(bm.free_count(), n);
    for (size_t p = 0; p < n; ++p) ASSERT_TRUE(bm.is_free(p)) << n << " " << p;
    EXPECT_FALSE(bm.is_free(n));
    // The bits past the last page read as used, so a scan never hands them out.
    size_t p = 0, got = 0;
    while (bm.alloc(&p)) {
      ASSERT_LT(p, n);
      ++got;
    }
    EXPECT_EQ(got, n);
    EXPECT_EQ(bm.free_count(), 0u);
    size_t first;
    EXPECT_FALSE(bm.alloc_contiguous(1, &first));
    const size_t tail = n % 32;
    EXPECT_EQ(words.back(), ~0u) << "written when its pages were handed out";
    ASSERT_TRUE(bm.free(n - 1));
    EXPECT_EQ(words.back(), (tail ? ~0u << tail : 0u) | ~(1u << ((n - 1) % 32))) << n;
  }
}

TEST(PageBitmap, InitAllUsedIgnoresStaleWords) {
  std::vector<uint32_t> words(2, 0x12345678u);
  PageBitmap bm;
  bm.init(words.data(), 40);
  EXPECT_EQ(bm.free_count(), 0u);
  for (size_t p = 0; p < 40; ++p) ASSERT_FALSE(bm.is_free(p));
  size_t p;
  EXPECT_FALSE(bm.alloc(&p));
  ASSERT_TRUE(bm.mark_free(39, 1));
  ASSERT_TRUE(bm.alloc(&p));
  EXPECT_EQ(p, 39u);
}

// Boot must not cost a store per word of RAM: the inits write nothing, and the words
// are written only up to the highest one a change reaches.
TEST(PageBitmap, WordsAreWrittenOnlyUpToTheHighestChange) {
  constexpr uint32_t kStale = 0xDEADBEEFu;
  std::vector<uint32_t> words(PageBitmap::words_for(100000), kStale);
  PageBitmap bm;
  bm.init_free(words.data(), 100000);
  EXPECT_EQ(words[0], kStale);
  EXPECT_EQ(words.back(), kStale);
  EXPECT_TRUE(bm.is_free(99999));
  EXPECT_FALSE(bm.is_free(100000));
  ASSERT_TRUE(bm.mark_used(0, 256));  // the first MiB: words 0..7
  ASSERT_TRUE(bm.mark_used(300, 3));  // word 9
  EXPECT_EQ(words[7], ~0u);
  EXPECT_EQ(words[8], 0u);
  EXPECT_EQ(words[9], 7u << (300 % 32));
  EXPECT_EQ(words[10], kStale);
  size_t p;
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(bm.alloc(&p));  // 256..299, then 303..322
  EXPECT_EQ(p, 322u);
  EXPECT_EQ(words[10], 0x7u);
  EXPECT_EQ(words[11], kStale);
  EXPECT_EQ(bm.free_count(), 100000u - 256 - 3 - 64);
  // Reading and failed changes write nothing either.
  EXPECT_FALSE(bm.free(90000));  // already free
  size_t first;
  EXPECT_FALSE(bm.alloc_contiguous(100000, &first));
  EXPECT_EQ(words[11], kStale);
  EXPECT_EQ(words.back(), kStale);
}

// Every range of a 3-word-plus bitmap (first and last page at every bit position, ranges
// inside one word, ending on a word boundary, spanning whole words, reaching the partial
// last word), marked over a mixed pattern: the bits and the count match a per-page model.
TEST(PageBitmap, RangesAtEveryAlignmentMatchAModel) {
  constexpr size_t n = 100;  // words 0..2 full, word 3 holds 4 pages
  for (int used = 0; used < 2; ++used) {
    for (size_t first = 0; first <= n; ++first) {
      for (size_t count = 0; first + count <= n; ++count) {
        Fixture f(n);
        std::vector<bool> model(n, true);
        // A pattern with full, empty and mixed words.
        for (size_t p = 0; p < n; ++p) {
          const bool free = (p / 32 == 1) || (p / 32 != 2 && p % 3 == 0);
          if (free) {
            ASSERT_TRUE(f.bm.mark_free(p, 1));
            model[p] = false;
          }
        }
        const bool ok = used ? f.bm.mark_used(first, count) : f.bm.mark_free(first, count);
        ASSERT_TRUE(ok);
        for (size_t p = first; p < first + count; ++p) model[p] = used;
        size_t model_free = 0;
        for (size_t p = 0; p < n; ++p) {
          ASSERT_EQ(f.bm.is_free(p), !model[p])
              << used << " " << first << "+" << count << " page " << p;
          model_free += !model[p];
        }
        ASSERT_EQ(f.bm.free_count(), model_free) << used << " " << first << "+" << count;
        ASSERT_EQ(f.words[3] >> 4, ~0u >> 4) << "tail bits must stay used";
      }
    }
  }
}

TEST(PageBitmap, MarkFreeMovesTheHintBack) {
  Fixture f(256);
  f.bm.mark_free(0, 256);
  size_t first;
  ASSERT_TRUE(f.bm.alloc_contiguous(200, &first));
  size_t p;
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_EQ(p, 200u);
  ASSERT_TRUE(f.bm.mark_free(33, 2));  // below the hint, not word aligned
  ASSERT_TRUE(f.bm.alloc(&p));
  EXPECT_EQ(p, 33u);
}

INSTANTIATE_TEST_SUITE_P(PageBitmap, PageBitmapRandom, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "FromAllFree" : "FromAllUsed";
                         });
