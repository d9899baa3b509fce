// The physical page allocator: 4 KiB frames of RAM from the Multiboot memory map.
//
// Contract: thread context or boot; takes interrupts off inside. Only frames below
// kIdentityLimit are managed, so every frame is reachable at its physical address.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quartz {
struct BootInfo;
// Boot only: frees the available regions of the memory map, then reserves the first
// MiB, the kernel image, the Multiboot modules and the bitmap (placed in the first free
// frames above 1 MiB). Returns the end of the highest RAM frame managed (page aligned).
uintptr_t pmm_init(const BootInfo& info);
uintptr_t pmm_alloc();           // 0 when out of memory
void pmm_free(uintptr_t frame);  // panics on a double free or a foreign frame
size_t pmm_free_pages();
size_t pmm_total_pages();

// For tests (kernel/tests/pmm_tests.cpp): the bitmap's bookkeeping, in pages. Read with
// interrupts off if the answer must hold while it is used.
struct PmmLayout {
  size_t managed_pages;             // pages 0 .. managed_pages-1 have a bit (up to the top of RAM)
  size_t bitmap_begin, bitmap_end;  // the frames [begin, end) that hold the bitmap itself
};
PmmLayout pmm_layout();
bool pmm_page_is_free(size_t page);
}  // namespace quartz
