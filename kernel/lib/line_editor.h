// Shell line editing: turns a stream of input bytes into complete lines plus echo.
//
// Contract:
//   - Callers: the shell thread only, one byte at a time as they come out of the
//     keyboard/UART ring buffers. Never from interrupt context (echo goes to the console).
//   - Pure state machine over a caller-supplied buffer of `capacity` bytes (capacity >= 2);
//     it never writes outside that buffer, whatever bytes arrive, and line() is always
//     NUL-terminated. A line holds at most capacity-1 characters.
//   - Echo (what the terminal should show) goes through EchoFn; the console should turn
//     "\n" into CR LF for a serial terminal. Erasing echoes "\b \b".
//   - feed() returns:
//       Line      CR or LF ended a line; line() holds it until the next feed()/reset().
//                 The second byte of a CR LF or LF CR pair is swallowed (no empty line).
//       Overflow  a line ended that was longer than capacity-1: the whole line was thrown
//                 away. The caller prints "line too long (max N characters)", N = max_length().
//                 Once a line overflows, further characters are dropped without echo until
//                 the line ends (Ctrl-U or Ctrl-C also end the overflow).
//       Cancel    Ctrl-C: the line is discarded (echo "^C\n").
//       None      anything else.
//   - Editing: Backspace (0x08) and DEL (0x7f) erase one character (nothing at column 0);
//     Ctrl-U erases the whole line. ANSI escape sequences (ESC [ params final, ESC O x,
//     ESC x) are swallowed whole; a control byte or DEL inside a sequence aborts it and
//     is then handled normally, so ESC followed by Enter still ends the line. Other
//     control bytes (NUL, Tab, ...) and bytes >= 0x80 are ignored: lines are plain ASCII.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

class LineEditor {
 public:
  enum class Event { None, Line, Overflow, Cancel };
  using EchoFn = void (*)(void* ctx, const char* s, size_t n);

  // echo may be null (no echo). buf must outlive the editor.
  LineEditor(char* buf, size_t capacity, EchoFn echo, void* echo_ctx);

  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  Event feed(char c);

  const char* line() const { return buf_; }
  size_t length() const { return len_; }
  size_t max_length() const { return capacity_ - 1; }

  // Forgets the current line and any half-received escape sequence or CR LF pair.
  void reset();

 private:
  enum class Escape : uint8_t { None, Esc, Csi, SingleShift };

  void echo(const char* s, size_t n);
  void erase_all();

  char* buf_;
  size_t capacity_;
  size_t len_ = 0;
  EchoFn echo_;
  void* echo_ctx_;
  Escape escape_ = Escape::None;
  bool overflow_ = false;  // current line already too long: drop until its end
  bool finished_ = false;  // last event ended a line: the next byte starts a new one
  char swallow_ = 0;       // '\n' after CR, '\r' after LF: the pair's second half
};

}  // namespace quartz
