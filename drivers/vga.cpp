// Driver for the VGA text-mode console at 0xB8000 (80x25, attribute bytes) with
// scrolling and a hardware cursor (CRTC registers 0x0E/0x0F via ports 0x3D4/0x3D5).
#include "drivers/vga.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"

namespace quartz {
namespace {
constexpr uint16_t kCrtcIndex = 0x3D4, kCrtcData = 0x3D5;
constexpr uint8_t kCursorHigh = 0x0E, kCursorLow = 0x0F;
constexpr uint16_t kAttr = 0x07 << 8;  // light grey on black
volatile uint16_t* const screen = reinterpret_cast<volatile uint16_t*>(0xB8000);
int row = 0, col = 0;  // guarded by interrupts off

void scroll() {
  for (int i = 0; i < (kVgaRows - 1) * kVgaCols; ++i) screen[i] = screen[i + kVgaCols];
  for (int i = (kVgaRows - 1) * kVgaCols; i < kVgaRows * kVgaCols; ++i) screen[i] = kAttr | ' ';
  row = kVgaRows - 1;
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
      screen[row * kVgaCols + col] = kAttr | uint8_t(c);
      ++col;
  }
  if (col >= kVgaCols) {
    col = 0;
    ++row;
  }
  if (row >= kVgaRows) scroll();
}

void move_cursor() {
  const uint16_t pos = uint16_t(row * kVgaCols + col);
  cpu::outb(kCrtcIndex, kCursorHigh);
  cpu::outb(kCrtcData, uint8_t(pos >> 8));
  cpu::outb(kCrtcIndex, kCursorLow);
  cpu::outb(kCrtcData, uint8_t(pos & 0xFF));
}
}  // namespace

void vga_init() {
  for (int i = 0; i < kVgaRows * kVgaCols; ++i) screen[i] = kAttr | ' ';
  row = col = 0;
  move_cursor();
}

void vga_write(const char* s, size_t n) {
  InterruptDisabler guard;
  for (size_t i = 0; i < n; ++i) put(s[i]);
  move_cursor();
}

char vga_char_at(int r, int c) { return char(screen[r * kVgaCols + c] & 0xFF); }

}  // namespace quartz
