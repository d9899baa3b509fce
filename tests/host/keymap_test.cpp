// Host tests for kernel/lib/keymap: scancode set 1, US layout.
#include "kernel/lib/keymap.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <random>
#include <string>

using quartz::ScancodeDecoder;

namespace {

constexpr uint8_t brk(uint8_t make) { return make | 0x80; }

// Feeds bytes and collects the characters produced.
std::string run(ScancodeDecoder& d, std::initializer_list<uint8_t> codes) {
  std::string out;
  for (uint8_t c : codes) {
    int ch = d.feed(c);
    if (ch != ScancodeDecoder::no_char) {
      EXPECT_GE(ch, 0);
      EXPECT_LT(ch, 128);
      out.push_back(static_cast<char>(ch));
    }
  }
  return out;
}

// Press and release one key.
std::string tap(ScancodeDecoder& d, uint8_t make) { return run(d, {make, brk(make)}); }

constexpr uint8_t k_a = 0x1e, k_z = 0x2c, k_1 = 0x02, k_2 = 0x03, k_lshift = 0x2a, k_rshift = 0x36,
                  k_ctrl = 0x1d, k_caps = 0x3a, k_enter = 0x1c, k_bksp = 0x0e, k_tab = 0x0f,
                  k_esc = 0x01, k_space = 0x39, k_num = 0x45, k_kp7 = 0x47, k_slash = 0x35;

}  // namespace

TEST(Keymap, LettersDigitsPunctuation) {
  ScancodeDecoder d;
  EXPECT_EQ(tap(d, k_a), "a");
  EXPECT_EQ(tap(d, k_z), "z");
  EXPECT_EQ(tap(d, k_1), "1");
  EXPECT_EQ(tap(d, 0x0b), "0");
  std::string all;
  for (uint8_t code : {0x0c, 0x0d, 0x1a, 0x1b, 0x27, 0x28, 0x29, 0x2b, 0x33, 0x34, 0x35})
    all += tap(d, code);
  EXPECT_EQ(all, "-=[];'`\\,./");
  EXPECT_EQ(tap(d, k_space), " ");
}

TEST(Keymap, SpecialKeys) {
  ScancodeDecoder d;
  EXPECT_EQ(tap(d, k_enter), "\n");
  EXPECT_EQ(tap(d, k_bksp), "\b");
  EXPECT_EQ(tap(d, k_tab), "\t");
  EXPECT_EQ(tap(d, k_esc), "\x1b");
  EXPECT_EQ(tap(d, 0x3b), "");  // F1
  EXPECT_EQ(tap(d, 0x58), "");  // F12
}

TEST(Keymap, ReleasesProduceNothing) {
  ScancodeDecoder d;
  EXPECT_EQ(d.feed(k_a), 'a');
  EXPECT_EQ(d.feed(brk(k_a)), ScancodeDecoder::no_char);
  // Typematic repeat: several makes, one break.
  EXPECT_EQ(run(d, {k_a, k_a, k_a, brk(k_a)}), "aaa");
}

TEST(Keymap, BothShifts) {
  ScancodeDecoder d;
  EXPECT_EQ(run(d, {k_lshift, k_a, brk(k_a), k_1, brk(k_1), brk(k_lshift)}), "A!");
  EXPECT_FALSE(d.shift());
  EXPECT_EQ(run(d, {k_rshift, k_2, brk(k_2), 0x28, brk(0x28), brk(k_rshift)}), "@\"");
  // Holding both, releasing one keeps shift.
  EXPECT_EQ(run(d, {k_lshift, k_rshift, brk(k_lshift), k_a, brk(k_rshift), k_a}), "Aa");
}

TEST(Keymap, CapsLockAffectsLettersOnly) {
  ScancodeDecoder d;
  EXPECT_EQ(run(d, {k_caps, brk(k_caps)}), "");
  EXPECT_TRUE(d.caps_lock());
  EXPECT_EQ(d.leds(), ScancodeDecoder::led_caps_lock);
  EXPECT_EQ(tap(d, k_a) + tap(d, k_1), "A1");
  EXPECT_EQ(run(d, {k_lshift, k_a, k_1, brk(k_lshift)}), "a!");  // shift inverts caps for letters
  EXPECT_EQ(run(d, {k_caps, brk(k_caps)}), "");
  EXPECT_FALSE(d.caps_lock());
  EXPECT_EQ(tap(d, k_a), "a");
}

TEST(Keymap, CapsLockRepeatDoesNotToggle) {
  ScancodeDecoder d;
  run(d, {k_caps, k_caps, k_caps, k_caps, brk(k_caps)});
  EXPECT_TRUE(d.caps_lock());
}

TEST(Keymap, CtrlLetters) {
  ScancodeDecoder d;
  EXPECT_EQ(run(d, {k_ctrl, k_a, brk(k_a)}), "\x01");
  EXPECT_EQ(run(d, {k_z, brk(k_z)}), "\x1a");
  EXPECT_EQ(run(d, {0x2e, brk(0x2e)}), "\x03");                         // Ctrl-C
  EXPECT_EQ(run(d, {0x16, brk(0x16)}), "\x15");                         // Ctrl-U
  EXPECT_EQ(run(d, {k_lshift, k_a, brk(k_a), brk(k_lshift)}), "\x01");  // Ctrl-Shift-A too
  EXPECT_EQ(tap(d, k_1), "1");                                          // non-letters unchanged
  run(d, {brk(k_ctrl)});
  EXPECT_FALSE(d.ctrl());
  EXPECT_EQ(tap(d, k_a), "a");
  // Right ctrl is E0 1D.
  EXPECT_EQ(run(d, {0xe0, 0x1d, k_a, brk(k_a), 0xe0, brk(0x1d), k_a}),
            "\x01"
            "a");
}

TEST(Keymap, ExtendedKeys) {
  ScancodeDecoder d;
  EXPECT_EQ(run(d, {0xe0, k_enter, 0xe0, brk(k_enter)}), "\n");  // keypad enter
  EXPECT_EQ(run(d, {0xe0, k_slash, 0xe0, brk(k_slash)}), "/");   // keypad slash
  // Arrows: up 48, left 4B, right 4D, down 50; Home 47, Delete 53. Nothing, and the
  // following plain keys still decode normally (no stuck prefix).
  EXPECT_EQ(run(d, {0xe0, 0x48, 0xe0, 0xc8, k_a, brk(k_a)}), "a");
  EXPECT_EQ(run(d, {0xe0, 0x4b, 0xe0, 0xcb, 0xe0, 0x47, 0xe0, 0xc7, 0xe0, 0x53, 0xe0, 0xd3, k_1}),
            "1");
  EXPECT_EQ(run(d, {0xe0, 0x38, k_a, 0xe0, 0xb8}), "a");  // right alt held: plain char
}

TEST(Keymap, FakeShiftsAroundExtendedKeys) {
  ScancodeDecoder d;
  // Num Lock on + Insert: E0 2A E0 52 ... E0 D2 E0 AA. Shift must stay released.
  run(d, {0xe0, 0x2a, 0xe0, 0x52, 0xe0, 0xd2, 0xe0, 0xaa});
  EXPECT_FALSE(d.shift());
  EXPECT_EQ(tap(d, k_a), "a");
  // Real shift held + arrow: the keyboard sends E0 AA first (fake release) and
  // E0 2A after. The real shift must still be held afterwards.
  run(d, {k_lshift, 0xe0, 0xaa, 0xe0, 0x4b, 0xe0, 0xcb, 0xe0, 0x2a});
  EXPECT_TRUE(d.shift());
  EXPECT_EQ(tap(d, k_a), "A");
  run(d, {brk(k_lshift)});
  EXPECT_FALSE(d.shift());
  // Print Screen: E0 2A E0 37 / E0 B7 E0 AA.
  EXPECT_EQ(run(d, {0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa, k_a}), "a");
}

TEST(Keymap, PauseSequenceSwallowed) {
  ScancodeDecoder d;
  EXPECT_EQ(run(d, {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5}), "");
  EXPECT_FALSE(d.ctrl());
  EXPECT_FALSE(d.num_lock());  // the 45 inside it is not Num Lock
  EXPECT_EQ(tap(d, k_a), "a");
}

TEST(Keymap, Keypad) {
  ScancodeDecoder d;
  EXPECT_EQ(tap(d, k_kp7), "");  // Num Lock off: Home
  EXPECT_EQ(tap(d, 0x4a) + tap(d, 0x4e) + tap(d, 0x37), "-+*");
  run(d, {k_num, brk(k_num)});
  EXPECT_TRUE(d.num_lock());
  EXPECT_EQ(d.leds(), ScancodeDecoder::led_num_lock);
  std::string digits;
  for (uint8_t c = 0x47; c <= 0x53; ++c) digits += tap(d, c);
  EXPECT_EQ(digits, "789-456+1230.");
}

TEST(Keymap, ControllerRepliesIgnored) {
  ScancodeDecoder d;
  EXPECT_EQ(run(d, {0xfa, 0xfe, 0x00, 0xff, 0xee}), "");
  EXPECT_EQ(tap(d, k_a), "a");
}

TEST(Keymap, ScrollLockAndReset) {
  ScancodeDecoder d;
  run(d, {0x46, brk(0x46), k_caps, brk(k_caps), k_lshift});
  EXPECT_EQ(d.leds(), ScancodeDecoder::led_scroll_lock | ScancodeDecoder::led_caps_lock);
  d.reset();
  EXPECT_EQ(d.leds(), 0);
  EXPECT_FALSE(d.shift());
  EXPECT_EQ(tap(d, k_a), "a");
}

TEST(Keymap, RandomBytesStayAscii) {
  ScancodeDecoder d;
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    int ch = d.feed(static_cast<uint8_t>(rng()));
    ASSERT_TRUE(ch == ScancodeDecoder::no_char || (ch >= 0 && ch < 128));
  }
  d.reset();
  EXPECT_EQ(tap(d, k_a), "a");
}
