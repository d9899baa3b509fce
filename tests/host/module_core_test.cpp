// Host tests of kernel/lib/module_core: module states and counts, rmmod's verdicts,
// placement in the module area, and the pointer scan.
#include "kernel/lib/module_core.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace quartz {
namespace {

ModLife live() {
  ModLife m;
  m.state = ModState::Live;
  m.busy = false;
  return m;
}

TEST(ModuleCore, StateNames) {
  EXPECT_STREQ(mod_state_name(ModState::Coming), "coming");
  EXPECT_STREQ(mod_state_name(ModState::Live), "live");
  EXPECT_STREQ(mod_state_name(ModState::Going), "going");
  EXPECT_STREQ(mod_state_name(ModState::Failed), "failed");
}

TEST(ModuleCore, TryGetOnlyEntersALiveModule) {
  ModLife m;  // Coming: its init is running
  EXPECT_FALSE(mod_try_get(m));
  EXPECT_EQ(m.active, 0);
  m = live();
  EXPECT_TRUE(mod_try_get(m));
  EXPECT_TRUE(mod_try_get(m));
  EXPECT_EQ(m.active, 2);
  m.state = ModState::Going;
  EXPECT_FALSE(mod_try_get(m));
  m.state = ModState::Failed;
  EXPECT_FALSE(mod_try_get(m));
  EXPECT_EQ(m.active, 2);
}

TEST(ModuleCore, PutWakesTheUnloaderOnlyForTheLastReaderOfAGoingModule) {
  ModLife m = live();
  ASSERT_TRUE(mod_try_get(m));
  ASSERT_TRUE(mod_try_get(m));
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::Start);
  EXPECT_FALSE(mod_put(m));  // one reader still inside
  EXPECT_TRUE(mod_put(m));   // the last one out wakes rmmod
  EXPECT_EQ(m.active, 0);
  ModLife l = live();
  ASSERT_TRUE(mod_try_get(l));
  EXPECT_FALSE(mod_put(l));  // nobody is unloading a Live module
  EXPECT_FALSE(mod_put(l));  // an unbalanced put never goes negative
  EXPECT_EQ(l.active, 0);
}

TEST(ModuleCore, UnloadOfALiveModuleStartsAndBlocksNewReaders) {
  ModLife m = live();
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::Start);
  EXPECT_EQ(m.state, ModState::Going);
  EXPECT_TRUE(m.busy);
  EXPECT_FALSE(mod_try_get(m));
  // A second rmmod meanwhile is refused without changing anything.
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::Busy);
  EXPECT_EQ(m.state, ModState::Going);
}

TEST(ModuleCore, UnloadRefusedWhileOtherModulesUseIt) {
  ModLife m = live();
  m.users = 1;
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::UsedByModules);
  EXPECT_EQ(m.state, ModState::Live);
  EXPECT_FALSE(m.busy);
  EXPECT_TRUE(mod_try_get(m));
}

TEST(ModuleCore, UnloadRefusedWhileLoading) {
  ModLife m;  // Coming and busy
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::Busy);
  EXPECT_EQ(m.state, ModState::Coming);
}

TEST(ModuleCore, AbortMakesItLiveAgain) {
  ModLife m = live();
  ASSERT_EQ(mod_begin_unload(m), UnloadVerdict::Start);
  mod_abort_unload(m);
  EXPECT_EQ(m.state, ModState::Live);
  EXPECT_FALSE(m.busy);
  EXPECT_TRUE(mod_try_get(m));
}

TEST(ModuleCore, AGoingModuleAfterCleanupIsOnlyRechecked) {
  ModLife m = live();
  ASSERT_EQ(mod_begin_unload(m), UnloadVerdict::Start);
  m.cleaned = true;
  mod_abort_unload(m);  // leftovers: stays Going, cleanup is never run twice
  EXPECT_EQ(m.state, ModState::Going);
  EXPECT_FALSE(m.busy);
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::Recheck);
  EXPECT_TRUE(m.busy);
}

TEST(ModuleCore, AFailedModuleIsNeverEnteredAndIsFreedWithoutCleanup) {
  ModLife m = live();
  mod_mark_failed(m);
  m.busy = false;
  EXPECT_EQ(m.state, ModState::Failed);
  EXPECT_TRUE(m.cleaned);
  EXPECT_FALSE(mod_try_get(m));
  EXPECT_EQ(mod_begin_unload(m), UnloadVerdict::FreeFailed);
  mod_abort_unload(m);  // something still points in: stays Failed
  EXPECT_EQ(m.state, ModState::Failed);
}

struct Ranges {
  std::vector<std::pair<uintptr_t, uintptr_t>> r;
  static bool fn(void* ctx, size_t i, uintptr_t* lo, uintptr_t* hi) {
    auto* self = static_cast<Ranges*>(ctx);
    if (i >= self->r.size()) return false;
    *lo = self->r[i].first;
    *hi = self->r[i].second;
    return true;
  }
};

constexpr uintptr_t kBase = 0xD0000000, kSize = 0x100000, kPage = 0x1000;

TEST(ModuleCore, PlaceLeavesAGuardPageAfterEachModule) {
  Ranges used;
  uintptr_t cursor = kBase;
  const uintptr_t a = mod_place(&cursor, kBase, kSize, 2 * kPage, kPage, Ranges::fn, &used);
  EXPECT_EQ(a, kBase);
  used.r.push_back({a, a + 2 * kPage});
  const uintptr_t b = mod_place(&cursor, kBase, kSize, kPage, kPage, Ranges::fn, &used);
  EXPECT_EQ(b, kBase + 3 * kPage);  // after a's two pages and its guard page
}

TEST(ModuleCore, PlaceNeverReusesAddressesUntilItWraps) {
  Ranges used;
  uintptr_t cursor = kBase;
  const uintptr_t a = mod_place(&cursor, kBase, kSize, kPage, kPage, Ranges::fn, &used);
  // a is freed (not in `used`): the next module still goes after it, so a stray call
  // into a's old addresses faults instead of running b's code.
  const uintptr_t b = mod_place(&cursor, kBase, kSize, kPage, kPage, Ranges::fn, &used);
  EXPECT_EQ(b, a + 2 * kPage);
}

TEST(ModuleCore, PlaceWrapsAroundAndSkipsLiveRanges) {
  Ranges used;
  uintptr_t cursor = kBase + kSize - kPage;  // no room left at the end
  used.r.push_back({kBase, kBase + kPage});  // a live module at the start
  const uintptr_t a = mod_place(&cursor, kBase, kSize, kPage, kPage, Ranges::fn, &used);
  EXPECT_EQ(a, kBase + 2 * kPage);
  EXPECT_EQ(cursor, kBase + 4 * kPage);
}

TEST(ModuleCore, PlaceFailsWhenFullOrAbsurd) {
  Ranges used;
  used.r.push_back({kBase, kBase + kSize - kPage});
  uintptr_t cursor = kBase;
  EXPECT_EQ(mod_place(&cursor, kBase, kSize, kPage, kPage, Ranges::fn, &used), 0u);
  Ranges none;
  EXPECT_EQ(mod_place(&cursor, kBase, kSize, kSize, kPage, Ranges::fn, &none), 0u);
  EXPECT_EQ(mod_place(&cursor, kBase, kSize, 0, kPage, Ranges::fn, &none), 0u);
  EXPECT_EQ(mod_place(&cursor, kBase, kSize, ~uintptr_t(0), kPage, Ranges::fn, &none), 0u);
}

TEST(ModuleCore, PlaceCursorOutsideTheAreaStartsAtBase) {
  Ranges none;
  uintptr_t cursor = 0x1234;
  EXPECT_EQ(mod_place(&cursor, kBase, kSize, kPage, kPage, Ranges::fn, &none), kBase);
}

TEST(ModuleCore, ScanFindsAlignedWordsInTheRange) {
  alignas(4) uint32_t words[6] = {0, 0xD0001000, 0xCFFFFFFF, 0xD0002000, 0xD0001FFF, 7};
  std::vector<std::pair<size_t, uint32_t>> hits;
  auto fn = [](void* ctx, size_t off, uint32_t v) {
    static_cast<std::vector<std::pair<size_t, uint32_t>>*>(ctx)->push_back({off, v});
  };
  EXPECT_EQ(mod_scan_words(words, sizeof words, 0xD0001000, 0xD0002000, fn, &hits), 2u);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], (std::pair<size_t, uint32_t>{4, 0xD0001000}));
  EXPECT_EQ(hits[1], (std::pair<size_t, uint32_t>{16, 0xD0001FFF}));
}

TEST(ModuleCore, ScanStaysInsideTheBuffer) {
  alignas(4) uint8_t bytes[12] = {};
  const uint32_t v = 0xD0000010;
  __builtin_memcpy(bytes + 8, &v, 4);
  // An unaligned start is rounded up; a word that would cross the end is not read.
  EXPECT_EQ(mod_scan_words(bytes + 1, 10, 0xD0000000, 0xD0001000, nullptr, nullptr), 0u);
  EXPECT_EQ(mod_scan_words(bytes + 1, 11, 0xD0000000, 0xD0001000, nullptr, nullptr), 1u);
  EXPECT_EQ(mod_scan_words(bytes, 0, 0, 0xFFFFFFFF, nullptr, nullptr), 0u);
}

}  // namespace
}  // namespace quartz
