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
}  // namespace quartz
