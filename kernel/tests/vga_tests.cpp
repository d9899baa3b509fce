// In-kernel self-tests of the VGA text console: it mirrors what the kernel prints, and
// scrolls.
#include "drivers/vga.h"
#include "kernel/console.h"
#include "kernel/selftest.h"

namespace quartz {
namespace {

// Finds `text` on one row of the screen; returns the row or -1.
int find_on_screen(const char* text) {
  const int n = int(__builtin_strlen(text));
  for (int r = 0; r < kVgaRows; ++r)
    for (int c = 0; c + n <= kVgaCols; ++c) {
      int i = 0;
      while (i < n && vga_char_at(r, c + i) == text[i]) ++i;
      if (i == n) return r;
    }
  return -1;
}

SELFTEST(vga_mirrors_console_output) {
  kprintf("vga mirror probe 7f3a\n");
  const int r = find_on_screen("vga mirror probe 7f3a");
  ST_EXPECT(r >= 0);
  ST_EXPECT(r < kVgaRows - 1);
  return true;
}

SELFTEST(vga_scrolls) {
  for (int i = 0; i < kVgaRows + 5; ++i) kprintf("vga scroll line %02d\n", i);
  // The last line printed sits just above the cursor row; the first ones scrolled away.
  ST_EXPECT(find_on_screen("vga scroll line 29") == kVgaRows - 2);
  ST_EXPECT(find_on_screen("vga scroll line 05") == -1);
  ST_EXPECT(find_on_screen("vga scroll line 06") == 0);
  return true;
}

}  // namespace
}  // namespace quartz
