// PS/2 scancode set 1 to ASCII decoding for a US keyboard layout.
//
// Contract:
//   - Callers: the keyboard path, one byte at a time in the order the controller
//     delivered them (port 0x60). Either the IRQ1 handler or the thread draining the
//     keyboard ring may own the decoder, but only one of them: it is not reentrant.
//     Pure logic, no hardware access, no allocation, O(1) per byte.
//   - feed() returns an ASCII character (0..127) or no_char. Bit 7 of a byte marks a
//     release; releases never produce characters.
//   - Shift (both), Ctrl (both; Ctrl+letter gives 1..26), Caps Lock (letters only),
//     Num Lock (keypad digits) and Scroll Lock are tracked. Auto-repeated lock keys do
//     not toggle again until released.
//   - Enter and keypad Enter give '\n', Backspace 0x08, Tab '\t', Escape 0x1b.
//   - 0xE0-prefixed keys (arrows, Home, Insert, ...) produce nothing except keypad Enter
//     ('\n') and keypad '/'; the fake shift codes some keyboards wrap around them
//     (E0 2A, E0 AA, E0 36, E0 B6) never touch the shift state. The 0xE1 Pause sequence
//     (E1 1D 45 E1 9D C5) is swallowed. Controller replies (0xFA ACK, 0xFE resend, 0x00
//     and 0xFF errors) decode to nothing.
#pragma once

#include <cstdint>

namespace quartz {

class ScancodeDecoder {
 public:
  static constexpr int no_char = -1;

  // PS/2 "set LEDs" (command 0xED) bits, for the driver to mirror the lock state.
  static constexpr uint8_t led_scroll_lock = 1 << 0;
  static constexpr uint8_t led_num_lock = 1 << 1;
  static constexpr uint8_t led_caps_lock = 1 << 2;

  constexpr ScancodeDecoder() = default;

  int feed(uint8_t scancode);

  bool shift() const { return left_shift_ || right_shift_; }
  bool ctrl() const { return left_ctrl_ || right_ctrl_; }
  bool alt() const { return left_alt_ || right_alt_; }
  bool caps_lock() const { return caps_lock_; }
  bool num_lock() const { return num_lock_; }
  bool scroll_lock() const { return scroll_lock_; }
  uint8_t leds() const;

  // Back to power-on state: no modifiers held, all locks off, no prefix pending.
  void reset() { *this = ScancodeDecoder(); }

 private:
  int feed_extended(uint8_t code, bool released);

  bool left_shift_ = false;
  bool right_shift_ = false;
  bool left_ctrl_ = false;
  bool right_ctrl_ = false;
  bool left_alt_ = false;
  bool right_alt_ = false;
  bool caps_lock_ = false;
  bool num_lock_ = false;
  bool scroll_lock_ = false;
  // Lock keys held down: typematic repeat sends more make codes, which must not toggle.
  bool caps_held_ = false;
  bool num_held_ = false;
  bool scroll_held_ = false;
  bool extended_ = false;   // saw 0xE0: the next byte is an extended key
  uint8_t pause_skip_ = 0;  // bytes of an 0xE1 sequence still to swallow
};

}  // namespace quartz
