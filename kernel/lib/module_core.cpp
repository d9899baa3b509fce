// Module lifetime decisions, placement in the module area and pointer scans: the pure
// half of kernel/module/ (see module_core.h for the states and the contract).
#include "kernel/lib/module_core.h"

namespace quartz {

const char* mod_state_name(ModState s) {
  switch (s) {
    case ModState::Coming:
      return "coming";
    case ModState::Live:
      return "live";
    case ModState::Going:
      return "going";
    case ModState::Failed:
      return "failed";
  }
  return "?";
}

bool mod_try_get(ModLife& m) {
  if (m.state != ModState::Live) return false;
  ++m.active;
  return true;
}

bool mod_put(ModLife& m) {
  if (m.active > 0) --m.active;
  return m.active == 0 && m.state == ModState::Going;
}

UnloadVerdict mod_begin_unload(ModLife& m) {
  if (m.busy) return UnloadVerdict::Busy;
  if (m.users > 0) return UnloadVerdict::UsedByModules;
  switch (m.state) {
    case ModState::Live:
      m.state = ModState::Going;
      m.busy = true;
      return UnloadVerdict::Start;
    case ModState::Going:
      m.busy = true;
      return UnloadVerdict::Recheck;
    case ModState::Failed:
      m.busy = true;
      return UnloadVerdict::FreeFailed;
    case ModState::Coming:
      break;  // a Coming module is always busy (its insmod is running)
  }
  return UnloadVerdict::Busy;
}

void mod_abort_unload(ModLife& m) {
  if (m.state == ModState::Going && !m.cleaned) m.state = ModState::Live;
  m.busy = false;
}

void mod_mark_failed(ModLife& m) {
  m.state = ModState::Failed;
  m.cleaned = true;
}

uintptr_t mod_place(uintptr_t* cursor, uintptr_t base, uintptr_t size, uintptr_t need,
                    uintptr_t guard, UsedRangeFn used, void* ctx) {
  const uintptr_t total = need + guard;
  if (need == 0 || total < need || total > size) return 0;
  const uintptr_t end = base + size;
  if (*cursor < base || *cursor > end) *cursor = base;
  for (int attempt = 0; attempt < 2; ++attempt) {
    uintptr_t cand = *cursor;
    bool moved = true;
    while (moved && cand <= end - total) {
      moved = false;
      uintptr_t lo, hi;
      for (size_t i = 0; used(ctx, i, &lo, &hi); ++i) {
        // [cand, cand + total) must not meet [lo, hi + guard).
        if (cand < hi + guard && lo < cand + total) {
          cand = hi + guard;
          moved = true;
        }
      }
    }
    if (cand <= end - total) {
      *cursor = cand + total;
      return cand;
    }
    *cursor = base;  // wrap around: the oldest freed ranges are reused
  }
  return 0;
}

size_t mod_scan_words(const void* mem, size_t len, uint32_t lo, uint32_t hi, WordHitFn fn,
                      void* ctx) {
  const auto start = reinterpret_cast<uintptr_t>(mem);
  const uintptr_t first = (start + 3) & ~uintptr_t(3);
  size_t hits = 0;
  for (uintptr_t a = first; a + 4 <= start + len; a += 4) {
    const uint32_t v = *reinterpret_cast<const uint32_t*>(a);
    if (v >= lo && v < hi) {
      ++hits;
      if (fn) fn(ctx, size_t(a - start), v);
    }
  }
  return hits;
}

}  // namespace quartz
