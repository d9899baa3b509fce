// Host tests for kernel/lib/heap: placement, alignment, growth, error detection, stats.
#include "kernel/lib/heap.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

using quartz::Heap;
using FR = Heap::FreeResult;

namespace {

// A host arena standing in for the kernel heap's virtual range. Uncommitted memory is
// poisoned, so ASan reports any heap access beyond what commit() handed out.
struct Arena {
  explicit Arena(size_t max, size_t page = 4096) : max_bytes(max) {
    mem = static_cast<char*>(std::aligned_alloc(4096, max));
    POISON(mem, max);
    heap.init(reinterpret_cast<uintptr_t>(mem), max, &Arena::commit, this, page);
  }
  ~Arena() {
    UNPOISON(mem, max_bytes);
    std::free(mem);
  }

  static bool commit(void* ctx, uintptr_t addr, size_t bytes) {
    auto* a = static_cast<Arena*>(ctx);
    a->calls.push_back({addr - reinterpret_cast<uintptr_t>(a->mem), bytes});
    if (a->fail_commits) return false;
    UNPOISON(reinterpret_cast<void*>(addr), bytes);
    return true;
  }

  void expect_ok() {
    const char* why = nullptr;
    EXPECT_TRUE(heap.check(&why)) << why;
  }

  struct Call {
    size_t offset;
    size_t bytes;
  };
  size_t max_bytes;
  char* mem;
  Heap heap;
  std::vector<Call> calls;
  bool fail_commits = false;
};

bool aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

}  // namespace

TEST(Heap, AllocAndFree) {
  Arena a(1 << 20);
  void* p = a.heap.alloc(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p, 16));
  EXPECT_GE(a.heap.usable_size(p), 100u);
  std::memset(p, 0xab, 100);
  auto s = a.heap.stats();
  EXPECT_EQ(s.bytes_in_use, 100u);
  EXPECT_EQ(s.live_allocations, 1u);
  EXPECT_EQ(s.arena_bytes, 4096u);
  EXPECT_EQ(s.total_allocs, 1u);
  a.expect_ok();
  EXPECT_EQ(a.heap.free(p), FR::Ok);
  s = a.heap.stats();
  EXPECT_EQ(s.bytes_in_use, 0u);
  EXPECT_EQ(s.live_allocations, 0u);
  EXPECT_EQ(s.total_frees, 1u);
  EXPECT_EQ(a.heap.usable_size(p), 0u);
  a.expect_ok();
}

TEST(Heap, ZeroSizeGivesNull) {
  Arena a(1 << 16);
  EXPECT_EQ(a.heap.alloc(0), nullptr);
  auto s = a.heap.stats();
  EXPECT_EQ(s.total_allocs, 0u);
  EXPECT_EQ(s.failed_allocs, 0u);
  EXPECT_TRUE(a.calls.empty());  // nothing committed for nothing
}

TEST(Heap, FirstFitReusesLowestHole) {
  Arena a(1 << 16);
  void* x = a.heap.alloc(64);
  void* y = a.heap.alloc(64);
  void* z = a.heap.alloc(64);
  ASSERT_TRUE(x && y && z);
  EXPECT_LT(x, y);
  EXPECT_LT(y, z);
  EXPECT_EQ(a.heap.free(x), FR::Ok);
  void* w = a.heap.alloc(32);
  EXPECT_EQ(w, x);
  a.expect_ok();
}

TEST(Heap, CoalescesToOneBlock) {
  Arena a(1 << 16);
  const auto empty_free = [&] {
    void* t = a.heap.alloc(16);
    a.heap.free(t);
    return a.heap.stats().free_bytes;
  }();
  std::vector<void*> ps;
  for (int i = 0; i < 20; ++i) ps.push_back(a.heap.alloc(48));
  // Free in an order that exercises merge-with-next, merge-with-prev and both.
  for (int i : {1, 3, 2, 0, 5, 7, 6, 4, 19, 18, 9, 8, 10, 12, 11, 13, 15, 14, 17, 16}) {
    ASSERT_EQ(a.heap.free(ps[i]), FR::Ok);
    a.expect_ok();
  }
  EXPECT_EQ(a.heap.stats().free_bytes, empty_free);
}

TEST(Heap, Alignment) {
  Arena a(4 << 20);
  std::vector<void*> ps;
  for (size_t align = 1; align <= 4096; align *= 2) {
    for (size_t size : {1u, 15u, 16u, 17u, 100u, 4000u, 5000u}) {
      void* p = a.heap.alloc(size, align);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(aligned(p, align < 16 ? 16 : align)) << align;
      std::memset(p, 0x5a, size);
      ps.push_back(p);
      a.expect_ok();
    }
  }
  for (size_t i = 0; i < ps.size(); i += 2) EXPECT_EQ(a.heap.free(ps[i]), FR::Ok);
  for (int i = 0; i < 10; ++i) {
    void* p = a.heap.alloc(64, 4096);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned(p, 4096));
    ps.push_back(p);
  }
  a.expect_ok();
}

TEST(Heap, BadAlignmentRejected) {
  Arena a(1 << 16);
  EXPECT_EQ(a.heap.alloc(16, 24), nullptr);
  EXPECT_EQ(a.heap.alloc(16, 8192), nullptr);
  EXPECT_EQ(a.heap.stats().failed_allocs, 2u);
}

TEST(Heap, DoubleFreeDetected) {
  Arena a(1 << 16);
  void* x = a.heap.alloc(40);
  void* y = a.heap.alloc(40);
  void* z = a.heap.alloc(40);
  EXPECT_EQ(a.heap.free(y), FR::Ok);
  EXPECT_EQ(a.heap.free(y), FR::DoubleFree);
  EXPECT_EQ(a.heap.free(x), FR::Ok);          // x absorbs y
  EXPECT_EQ(a.heap.free(y), FR::DoubleFree);  // stale header inside a merged block
  EXPECT_EQ(a.heap.free(x), FR::DoubleFree);
  auto s = a.heap.stats();
  EXPECT_EQ(s.live_allocations, 1u);
  EXPECT_EQ(s.total_frees, 2u);
  a.expect_ok();
  EXPECT_EQ(a.heap.free(z), FR::Ok);
  a.expect_ok();
}

TEST(Heap, ForeignPointersDetected) {
  Arena a(1 << 16);
  char* p = static_cast<char*>(a.heap.alloc(256));
  std::memset(p, 0xab, 256);
  int on_stack = 0;
  EXPECT_EQ(a.heap.free(nullptr), FR::Null);
  EXPECT_EQ(a.heap.free(&on_stack), FR::NotHeap);
  EXPECT_EQ(a.heap.free(p + 1), FR::NotHeap);         // misaligned
  EXPECT_EQ(a.heap.free(p + 64), FR::BadMagic);       // inside a live allocation
  EXPECT_EQ(a.heap.free(a.mem + 8192), FR::NotHeap);  // in the arena but not committed
  EXPECT_EQ(a.heap.free(a.mem), FR::NotHeap);         // would put the header before the arena
  EXPECT_EQ(a.heap.usable_size(p + 64), 0u);
  EXPECT_EQ(a.heap.stats().live_allocations, 1u);
  a.expect_ok();

  // Payload bytes that happen to contain the used magic must not pass either.
  std::memset(p, 0, 256);
  const uint32_t fake_magic = 0x51a110c8;
  std::memcpy(p + 64, &fake_magic, sizeof fake_magic);
  size_t header =
      reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(a.mem);  // == header size
  EXPECT_EQ(a.heap.free(p + 64 + header), FR::BadMagic);
  EXPECT_EQ(a.heap.free(p), FR::Ok);
}

TEST(Heap, CorruptionFoundByCheck) {
  Arena a(1 << 16);
  char* p = static_cast<char*>(a.heap.alloc(64));
  char* q = static_cast<char*>(a.heap.alloc(64));
  a.expect_ok();
  std::memset(p, 0xff, 80);  // overruns p into q's header
  const char* why = nullptr;
  EXPECT_FALSE(a.heap.check(&why));
  EXPECT_STREQ(why, "block with a bad magic");
  EXPECT_EQ(a.heap.free(q), FR::BadMagic);
  EXPECT_STREQ(Heap::describe(FR::DoubleFree), "double free");
}

TEST(Heap, GrowsThroughCommit) {
  Arena a(1 << 20);
  EXPECT_TRUE(a.calls.empty());  // init commits nothing
  void* p = a.heap.alloc(10);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].offset, 0u);
  EXPECT_EQ(a.calls[0].bytes, 4096u);
  void* big = a.heap.alloc(10000);
  ASSERT_NE(big, nullptr);
  std::memset(big, 1, 10000);
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[1].offset, 4096u);  // contiguous, page granular
  EXPECT_EQ(a.calls[1].bytes % 4096, 0u);
  EXPECT_EQ(a.heap.stats().arena_bytes, 4096u + a.calls[1].bytes);
  // Small allocations now fit in what is committed: no more calls.
  void* small = a.heap.alloc(16);
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(a.calls.size(), 2u);
  a.expect_ok();
}

TEST(Heap, CommitFailureLeavesStateUnchanged) {
  Arena a(1 << 20);
  void* p = a.heap.alloc(100);
  ASSERT_NE(p, nullptr);
  auto before = a.heap.stats();
  a.fail_commits = true;
  EXPECT_EQ(a.heap.alloc(100000), nullptr);
  auto after = a.heap.stats();
  EXPECT_EQ(after.arena_bytes, before.arena_bytes);
  EXPECT_EQ(after.free_bytes, before.free_bytes);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  EXPECT_EQ(after.failed_allocs, before.failed_allocs + 1);
  a.expect_ok();
  EXPECT_NE(a.heap.alloc(100), nullptr);  // still fits without growing
  a.fail_commits = false;
  EXPECT_NE(a.heap.alloc(100000), nullptr);
  a.expect_ok();
}

TEST(Heap, ArenaLimit) {
  Arena a(64 * 1024);
  EXPECT_EQ(a.heap.alloc(64 * 1024), nullptr);  // no room for the header
  std::vector<void*> ps;
  while (void* p = a.heap.alloc(1000)) ps.push_back(p);
  EXPECT_GT(ps.size(), 50u);
  EXPECT_EQ(a.heap.stats().arena_bytes, 64u * 1024);
  a.expect_ok();
  for (void* p : ps) ASSERT_EQ(a.heap.free(p), FR::Ok);
  // After everything is freed the whole arena is one block again.
  void* all = a.heap.alloc(60 * 1024);
  EXPECT_NE(all, nullptr);
  a.expect_ok();
}

TEST(Heap, HugeRequestsFailCleanly) {
  Arena a(1 << 16);
  EXPECT_EQ(a.heap.alloc(SIZE_MAX), nullptr);
  EXPECT_EQ(a.heap.alloc(SIZE_MAX - 8), nullptr);
  EXPECT_EQ(a.heap.alloc(SIZE_MAX / 2, 4096), nullptr);
  a.expect_ok();
}

TEST(Heap, UninitialisedHeapFails) {
  Heap h;
  EXPECT_EQ(h.alloc(16), nullptr);
  int x;
  EXPECT_EQ(h.free(&x), FR::NotHeap);
  EXPECT_TRUE(h.check(nullptr));
}

TEST(Heap, RandomAgainstModelAndStatsReturnToBaseline) {
  Arena a(8 << 20);
  // Long-lived allocations made before the churn, like kernel structures at boot.
  std::vector<void*> boot;
  for (int i = 0; i < 10; ++i) boot.push_back(a.heap.alloc(100 + i));
  auto baseline = a.heap.stats();

  struct Live {
    size_t size;
    unsigned char fill;
  };
  std::map<unsigned char*, Live> live;
  std::mt19937_64 rng(0x5eed);
  size_t model_bytes = baseline.bytes_in_use;
  for (int op = 0; op < 100000; ++op) {
    bool do_alloc = live.empty() || (rng() % 100) < (live.size() < 300 ? 55 : 45);
    if (do_alloc) {
      size_t size;
      switch (rng() % 8) {
        case 0:
          size = 1 + rng() % 16;
          break;
        case 1:
          size = 1 + rng() % 8192;
          break;
        case 2:
          size = 4096;
          break;
        default:
          size = 1 + rng() % 256;
          break;
      }
      size_t align = (rng() % 10 == 0) ? size_t{1} << (rng() % 13) : 16;
      auto* p = static_cast<unsigned char*>(a.heap.alloc(size, align));
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(aligned(p, align < 16 ? 16 : align));
      ASSERT_GE(a.heap.usable_size(p), size);
      auto fill = static_cast<unsigned char>(rng());
      std::memset(p, fill, size);
      // No overlap with any live allocation.
      auto next = live.lower_bound(p);
      if (next != live.end()) {
        ASSERT_LE(p + size, next->first);
      }
      if (next != live.begin()) {
        auto prev = std::prev(next);
        ASSERT_LE(prev->first + prev->second.size, p);
      }
      live[p] = {size, fill};
      model_bytes += size;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      for (size_t i = 0; i < it->second.size; ++i) ASSERT_EQ(it->first[i], it->second.fill);
      ASSERT_EQ(a.heap.free(it->first), FR::Ok);
      model_bytes -= it->second.size;
      live.erase(it);
    }
    auto s = a.heap.stats();
    ASSERT_EQ(s.bytes_in_use, model_bytes);
    ASSERT_EQ(s.live_allocations, live.size() + boot.size());
    if (op % 997 == 0) {
      const char* why = nullptr;
      ASSERT_TRUE(a.heap.check(&why)) << why << " at op " << op;
    }
  }
  for (auto& [p, l] : live) ASSERT_EQ(a.heap.free(p), FR::Ok);
  auto end = a.heap.stats();
  EXPECT_EQ(end.bytes_in_use, baseline.bytes_in_use);
  EXPECT_EQ(end.live_allocations, baseline.live_allocations);
  EXPECT_EQ(end.total_allocs - baseline.total_allocs, end.total_frees - baseline.total_frees);
  a.expect_ok();
  for (void* p : boot) ASSERT_EQ(a.heap.free(p), FR::Ok);
  EXPECT_EQ(a.heap.stats().bytes_in_use, 0u);
  a.expect_ok();
}
