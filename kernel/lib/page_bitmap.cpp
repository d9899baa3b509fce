// Bookkeeping for physical page frames: one bit per frame, set = used.
#include "kernel/lib/page_bitmap.h"

namespace quartz {

void PageBitmap::start(uint32_t* words, size_t npages, uint32_t initial) {
  words_ = words;
  npages_ = npages;
  nwords_ = words_for(npages);
  initial_ = initial;
  tail_ = npages % bits_per_word ? ~0u << (npages % bits_per_word) : 0;
  ready_ = 0;
  hint_ = 0;
}

void PageBitmap::init(uint32_t* words, size_t npages) {
  start(words, npages, ~0u);
  free_count_ = 0;
}

void PageBitmap::init_free(uint32_t* words, size_t npages) {
  start(words, npages, 0);
  free_count_ = npages;
}

// Bits set in `w` in constant time (the SWAR sum of Hacker's Delight §5-1), without a
// libgcc call on targets that lack a popcount instruction: a range marked over a word
// costs the same whatever the word held.
static size_t bits_set(uint32_t w) {
  w = w - ((w >> 1) & 0x55555555u);
  w = (w & 0x33333333u) + ((w >> 2) & 0x33333333u);
  w = (w + (w >> 4)) & 0x0F0F0F0Fu;
  return (w * 0x01010101u) >> 24;
}

// Both markers work a word at a time, with a mask for the pages of the range in that word
// (all 32 in the middle of a range, fewer in the first and last word). Boot once marked
// all of RAM page by page, which made it the slowest part of boot.
bool PageBitmap::mark(size_t first, size_t count, bool used) {
  if (!in_range(first, count)) return false;
  const size_t end = first + count;
  for (size_t p = first; p < end;) {
    const size_t bit = p % bits_per_word;
    const size_t n = end - p < bits_per_word - bit ? end - p : bits_per_word - bit;
    const uint32_t mask = (n == bits_per_word ? ~0u : ((1u << n) - 1)) << bit;
    uint32_t& w = writable(p / bits_per_word);
    if (used) {
      free_count_ -= bits_set(mask & ~w);
      w |= mask;
    } else {
      free_count_ += bits_set(mask & w);
      w &= ~mask;
    }
    p += n;
  }
  return true;
}

bool PageBitmap::mark_free(size_t first, size_t count) {
  if (!mark(first, count, false)) return false;
  if (count > 0 && first / bits_per_word < hint_) hint_ = first / bits_per_word;
  return true;
}

bool PageBitmap::mark_used(size_t first, size_t count) { return mark(first, count, true); }

bool PageBitmap::alloc(size_t* page) {
  for (size_t w = hint_; w < nwords_; ++w) {
    const uint32_t bits = word(w);
    if (bits != ~0u) {
      size_t p = w * bits_per_word + static_cast<size_t>(__builtin_ctz(~bits));
      set_used(p);
      --free_count_;
      hint_ = w;
      *page = p;
      return true;
    }
  }
  hint_ = nwords_;
  return false;
}

bool PageBitmap::alloc_contiguous(size_t count, size_t* first, size_t align_pages) {
  if (count == 0 || align_pages == 0 || (align_pages & (align_pages - 1)) != 0) return false;
  if (count > free_count_) return false;
  const size_t mask = align_pages - 1;
  size_t start = (hint_ * bits_per_word + mask) & ~mask;
  while (in_range(start, count)) {
    size_t p = start;
    while (p < start + count && !test(p)) ++p;
    if (p == start + count) {
      for (size_t q = start; q < start + count; ++q) set_used(q);
      free_count_ -= count;
      *first = start;
      return true;
    }
    // Page p is used: no run through it. Skip the rest of a full word in one step.
    ++p;
    while (p % bits_per_word == 0 && p < npages_ && word(p / bits_per_word) == ~0u)
      p += bits_per_word;
    if (p > npages_) return false;
    start = (p + mask) & ~mask;
    if (start < p) return false;  // wrapped around
  }
  return false;
}

bool PageBitmap::free(size_t page) {
  if (page >= npages_ || !test(page)) return false;
  set_free(page);
  ++free_count_;
  if (page / bits_per_word < hint_) hint_ = page / bits_per_word;
  return true;
}

bool PageBitmap::free_range(size_t first, size_t count) {
  if (!in_range(first, count)) return false;
  for (size_t p = first; p < first + count; ++p) {
    if (!test(p)) return false;
  }
  return mark_free(first, count);
}

bool PageBitmap::is_free(size_t page) const { return page < npages_ && !test(page); }

}  // namespace quartz
