// Kernel command-line parsing, shell argument splitting, boot-script splitting and
// strict integer parsing.
//
// Contract:
//   - Callers: kernel_main (KernelCmdline, once at boot, interrupts may be on or off) and
//     the shell thread (split_args, ScriptSplitter, parse_int/parse_uint). Nothing here
//     allocates, blocks or touches hardware; every function is reentrant.
//   - KernelCmdline copies what it keeps, so the multiboot string may be unmapped after
//     parse(). It is ~1.2 KiB: give it static storage (constexpr constructor, lands in
//     .bss), not the boot stack. A failed parse() leaves the object exactly as it was and writes a one-line
//     message (no trailing newline) into err.
//   - Quoting: the kernel command line knows only double quotes and only in values
//     (key="a b"). Shell lines and boot scripts accept "..." and '...' anywhere in a word,
//     so a script inside run="..." can still quote with single quotes:
//         run="echo 'a;b'; poweroff 0"
//     There are no backslash escapes anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

// Strict integer parsing: decimal, or hexadecimal with a 0x/0X prefix; the whole string
// must be consumed (no blanks, no trailing garbage); overflow fails. parse_int accepts
// one leading '+' or '-'; parse_uint accepts no sign. Leading zeros are decimal ("010" is
// ten). On failure *out is untouched.
bool parse_int(const char* s, long long* out);
bool parse_uint(const char* s, unsigned long long* out);

// The command line the boot loader hands over, e.g. "/boot/quartz.elf hz=100 run=\"uptime\"".
// Words are separated by spaces or tabs; a word is key=value, key="value with spaces", or
// a bare flag (the kernel's path, which GRUB puts first, is just a flag).
class KernelCmdline {
 public:
  static constexpr size_t max_chars = 1024;  // input length limit, including the NUL
  static constexpr size_t max_args = 32;

  constexpr KernelCmdline() = default;

  // Parses s (null means empty). On error returns false, leaves *this unchanged and
  // writes a message into err (if err && errlen > 0).
  bool parse(const char* s, char* err, size_t errlen);

  // Value of the last key=value with this key; "" for "key=" and for key="";
  // nullptr if the key is absent or only present as a bare flag.
  const char* get(const char* key) const;
  // True if the key appears at all, as a flag or with a value.
  bool has(const char* key) const;

  size_t count() const { return count_; }
  // Words in command-line order, i < count(). value(i) is nullptr for a bare flag.
  const char* key(size_t i) const;
  const char* value(size_t i) const;

  void clear() { count_ = 0; }

 private:
  static constexpr uint16_t no_value = 0xffff;

  // Offsets, not pointers, so the object stays valid when copied.
  char storage_[max_chars] = {};
  uint16_t key_at_[max_args] = {};
  uint16_t value_at_[max_args] = {};
  size_t count_ = 0;
};

// Splits a shell line in place on blanks (space, tab, CR, LF). Quotes ("..." or '...')
// group blanks into one argument and are removed; "" yields an empty argument. argv has
// room for max_args pointers; no terminating nullptr is stored. Returns argc, or -1 with
// *error (if error is non-null) set to a static message: "too many arguments" or
// "unterminated quote". The line is clobbered either way.
int split_args(char* line, char** argv, int max_args, const char** error);

// Walks a boot script such as `uptime; echo "a;b"; poweroff 0` one command at a time.
// Commands end at ';' outside quotes; quotes are kept in the command text (split_args
// removes them later); blanks around a command are trimmed and empty commands skipped.
class ScriptSplitter {
 public:
  enum class Status {
    Command,            // out holds the next command
    End,                // no more commands
    TooLong,            // command skipped: did not fit in out; next() continues after it
    UnterminatedQuote,  // the rest of the script is unusable; next() returns End after this
  };

  explicit constexpr ScriptSplitter(const char* script) : cursor_(script ? script : "") {}

  // Copies the next command into out (NUL-terminated; out is "" unless Command).
  Status next(char* out, size_t out_size);

 private:
  const char* cursor_;
};

}  // namespace quartz
