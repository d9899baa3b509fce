// VGA text console, 80x25, mirroring everything the kernel prints.
#pragma once
#include <cstddef>

namespace quartz {
void vga_init();
void vga_write(const char* s, size_t n);  // interrupts off inside; any context
}  // namespace quartz
