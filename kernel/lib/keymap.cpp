// PS/2 scancode set 1 to ASCII decoding for a US keyboard layout.
#include "kernel/lib/keymap.h"

namespace quartz {
namespace {

// Scancode set 1 make codes (IBM PC AT Technical Reference; OSDev "PS/2 Keyboard").
constexpr uint8_t sc_escape = 0x01;
constexpr uint8_t sc_left_ctrl = 0x1d;  // E0 1D is right ctrl
constexpr uint8_t sc_enter = 0x1c;      // E0 1C is keypad enter
constexpr uint8_t sc_left_shift = 0x2a;
constexpr uint8_t sc_right_shift = 0x36;
constexpr uint8_t sc_left_alt = 0x38;  // E0 38 is right alt
constexpr uint8_t sc_caps_lock = 0x3a;
constexpr uint8_t sc_num_lock = 0x45;
constexpr uint8_t sc_scroll_lock = 0x46;
constexpr uint8_t sc_keypad_first = 0x47;  // keypad 7 ... keypad '.' (0x53)
constexpr uint8_t sc_keypad_last = 0x53;
constexpr uint8_t sc_keypad_minus = 0x4a;
constexpr uint8_t sc_keypad_plus = 0x4e;
constexpr uint8_t sc_slash = 0x35;  // E0 35 is keypad '/'

constexpr uint8_t prefix_extended = 0xe0;
constexpr uint8_t prefix_pause = 0xe1;
constexpr uint8_t release_bit = 0x80;

// Indexed by make code, 0x00-0x58. 0 means "no character" (modifiers, F-keys, ...).
// Split literals keep "\0" and "\x1b" from swallowing the digits that follow them.
constexpr char plain_map[] =
    "\0"
    "\x1b"
    "1234567890-="
    "\b"
    "\t"  // 0x00-0x0f
    "qwertyuiop[]"
    "\n"
    "\0"  // 0x10-0x1d
    "asdfghjkl;'`"
    "\0"
    "\\"  // 0x1e-0x2b
    "zxcvbnm,./"
    "\0"
    "*"
    "\0"
    " "                           // 0x2c-0x39
    "\0\0\0\0\0\0\0\0\0\0\0\0\0"  // 0x3a-0x46: caps, F1-F10, num, scroll
    "789-456+1230."               // 0x47-0x53: keypad
    "\0\0\0\0";                   // 0x54-0x57 (0x58 is the implicit NUL)
constexpr char shift_map[] =
    "\0"
    "\x1b"
    "!@#$%^&*()_+"
    "\b"
    "\t"
    "QWERTYUIOP{}"
    "\n"
    "\0"
    "ASDFGHJKL:\"~"
    "\0"
    "|"
    "ZXCVBNM<>?"
    "\0"
    "*"
    "\0"
    " "
    "\0\0\0\0\0\0\0\0\0\0\0\0\0"
    "789-456+1230."
    "\0\0\0\0";
constexpr unsigned map_size = 0x59;
static_assert(sizeof(plain_map) == map_size, "plain_map must cover make codes 0x00-0x58");
static_assert(sizeof(shift_map) == map_size, "shift_map must cover make codes 0x00-0x58");
static_assert(plain_map[sc_enter] == '\n' && plain_map[sc_escape] == 0x1b &&
              plain_map[0x39] == ' ');
static_assert(plain_map[sc_slash] == '/' && shift_map[0x2b] == '|' &&
              plain_map[sc_keypad_last] == '.');

bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

}  // namespace

uint8_t ScancodeDecoder::leds() const {
  return static_cast<uint8_t>((scroll_lock_ ? led_scroll_lock : 0) |
                              (num_lock_ ? led_num_lock : 0) | (caps_lock_ ? led_caps_lock : 0));
}

int ScancodeDecoder::feed(uint8_t scancode) {
  if (pause_skip_ > 0) {
    --pause_skip_;
    return no_char;
  }
  if (scancode == prefix_pause) {
    // Pause has no break code; it is E1 1D 45 E1 9D C5. Each E1 eats two bytes, so
    // the 1D/9D inside it never reach the ctrl state.
    extended_ = false;
    pause_skip_ = 2;
    return no_char;
  }
  if (scancode == prefix_extended) {
    extended_ = true;
    return no_char;
  }

  bool released = (scancode & release_bit) != 0;
  auto code = static_cast<uint8_t>(scancode & ~release_bit);
  if (extended_) {
    extended_ = false;
    return feed_extended(code, released);
  }

  switch (code) {
    case sc_left_shift:
      left_shift_ = !released;
      return no_char;
    case sc_right_shift:
      right_shift_ = !released;
      return no_char;
    case sc_left_ctrl:
      left_ctrl_ = !released;
      return no_char;
    case sc_left_alt:
      left_alt_ = !released;
      return no_char;
    case sc_caps_lock:
      if (!released && !caps_held_) caps_lock_ = !caps_lock_;
      caps_held_ = !released;
      return no_char;
    case sc_num_lock:
      if (!released && !num_held_) num_lock_ = !num_lock_;
      num_held_ = !released;
      return no_char;
    case sc_scroll_lock:
      if (!released && !scroll_held_) scroll_lock_ = !scroll_lock_;
      scroll_held_ = !released;
      return no_char;
    default:
      break;
  }

  if (released || code >= map_size) return no_char;

  if (code >= sc_keypad_first && code <= sc_keypad_last && code != sc_keypad_minus &&
      code != sc_keypad_plus && !num_lock_) {
    return no_char;  // Home/arrows/PgUp... on the keypad: nothing the shell uses
  }

  char plain = plain_map[code];
  if (plain == '\0') return no_char;
  bool upper = shift();
  if (is_letter(plain) && caps_lock_) upper = !upper;  // Caps Lock affects letters only
  char c = upper ? shift_map[code] : plain;
  if (ctrl() && is_letter(plain)) return plain - 'a' + 1;  // Ctrl-A = 1 ... Ctrl-Z = 26
  return c;
}

int ScancodeDecoder::feed_extended(uint8_t code, bool released) {
  switch (code) {
    case sc_left_ctrl:
      right_ctrl_ = !released;
      return no_char;
    case sc_left_alt:
      right_alt_ = !released;
      return no_char;
    case sc_enter:
      return released ? no_char : '\n';
    case sc_slash:
      return released ? no_char : '/';
    default:
      // Includes the fake shifts E0 2A / E0 36 that wrap arrow keys when Num Lock
      // is on: treating them as real shifts would leave shift stuck.
      return no_char;
  }
}

}  // namespace quartz
