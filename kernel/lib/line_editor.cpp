// Shell line editing: the byte-by-byte state machine behind the shell prompt.
#include "kernel/lib/line_editor.h"

namespace quartz {
namespace {

constexpr uint8_t ctrl_c = 0x03;
constexpr uint8_t backspace = 0x08;
constexpr uint8_t ctrl_u = 0x15;
constexpr uint8_t esc = 0x1b;
constexpr uint8_t del = 0x7f;

}  // namespace

LineEditor::LineEditor(char* buf, size_t capacity, EchoFn echo, void* echo_ctx)
    : buf_(buf), capacity_(capacity), echo_(echo), echo_ctx_(echo_ctx) {
  reset();
}

void LineEditor::reset() {
  len_ = 0;
  buf_[0] = '\0';
  escape_ = Escape::None;
  overflow_ = false;
  finished_ = false;
  swallow_ = 0;
}

void LineEditor::echo(const char* s, size_t n) {
  if (echo_ != nullptr) echo_(echo_ctx_, s, n);
}

void LineEditor::erase_all() {
  // Erases what is on screen: while overflowing that is the capacity-1 echoed chars.
  for (size_t i = 0; i < len_; ++i) echo("\b \b", 3);
  len_ = 0;
  buf_[0] = '\0';
  overflow_ = false;
}

LineEditor::Event LineEditor::feed(char c) {
  auto b = static_cast<uint8_t>(c);

  if (finished_) {
    // The caller has had its chance to read line(); start the next one.
    len_ = 0;
    buf_[0] = '\0';
    finished_ = false;
  }

  char pair = swallow_;
  swallow_ = 0;
  if (pair != 0 && c == pair) return Event::None;  // CR LF / LF CR is one line end

  switch (escape_) {
    case Escape::None:
      break;
    case Escape::Esc:
      if (b == esc) return Event::None;
      if (b < 0x20 || b >= del) {
        escape_ = Escape::None;  // not a sequence after all: handle the byte below
        break;
      }
      escape_ = b == '[' ? Escape::Csi : (b == 'O' ? Escape::SingleShift : Escape::None);
      return Event::None;  // ESC x: x is swallowed
    case Escape::Csi:
      // ECMA-48: parameters 0x30-0x3f, intermediates 0x20-0x2f, final 0x40-0x7e.
      if (b >= 0x20 && b <= 0x3f) return Event::None;
      if (b >= 0x40 && b <= 0x7e) {
        escape_ = Escape::None;
        return Event::None;
      }
      escape_ = b == esc ? Escape::Esc : Escape::None;
      if (b == esc) return Event::None;
      break;
    case Escape::SingleShift:
      if (b >= 0x20 && b <= 0x7e) {
        escape_ = Escape::None;
        return Event::None;
      }
      escape_ = b == esc ? Escape::Esc : Escape::None;
      if (b == esc) return Event::None;
      break;
  }

  if (b == '\r' || b == '\n') {
    swallow_ = b == '\r' ? '\n' : '\r';
    finished_ = true;
    echo("\n", 1);
    if (overflow_) {
      overflow_ = false;
      len_ = 0;
      buf_[0] = '\0';
      return Event::Overflow;
    }
    return Event::Line;
  }
  if (b == ctrl_c) {
    echo("^C\n", 3);
    len_ = 0;
    buf_[0] = '\0';
    overflow_ = false;
    finished_ = true;
    return Event::Cancel;
  }
  if (b == ctrl_u) {
    erase_all();
    return Event::None;
  }
  if (b == backspace || b == del) {
    if (!overflow_ && len_ > 0) {
      buf_[--len_] = '\0';
      echo("\b \b", 3);
    }
    return Event::None;
  }
  if (b == esc) {
    escape_ = Escape::Esc;
    return Event::None;
  }
  if (b < 0x20 || b >= 0x7f || overflow_) return Event::None;

  if (len_ + 1 >= capacity_) {
    overflow_ = true;  // the line is doomed; keep len_ so Ctrl-U can erase the screen
    return Event::None;
  }
  buf_[len_++] = c;
  buf_[len_] = '\0';
  echo(&c, 1);
  return Event::None;
}

}  // namespace quartz
