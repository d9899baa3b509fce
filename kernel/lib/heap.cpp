// Kernel heap allocator logic: block headers, first-fit placement, coalescing, growth.
#include "kernel/lib/heap.h"

namespace quartz {
namespace {

// Distinct magics for used and free headers: freeing a block whose header says "free"
// is a double free, anything else is a wild pointer or corruption.
constexpr uint32_t magic_used = 0x51a110c8;
constexpr uint32_t magic_free = 0xf4eeb10c;

constexpr uintptr_t align_up(uintptr_t v, uintptr_t align) {
  return (v + align - 1) & ~(align - 1);
}
constexpr bool is_pow2(size_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

Heap::FreeLinks* Heap::links(Block* b) {
  return reinterpret_cast<FreeLinks*>(addr_of(b) + header_size);
}

// Where the payload goes if a block starting at block_start must hold an allocation with
// this alignment. Any gap before the new header must itself be a valid free block.
uintptr_t Heap::payload_for(uintptr_t block_start, size_t align) {
  uintptr_t natural = block_start + header_size;
  uintptr_t p = align_up(natural, align);
  while (p != natural && p - natural < min_block) p += align;
  return p;
}

void Heap::init(uintptr_t base, size_t max_bytes, CommitFn commit, void* ctx, size_t page_size) {
  // Start from an empty heap whatever happens below; a bad argument leaves it empty,
  // so every alloc fails instead of touching memory nobody gave us.
  base_ = 0;
  max_bytes_ = 0;
  committed_ = 0;
  commit_ = nullptr;
  commit_ctx_ = nullptr;
  free_head_ = nullptr;
  last_ = nullptr;
  bytes_in_use_ = live_ = total_allocs_ = total_frees_ = failed_allocs_ = 0;
  if (!is_pow2(page_size) || page_size < 64) return;
  uintptr_t aligned = align_up(base, page_size);
  size_t lost = aligned - base;
  if (aligned < base || lost >= max_bytes) return;
  max_bytes -= lost;
  max_bytes &= ~(page_size - 1);
  if (max_bytes > UINTPTR_MAX - aligned) max_bytes = (UINTPTR_MAX - aligned + 1) & ~(page_size - 1);
  base_ = aligned;
  max_bytes_ = max_bytes;
  page_size_ = page_size;
  commit_ = commit;
  commit_ctx_ = ctx;
}

Heap::Block* Heap::next_of(Block* b) const {
  uintptr_t n = addr_of(b) + b->size;
  return n < end() ? block_at(n) : nullptr;
}

Heap::Block* Heap::prev_of(Block* b) const {
  return b->prev_size != 0 ? block_at(addr_of(b) - b->prev_size) : nullptr;
}

void Heap::list_insert_after(Block* anchor, Block* b) {
  FreeLinks* l = links(b);
  l->prev = anchor;
  l->next = anchor != nullptr ? links(anchor)->next : free_head_;
  if (l->next != nullptr) links(l->next)->prev = b;
  if (anchor != nullptr)
    links(anchor)->next = b;
  else
    free_head_ = b;
}

void Heap::list_insert_sorted(Block* b) {
  Block* anchor = nullptr;
  for (Block* it = free_head_; it != nullptr && it < b; it = links(it)->next) anchor = it;
  list_insert_after(anchor, b);
}

void Heap::list_remove(Block* b) {
  FreeLinks* l = links(b);
  if (l->prev != nullptr)
    links(l->prev)->next = l->next;
  else
    free_head_ = l->next;
  if (l->next != nullptr) links(l->next)->prev = l->prev;
}

// Commits enough pages that the (possibly new) last free block can hold the allocation.
// Changes nothing unless the commit callback succeeds.
bool Heap::grow_for(size_t payload_bytes, size_t align) {
  if (commit_ == nullptr) return false;
  bool last_free = last_ != nullptr && last_->magic == magic_free;
  uintptr_t start = last_free ? addr_of(last_) : end();
  uintptr_t p = payload_for(start, align);
  uintptr_t limit = base_ + max_bytes_;
  if (p > limit || payload_bytes > limit - p) return false;
  size_t want = align_up(p + payload_bytes - base_, page_size_);
  size_t delta = want - committed_;
  if (!commit_(commit_ctx_, end(), delta)) return false;

  if (last_free) {
    last_->size += delta;
  } else {
    Block* b = block_at(end());
    b->magic = magic_free;
    b->size = delta;
    b->prev_size = last_ != nullptr ? last_->size : 0;
    b->requested = 0;
    list_insert_sorted(b);  // highest address: lands at the tail
    last_ = b;
  }
  committed_ = want;
  return true;
}

// Carves [payload - header, payload + payload_bytes) out of free block b, leaving any
// leading gap and any large enough tail as free blocks in b's place in the list.
void* Heap::take(Block* b, uintptr_t payload, size_t payload_bytes, size_t requested) {
  uintptr_t b_start = addr_of(b);
  uintptr_t b_end = b_start + b->size;
  uintptr_t u_start = payload - header_size;
  uintptr_t u_end = payload + payload_bytes;
  bool was_last = b == last_;
  Block* anchor;  // the free-list entry a tail block goes after

  if (u_start > b_start) {
    b->size = u_start - b_start;  // leading gap stays free, same list position
    anchor = b;
  } else {
    anchor = links(b)->prev;
    list_remove(b);
  }

  Block* u = block_at(u_start);
  u->magic = magic_used;
  u->prev_size = u_start > b_start ? u_start - b_start : b->prev_size;
  u->requested = requested;

  if (b_end - u_end >= min_block) {
    Block* t = block_at(u_end);
    t->magic = magic_free;
    t->size = b_end - u_end;
    t->prev_size = u_end - u_start;
    t->requested = 0;
    list_insert_after(anchor, t);
    if (was_last)
      last_ = t;
    else
      block_at(b_end)->prev_size = t->size;
  } else {
    u_end = b_end;  // too small to stand alone: the allocation absorbs the tail
    if (was_last)
      last_ = u;
    else
      block_at(b_end)->prev_size = u_end - u_start;
  }
  u->size = u_end - u_start;

  bytes_in_use_ += requested;
  ++live_;
  ++total_allocs_;
  return reinterpret_cast<void*>(payload);
}

void* Heap::alloc(size_t size, size_t align) {
  if (size == 0) return nullptr;
  if (align < min_align) align = min_align;
  if (!is_pow2(align) || align > max_align || size > max_bytes_) {
    ++failed_allocs_;
    return nullptr;
  }
  size_t payload_bytes = align_up(size, 16);

  for (int attempt = 0; attempt < 2; ++attempt) {
    for (Block* b = free_head_; b != nullptr; b = links(b)->next) {
      uintptr_t b_end = addr_of(b) + b->size;
      uintptr_t p = payload_for(addr_of(b), align);
      if (p <= b_end && b_end - p >= payload_bytes) return take(b, p, payload_bytes, size);
    }
    // After a successful grow the last block fits by construction; the loop runs
    // again rather than special-casing it.
    if (attempt == 0 && !grow_for(payload_bytes, align)) break;
  }
  ++failed_allocs_;
  return nullptr;
}

// The header of a live allocation at ptr, or nullptr with the reason.
const Heap::Block* Heap::live_block(const void* ptr, FreeResult* why) const {
  if (ptr == nullptr) {
    *why = FreeResult::Null;
    return nullptr;
  }
  auto a = reinterpret_cast<uintptr_t>(ptr);
  if (a < base_ + header_size || a >= end() || a % min_align != 0) {
    *why = FreeResult::NotHeap;
    return nullptr;
  }
  const Block* b = block_at(a - header_size);
  if (b->magic == magic_free) {
    *why = FreeResult::DoubleFree;
    return nullptr;
  }
  // Beyond the magic, the neighbours must agree with the header; this rejects most
  // pointers into the middle of an allocation whose data happens to hold the magic.
  uintptr_t start = addr_of(b);
  bool ok = b->magic == magic_used && b->size % 16 == 0 && b->size >= min_block &&
            b->size <= end() - start && b->requested <= b->size - header_size;
  if (ok) {
    if (b->prev_size == 0) {
      ok = start == base_;
    } else {
      ok = b->prev_size <= start - base_ && block_at(start - b->prev_size)->size == b->prev_size;
    }
  }
  if (ok && start + b->size < end()) ok = block_at(start + b->size)->prev_size == b->size;
  if (!ok) {
    *why = FreeResult::BadMagic;
    return nullptr;
  }
  *why = FreeResult::Ok;
  return b;
}

Heap::FreeResult Heap::free(void* ptr) {
  FreeResult why;
  Block* b = const_cast<Block*>(live_block(ptr, &why));
  if (b == nullptr) return why;

  bytes_in_use_ -= b->requested;
  --live_;
  ++total_frees_;
  b->magic = magic_free;  // stays behind even if b is merged away: catches a double free
  b->requested = 0;

  Block* next = next_of(b);
  Block* anchor = nullptr;
  bool have_anchor = false;
  if (next != nullptr && next->magic == magic_free) {
    anchor = links(next)->prev;  // b takes next's place in the list
    have_anchor = true;
    list_remove(next);
    if (next == last_) last_ = b;
    b->size += next->size;
  }
  Block* prev = prev_of(b);
  if (prev != nullptr && prev->magic == magic_free) {
    prev->size += b->size;  // prev is already listed in the right place
    if (b == last_) last_ = prev;
    b = prev;
  } else if (have_anchor) {
    list_insert_after(anchor, b);
  } else {
    list_insert_sorted(b);
  }
  if (Block* after = next_of(b)) after->prev_size = b->size;
  return FreeResult::Ok;
}

size_t Heap::usable_size(const void* ptr) const {
  FreeResult why;
  const Block* b = live_block(ptr, &why);
  return b != nullptr ? b->size - header_size : 0;
}

HeapStats Heap::stats() const {
  size_t free_bytes = 0;
  for (Block* b = free_head_; b != nullptr; b = links(b)->next) free_bytes += b->size - header_size;
  return HeapStats{bytes_in_use_, live_,        committed_,    free_bytes,
                   total_allocs_, total_frees_, failed_allocs_};
}

bool Heap::check(const char** reason) const {
  auto fail = [reason](const char* why) {
    if (reason != nullptr) *reason = why;
    return false;
  };
  size_t free_blocks = 0;
  size_t live = 0;
  size_t in_use = 0;
  size_t prev_size = 0;
  bool prev_free = false;
  const Block* last = nullptr;
  for (uintptr_t a = base_; a < end();) {
    const Block* b = block_at(a);
    if (b->magic != magic_used && b->magic != magic_free) return fail("block with a bad magic");
    if (b->size % 16 != 0 || b->size < min_block) return fail("block with a bad size");
    if (b->size > end() - a) return fail("block runs past the end of the arena");
    if (b->prev_size != prev_size) return fail("block's prev_size does not match its neighbour");
    if (b->magic == magic_free) {
      if (prev_free) return fail("two adjacent free blocks were not coalesced");
      if (b->requested != 0) return fail("free block with a requested size");
      ++free_blocks;
    } else {
      if (b->requested == 0 || b->requested > b->size - header_size) {
        return fail("used block whose requested size does not fit");
      }
      ++live;
      in_use += b->requested;
    }
    prev_free = b->magic == magic_free;
    prev_size = b->size;
    last = b;
    a += b->size;
  }
  if (last != last_) return fail("last-block pointer is stale");
  if (live != live_) return fail("live allocation count is wrong");
  if (in_use != bytes_in_use_) return fail("bytes_in_use does not match the blocks");

  size_t listed = 0;
  Block* prev = nullptr;
  for (Block* b = free_head_; b != nullptr; b = links(b)->next) {
    if (++listed > free_blocks) return fail("free list is longer than the number of free blocks");
    if (addr_of(b) < base_ || addr_of(b) >= end() || b->magic != magic_free) {
      return fail("free list entry is not a free block");
    }
    if (links(b)->prev != prev) return fail("free list back link is wrong");
    if (prev != nullptr && prev >= b) return fail("free list is not in address order");
    prev = b;
  }
  if (listed != free_blocks) return fail("a free block is missing from the free list");
  return true;
}

const char* Heap::describe(FreeResult r) {
  switch (r) {
    case FreeResult::Ok:
      return "ok";
    case FreeResult::Null:
      return "null pointer";
    case FreeResult::NotHeap:
      return "pointer is not in the heap";
    case FreeResult::BadMagic:
      return "bad block header (wild pointer or heap corruption)";
    case FreeResult::DoubleFree:
      return "double free";
  }
  return "unknown";
}

}  // namespace quartz
