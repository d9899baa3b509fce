// Driver for the VGA text-mode console at 0xB8000 (80x25, attribute bytes) with
// scrolling and a hardware cursor (CRTC registers 0x0E/0x0F via ports 0x3D4/0x3D5).
#include "drivers/vga.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/selftest.h"

namespace quartz {
namespace {
constexpr int kCols = 80, kRows = 25;
constexpr uint16_t kCrtcIndex = 0x3D4, kCrtcData = 0x3D5;
constexpr uint8_t kCursorHigh = 0x0E, kCursorLow = 0x0F;
constexpr uint16_t kAttr = 0x07 << 8;  // light grey on black
volatile uint16_t* const screen = reinterpret_cast<volatile uint16_t*>(0xB8000);
int row = 0, col = 0;  // guarded by interrupts off

void scroll() {
  for (int i = 0; i < (kRows - 1) * kCols; ++i) screen[i] = screen[i + kCols];
  for (int i = (kRows - 1) * kCols; i < kRows * kCols; ++i) screen[i] = kAttr | ' ';
  row = kRows - 1;
}

void put(char c) {
  switch (c) {
    case '\n':
      col = 0;
      ++row;
      break;
    case '\r':
      col = 0;
      break;
    case '\b':
      if (col > 0) --col;
      break;
    case '\t':
      col = (col + 8) & ~7;
      break;
    default:
      if (uint8_t(c) < 0x20) return;
      screen[row * kCols + col] = kAttr | uint8_t(c);
      ++col;
  }
  if (col >= kCols) {
    col = 0;
    ++row;
  }
  if (row >= kRows) scroll();
}

void move_cursor() {
  const uint16_t pos = uint16_t(row * kCols + col);
  cpu::outb(kCrtcIndex, kCursorHigh);
  cpu::outb(kCrtcData, uint8_t(pos >> 8));
  cpu::outb(kCrtcIndex, kCursorLow);
  cpu::outb(kCrtcData, uint8_t(pos & 0xFF));
}
}  // namespace

void vga_init() {
  for (int i = 0; i < kRows * kCols; ++i) screen[i] = kAttr | ' ';
  row = col = 0;
  move_cursor();
}

void vga_write(const char* s, size_t n) {
  InterruptDisabler guard;
  for (size_t i = 0; i < n; ++i) put(s[i]);
  move_cursor();
}

}  // namespace quartz

namespace quartz {
namespace {
// Finds `text` on one row of the screen; returns the row or -1.
int find_on_screen(const char* text) {
  const int n = int(__builtin_strlen(text));
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c + n <= kCols; ++c) {
      int i = 0;
      while (i < n && char(screen[r * kCols + c + i] & 0xFF) == text[i]) ++i;
      if (i == n) return r;
    }
  return -1;
}
}  // namespace

SELFTEST(vga_mirrors_console_output) {
  kprintf("vga mirror probe 7f3a\n");
  const int r = find_on_screen("vga mirror probe 7f3a");
  ST_EXPECT(r >= 0);
  ST_EXPECT(r < kRows - 1);
  return true;
}

SELFTEST(vga_scrolls) {
  for (int i = 0; i < kRows + 5; ++i) kprintf("vga scroll line %02d\n", i);
  // The last line printed sits just above the cursor row; the first ones scrolled away.
  ST_EXPECT(find_on_screen("vga scroll line 29") == kRows - 2);
  ST_EXPECT(find_on_screen("vga scroll line 05") == -1);
  ST_EXPECT(find_on_screen("vga scroll line 06") == 0);
  return true;
}
}  // namespace quartz
