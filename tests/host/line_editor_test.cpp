// Host tests for kernel/lib/line_editor: editing keys, line ends, escapes, overflow, floods.
#include "kernel/lib/line_editor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using quartz::LineEditor;
using Event = LineEditor::Event;

namespace {

// An editor over an exactly sized heap buffer, so ASan catches any write past it.
struct Harness {
  explicit Harness(size_t capacity)
      : buf(new char[capacity]), editor(buf.get(), capacity, &Harness::on_echo, this) {}

  static void on_echo(void* ctx, const char* s, size_t n) {
    static_cast<Harness*>(ctx)->echoed.append(s, n);
  }

  // Feeds every byte; returns the events that were not None, with the line for Line.
  std::vector<std::string> type(const std::string& bytes) {
    std::vector<std::string> out;
    for (char c : bytes) {
      switch (editor.feed(c)) {
        case Event::None:
          break;
        case Event::Line:
          out.push_back("L:" + std::string(editor.line()));
          break;
        case Event::Overflow:
          out.push_back("OVERFLOW");
          break;
        case Event::Cancel:
          out.push_back("CANCEL");
          break;
      }
    }
    return out;
  }

  std::unique_ptr<char[]> buf;
  LineEditor editor;
  std::string echoed;
};

using Lines = std::vector<std::string>;

}  // namespace

TEST(LineEditor, SimpleLines) {
  Harness h(128);
  EXPECT_EQ(h.type("help\r"), Lines{"L:help"});
  EXPECT_EQ(h.echoed, "help\n");
  EXPECT_EQ(h.type("a b\nc\n"), (Lines{"L:a b", "L:c"}));
  EXPECT_EQ(h.type("\r"), Lines{});      // LF CR: the CR completes the pair after "c\n"
  EXPECT_EQ(h.type("\r"), Lines{"L:"});  // an empty line is still a line
}

TEST(LineEditor, CrLfPairsAreOneLineEnd) {
  Harness h(128);
  EXPECT_EQ(h.type("one\r\ntwo\n\rthree\r\n"), (Lines{"L:one", "L:two", "L:three"}));
  EXPECT_EQ(h.type("\r\r"), (Lines{"L:", "L:"}));    // CR CR is two line ends
  EXPECT_EQ(h.type("x\n\n"), (Lines{"L:x", "L:"}));  // so is LF LF
  EXPECT_EQ(h.type("y\r\n\r\n"), (Lines{"L:y", "L:"}));
  EXPECT_EQ(h.echoed, "one\ntwo\nthree\n\n\nx\n\ny\n\n");
}

TEST(LineEditor, LineStaysReadableUntilNextFeed) {
  Harness h(16);
  EXPECT_EQ(h.editor.feed('x'), Event::None);
  EXPECT_EQ(h.editor.feed('\r'), Event::Line);
  EXPECT_STREQ(h.editor.line(), "x");
  EXPECT_EQ(h.editor.length(), 1u);
  EXPECT_EQ(h.editor.feed('\n'), Event::None);
  EXPECT_STREQ(h.editor.line(), "");
}

TEST(LineEditor, Backspace) {
  Harness h(128);
  EXPECT_EQ(h.type("ab\b\x7f"
                   "c\r"),
            Lines{"L:c"});
  EXPECT_EQ(h.echoed, "ab\b \b\b \bc\n");
  h.echoed.clear();
  EXPECT_EQ(h.type("\b\b\x7fz\r"), Lines{"L:z"});  // nothing to erase at column 0
  EXPECT_EQ(h.echoed, "z\n");
}

TEST(LineEditor, CtrlUAndCtrlC) {
  Harness h(128);
  EXPECT_EQ(h.type("abc\x15xy\r"), Lines{"L:xy"});
  EXPECT_EQ(h.echoed, "abc\b \b\b \b\b \bxy\n");
  h.echoed.clear();
  EXPECT_EQ(h.type("rm -rf\x03"), Lines{"CANCEL"});
  EXPECT_EQ(h.echoed, "rm -rf^C\n");
  EXPECT_STREQ(h.editor.line(), "");
  EXPECT_EQ(h.type("ok\r"), Lines{"L:ok"});
}

TEST(LineEditor, ControlAndHighBytesIgnored) {
  Harness h(128);
  std::string in = "a";
  in += '\0';
  in += "\t\x01\x02\x04\x7e";
  in += static_cast<char>(0x80);
  in += static_cast<char>(0xe9);
  in += static_cast<char>(0xff);
  in += "b\r";
  EXPECT_EQ(h.type(in), Lines{"L:a~b"});
  EXPECT_EQ(h.echoed, "a~b\n");
}

TEST(LineEditor, EscapeSequencesSwallowed) {
  Harness h(128);
  // Arrow keys (CSI A..D), Home/End (CSI 1~ / SS3 H), F5 (CSI 15~), colour (CSI 1;31m),
  // SS3 F1 (ESC O P), and a lone ESC followed by one char.
  EXPECT_EQ(h.type("a\x1b[Ab\x1b[1~c\x1bOHd\x1b[15~e\x1b[1;31mf\x1bOPg\x1bxh\r"),
            Lines{"L:abcdefgh"});
  EXPECT_EQ(h.echoed, "abcdefgh\n");
}

TEST(LineEditor, ControlByteAbortsEscape) {
  Harness h(128);
  EXPECT_EQ(h.type("ab\x1b\r"), Lines{"L:ab"});        // ESC then Enter still ends the line
  EXPECT_EQ(h.type("ab\x1b[12\r"), Lines{"L:ab"});     // half a CSI, then Enter
  EXPECT_EQ(h.type("ab\x1bO\x7f\r"), Lines{"L:a"});    // DEL aborts SS3 and erases
  EXPECT_EQ(h.type("x\x1b\x1b[Dy\r"), Lines{"L:xy"});  // ESC ESC [ D
  EXPECT_EQ(h.type("x\x1b[1\x1b[Cy\r"), Lines{"L:xy"});
}

TEST(LineEditor, ExactCapacityFits) {
  Harness h(8);  // 7 characters max
  EXPECT_EQ(h.editor.max_length(), 7u);
  EXPECT_EQ(h.type("1234567\r"), Lines{"L:1234567"});
  EXPECT_EQ(h.type("12345678\r"), Lines{"OVERFLOW"});
  EXPECT_STREQ(h.editor.line(), "");
  EXPECT_EQ(h.type("ok\r"), Lines{"L:ok"});
}

TEST(LineEditor, OverflowDropsWithoutEcho) {
  Harness h(8);
  EXPECT_EQ(h.type("1234567890\b\b\r\n"), Lines{"OVERFLOW"});
  EXPECT_EQ(h.echoed, "1234567\n");  // nothing echoed past the limit, not even erases
}

TEST(LineEditor, CtrlUEndsOverflow) {
  Harness h(8);
  EXPECT_EQ(h.type("1234567890\x15"
                   "ab\r"),
            Lines{"L:ab"});
  std::string erase;
  for (int i = 0; i < 7; ++i) erase += "\b \b";  // wipes the 7 characters on screen
  EXPECT_EQ(h.echoed, "1234567" + erase + "ab\n");
  EXPECT_EQ(h.type("1234567890\x03"
                   "cd\r"),
            (Lines{"CANCEL", "L:cd"}));
}

TEST(LineEditor, TenThousandCharLineGivesOneOverflow) {
  Harness h(128);
  std::string line(10000, 'x');
  EXPECT_EQ(h.type(line + "\r\n"), Lines{"OVERFLOW"});
  EXPECT_EQ(h.echoed.size(), 127u + 1u);
  EXPECT_EQ(h.type("after\r\n"), Lines{"L:after"});
}

TEST(LineEditor, ResetForgetsEverything) {
  Harness h(16);
  h.type("abc\x1b[");
  h.editor.reset();
  EXPECT_EQ(h.type("A\r"), Lines{"L:A"});  // 'A' is no longer a CSI final byte
  h.type("x\r");
  h.editor.reset();
  EXPECT_EQ(h.type("\n"), Lines{"L:"});  // the pending CR LF swallow is forgotten too
}

TEST(LineEditor, RandomFloodKeepsInvariants) {
  std::mt19937 rng(20240601);
  for (size_t capacity : {2u, 3u, 16u, 128u}) {
    Harness h(capacity);
    size_t lines = 0;
    for (int i = 0; i < 1000000 / 4; ++i) {
      char c = static_cast<char>(rng() & 0xff);
      Event e = h.editor.feed(c);
      const char* l = h.editor.line();
      size_t len = std::strlen(l);
      ASSERT_EQ(len, h.editor.length());
      ASSERT_LE(len, capacity - 1);
      for (size_t k = 0; k < len; ++k) {
        ASSERT_GE(static_cast<unsigned char>(l[k]), 0x20u);
        ASSERT_LT(static_cast<unsigned char>(l[k]), 0x7fu);
      }
      if (e == Event::Line) ++lines;
      if (h.echoed.size() > 4096) h.echoed.clear();
    }
    EXPECT_GT(lines, 0u);
  }
}
