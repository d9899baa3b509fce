// Kernel heap allocator logic (behind kmalloc/kfree): first fit over a growable arena.
//
// Contract:
//   - Callers: kmalloc/kfree, which serialize every call (interrupts off or a lock); the
//     Heap has no locking of its own. Never call it from an interrupt handler: the commit
//     callback maps pages and may take the page-frame allocator's lock.
//   - The arena is the virtual range [base, base + max_bytes). Only its first arena_bytes
//     are backed; when no free block fits, the heap asks commit(ctx, addr, bytes) to back
//     the next page-granular piece (addr = current end, page aligned; bytes a multiple of
//     page_size). If commit fails, alloc returns nullptr and the heap is unchanged.
//   - alloc(size, align): first fit in address order. align is a power of two up to kPageSize;
//     smaller than 16 is treated as 16. alloc(0) returns nullptr (nothing to hand out;
//     counted neither as an allocation nor a failure). Payloads are never zeroed.
//   - Every block starts with a header holding a magic and the requested size; free()
//     validates the pointer (inside the arena, magic, neighbour links) and reports
//     rather than corrupts: Null, NotHeap, BadMagic, DoubleFree. Free neighbours are
//     coalesced at once. A double free is caught as long as the block's memory has not
//     been handed out again.
//   - Stats: bytes_in_use is the sum of the sizes *requested* by live allocations, so
//     freeing everything returns it exactly to its old value.
//   - check() walks the whole arena and the free list; O(blocks). For tests and for the
//     `mem check` shell command, not for hot paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include "kernel/lib/page_size.h"

namespace quartz {

struct HeapStats {
  size_t bytes_in_use;  // sum of requested sizes of live allocations
  size_t live_allocations;
  size_t arena_bytes;    // committed (backed) bytes of the arena
  size_t free_bytes;     // payload bytes available in free blocks
  size_t total_allocs;   // successful alloc() calls, ever
  size_t total_frees;    // successful free() calls, ever
  size_t failed_allocs;  // alloc() calls that returned nullptr for size > 0
};

class Heap {
 public:
  using CommitFn = bool (*)(void* ctx, uintptr_t addr, size_t bytes);
  enum class FreeResult { Ok, Null, NotHeap, BadMagic, DoubleFree };

  static constexpr size_t min_align = 16;
  static constexpr size_t max_align = kPageSize;

  constexpr Heap() = default;
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // base should be page aligned (it is rounded up if not) and max_bytes is rounded down
  // to whole pages. page_size is a power of two >= 64. Nothing is committed yet.
  void init(uintptr_t base, size_t max_bytes, CommitFn commit, void* ctx,
            size_t page_size = kPageSize);

  void* alloc(size_t size, size_t align = min_align);
  FreeResult free(void* ptr);

  // Bytes the caller may use at ptr (>= the requested size); 0 if ptr is not a live
  // allocation of this heap.
  size_t usable_size(const void* ptr) const;

  HeapStats stats() const;

  // Validates every header, the free list and the statistics. On corruption returns
  // false and points *reason (if non-null) at a static one-line description.
  bool check(const char** reason) const;

  static const char* describe(FreeResult r);

 private:
  struct alignas(16) Block {
    uint32_t magic;
    size_t size;       // whole block including this header; multiple of 16
    size_t prev_size;  // size of the block just below; 0 for the first block
    size_t requested;  // bytes asked for (used blocks); 0 in free blocks
  };
  // Free blocks keep their list links in the first payload bytes.
  struct FreeLinks {
    Block* prev;
    Block* next;
  };

  static constexpr size_t header_size = sizeof(Block);
  static constexpr size_t min_block = header_size + 16;  // room for FreeLinks
  static_assert(header_size % 16 == 0, "payloads must stay 16-byte aligned");
  static_assert(sizeof(FreeLinks) <= min_block - header_size, "free links must fit");

  static FreeLinks* links(Block* b);
  static Block* block_at(uintptr_t addr) { return reinterpret_cast<Block*>(addr); }
  static uintptr_t addr_of(const Block* b) { return reinterpret_cast<uintptr_t>(b); }
  static uintptr_t payload_for(uintptr_t block_start, size_t align);

  uintptr_t end() const { return base_ + committed_; }
  Block* next_of(Block* b) const;
  Block* prev_of(Block* b) const;
  const Block* live_block(const void* ptr, FreeResult* why) const;

  void list_insert_after(Block* anchor, Block* b);
  void list_insert_sorted(Block* b);
  void list_remove(Block* b);

  bool grow_for(size_t payload_bytes, size_t align);
  void* take(Block* b, uintptr_t payload, size_t payload_bytes, size_t requested);

  // All fields: guarded by the caller's serialization (see contract).
  uintptr_t base_ = 0;
  size_t max_bytes_ = 0;
  size_t committed_ = 0;
  size_t page_size_ = kPageSize;
  CommitFn commit_ = nullptr;
  void* commit_ctx_ = nullptr;
  Block* free_head_ = nullptr;  // free blocks in address order
  Block* last_ = nullptr;       // highest block, or nullptr while nothing is committed
  size_t bytes_in_use_ = 0;
  size_t live_ = 0;
  size_t total_allocs_ = 0;
  size_t total_frees_ = 0;
  size_t failed_allocs_ = 0;
};

}  // namespace quartz
