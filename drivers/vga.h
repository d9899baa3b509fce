// VGA text console, 80x25, mirroring everything the kernel prints.
#pragma once
#include <cstddef>

namespace quartz {
constexpr int kVgaCols = 80, kVgaRows = 25;
void vga_init();
void vga_write(const char* s, size_t n);  // interrupts off inside; any context
// For tests (kernel/tests/vga_tests.cpp): the character shown at row r, column c.
char vga_char_at(int r, int c);
}  // namespace quartz
