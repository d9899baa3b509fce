// Bookkeeping for physical page frames: one bit per frame, set = used.
#include "page_bitmap.h"

namespace quartz {

void PageBitmap::init(uint32_t* words, size_t npages) {
    words_ = words;
    npages_ = npages;
    nwords_ = words_for(npages);
    for (size_t i = 0; i < nwords_; ++i) words_[i] = ~0u;
    // The tail bits of the last word stay "used" forever, so a scan for a clear bit
    // never needs a range check.
    free_count_ = 0;
    hint_ = 0;
}

// Bits set in `w`, without a libgcc call on targets that lack a popcount instruction.
static size_t bits_set(uint32_t w) {
    size_t n = 0;
    for (; w; w &= w - 1) ++n;
    return n;
}

// Both markers take whole 32-page words at once where the range covers them: at boot
// they sweep every page of RAM, and per-bit loops made that the slowest part of boot.
bool PageBitmap::mark(size_t first, size_t count, bool used) {
    if (!in_range(first, count)) return false;
    size_t p = first;
    const size_t end = first + count;
    while (p < end) {
        if (p % bits_per_word == 0 && end - p >= bits_per_word) {
            uint32_t& w = words_[p / bits_per_word];
            const size_t were_used = bits_set(w);
            if (used) {
                free_count_ -= bits_per_word - were_used;
                w = ~0u;
            } else {
                free_count_ += were_used;
                w = 0;
            }
            p += bits_per_word;
            continue;
        }
        if (test(p) != used) {
            if (used) {
                set_used(p);
                --free_count_;
            } else {
                set_free(p);
                ++free_count_;
            }
        }
        ++p;
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
        if (words_[w] != ~0u) {
            size_t p = w * bits_per_word + static_cast<size_t>(__builtin_ctz(~words_[w]));
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
        while (p % bits_per_word == 0 && p < npages_ && words_[p / bits_per_word] == ~0u) p += bits_per_word;
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
