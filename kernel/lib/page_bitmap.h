// Bookkeeping for physical page frames: one bit per frame, set = used.
//
// Contract:
//   - Callers: the physical memory manager, which owns the only instance and serializes
//     every call (interrupts off or its lock held); this class has no locking of its own.
//     Pure logic over caller-provided storage: no allocation, no hardware access.
//   - Pages are indices 0..total()-1; the PMM adds its base frame / multiplies by kPageSize.
//   - After init() every page is used; after init_free() every page is free. The PMM
//     starts from init_free() and marks the holes of the memory map and what is reserved
//     (first MiB, kernel image, boot modules, the bitmap itself) used: those are a few
//     small ranges, while RAM is one large one, so boot never walks every page.
//   - Both inits are O(1): they write no word. The words written so far are a prefix,
//     words_[0, ready_); a word above it still holds whatever the storage held and reads
//     as its initial value. The first change to a word writes every word up to it, so
//     the bitmap is filled as allocation climbs through memory (like Linux's deferred
//     struct page initialisation), not all at boot.
//   - mark_free()/mark_used() take a range a 32-page word at a time (a mask for the
//     partial words at its ends), so their cost grows with the range / 32.
//   - alloc() hands out the lowest free page; alloc_contiguous() the lowest free run.
//     A "next word that may be free" hint keeps repeated allocations cheap; worst case
//     is one scan over the words.
//   - free() refuses (returns false, changes nothing) a page that is out of range or
//     already free, so double frees are reported instead of corrupting the count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

class PageBitmap {
 public:
  static constexpr size_t bits_per_word = 32;
  static constexpr size_t words_for(size_t npages) {
    return (npages + bits_per_word - 1) / bits_per_word;
  }

  constexpr PageBitmap() = default;

  // words must hold words_for(npages) entries and outlive the bitmap; their contents
  // do not matter. Marks all used.
  void init(uint32_t* words, size_t npages);
  // The same, but marks every page free (the bits past npages in the last word read as
  // used, as after init()).
  void init_free(uint32_t* words, size_t npages);

  // Range updates for boot-time setup. Return false (and change nothing) if the range
  // does not lie inside [0, total()). Marking an already free page free is fine.
  bool mark_free(size_t first, size_t count);
  bool mark_used(size_t first, size_t count);

  bool alloc(size_t* page);
  // Lowest run of count free pages whose first page is a multiple of align_pages
  // (a power of two). False if count is 0, align_pages is not a power of two, or no run.
  bool alloc_contiguous(size_t count, size_t* first, size_t align_pages = 1);

  bool free(size_t page);
  // Frees a run from alloc_contiguous(); false (nothing changed) if any page of it is
  // out of range or already free.
  bool free_range(size_t first, size_t count);

  bool is_free(size_t page) const;
  size_t free_count() const { return free_count_; }
  size_t total() const { return npages_; }

 private:
  void start(uint32_t* words, size_t npages, uint32_t initial);
  // The value word w has until it is first written: the bits past the last page are
  // always set, so a scan for a clear bit never needs a range check.
  uint32_t initial_word(size_t w) const { return w + 1 == nwords_ ? initial_ | tail_ : initial_; }
  uint32_t word(size_t w) const { return w < ready_ ? words_[w] : initial_word(w); }
  uint32_t& writable(size_t w) {
    for (; ready_ <= w; ++ready_) words_[ready_] = initial_word(ready_);
    return words_[w];
  }
  bool in_range(size_t first, size_t count) const {
    return count <= npages_ && first <= npages_ - count;
  }
  bool mark(size_t first, size_t count, bool used);
  bool test(size_t page) const {
    return (word(page / bits_per_word) >> (page % bits_per_word)) & 1u;
  }
  void set_used(size_t page) { writable(page / bits_per_word) |= 1u << (page % bits_per_word); }
  void set_free(size_t page) { writable(page / bits_per_word) &= ~(1u << (page % bits_per_word)); }

  uint32_t* words_ = nullptr;
  size_t nwords_ = 0;
  size_t npages_ = 0;
  size_t free_count_ = 0;
  size_t hint_ = 0;         // every word below this one is full
  size_t ready_ = 0;        // words_[0, ready_) are written; the rest read as initial_word()
  uint32_t initial_ = ~0u;  // every page's bit before its word is written
  uint32_t tail_ = 0;       // the bits past npages in the last word
};

}  // namespace quartz
