// Which page frames are RAM: memory map regions to page spans, and a first fit among them.
#include "kernel/lib/ram_map.h"

namespace quartz {

size_t ram_spans(const RamRegion* regions, size_t n, size_t limit_page, PageSpan* out) {
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t base = regions[i].base;
    // A region that wraps past 2^64 is firmware nonsense: take it up to the top.
    const uint64_t length = regions[i].length;
    const uint64_t end = length > UINT64_MAX - base ? UINT64_MAX : base + length;
    const uint64_t first = base / kPageSize + (base % kPageSize != 0);
    uint64_t last = end / kPageSize;
    if (last > limit_page) last = limit_page;
    if (first >= last) continue;
    // Insertion sort by first page: the map has a few dozen entries at most.
    size_t j = count++;
    for (; j > 0 && out[j - 1].begin > first; --j) out[j] = out[j - 1];
    out[j] = {size_t(first), size_t(last)};
  }
  // Merge in place: each span either extends the last kept one or starts a new one.
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    if (kept > 0 && out[i].begin <= out[kept - 1].end) {
      if (out[i].end > out[kept - 1].end) out[kept - 1].end = out[i].end;
    } else {
      out[kept++] = out[i];
    }
  }
  return kept;
}

bool ram_first_fit(const PageSpan* ram, size_t nram, const PageSpan* reserved, size_t nreserved,
                   size_t min_page, size_t count, size_t* page) {
  if (count == 0) return false;
  for (size_t r = 0; r < nram; ++r) {
    size_t p = ram[r].begin > min_page ? ram[r].begin : min_page;
    // Step past every reserved span the candidate overlaps until none does; each
    // step moves p up, so this ends after at most nreserved + 1 passes.
    for (bool moved = true; moved;) {
      moved = false;
      if (p > ram[r].end || ram[r].end - p < count) break;
      for (size_t i = 0; i < nreserved; ++i) {
        const PageSpan& s = reserved[i];
        if (s.begin < s.end && s.begin < p + count && p < s.end) {
          p = s.end;
          moved = true;
        }
      }
    }
    if (p <= ram[r].end && ram[r].end - p >= count) {
      *page = p;
      return true;
    }
  }
  return false;
}

}  // namespace quartz
