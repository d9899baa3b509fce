// Which page frames are RAM: the boot memory map's available regions as sorted, disjoint
// page spans, and a first-fit search among them for the page allocator's own bitmap.
//
// Contract: pure functions over caller-provided arrays (no allocation, no hardware),
// called once at boot by the physical memory manager. Addresses are 64-bit because the
// firmware reports RAM above 4 GiB too; spans are page numbers below a limit the caller
// picks, so they fit a size_t on the 32-bit target.
#pragma once

#include <cstddef>
#include <cstdint>
#include "kernel/lib/page_size.h"

namespace quartz {

struct RamRegion {  // available RAM from the memory map, in bytes
  uint64_t base, length;
};

struct PageSpan {  // pages [begin, end)
  size_t begin, end;
  size_t count() const { return end - begin; }
  bool operator==(const PageSpan&) const = default;
};

// Rounds each region inward to whole pages (a page only partly RAM is not RAM), cuts
// off everything from limit_page up, then sorts and merges overlapping or touching
// spans into out, which must hold n entries. Returns the number of spans written.
size_t ram_spans(const RamRegion* regions, size_t n, size_t limit_page, PageSpan* out);

// The lowest page p >= min_page such that [p, p + count) lies inside one span of `ram`
// (sorted and disjoint, as ram_spans() makes them) and overlaps no span of `reserved`
// (any order, may overlap each other). False if there is no such place or count is 0.
bool ram_first_fit(const PageSpan* ram, size_t nram, const PageSpan* reserved, size_t nreserved,
                   size_t min_page, size_t count, size_t* page);

}  // namespace quartz
