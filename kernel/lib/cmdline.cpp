// Kernel command-line parsing, shell argument splitting, boot-script splitting and strict
// integer parsing.
#include "kernel/lib/cmdline.h"
#include "kernel/lib/kstring.h"

#include "kernel/lib/format.h"

#include <climits>

namespace quartz {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

void set_error(char* err, size_t errlen, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
void set_error(char* err, size_t errlen, const char* fmt, ...) {
  if (err == nullptr || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnformat(err, errlen, fmt, ap);
  va_end(ap);
}

}  // namespace

bool parse_uint(const char* s, unsigned long long* out) {
  if (s == nullptr || *s == '\0') return false;
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    if (*s == '\0') return false;  // "0x" alone is not a number
  }
  unsigned long long v = 0;
  for (; *s != '\0'; ++s) {
    int d = digit_value(*s);
    if (d >= static_cast<int>(base)) return false;
    // Builtins instead of a division-based bound: exact, and no libgcc call on i686.
    if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v)) return false;
  }
  *out = v;
  return true;
}

bool parse_int(const char* s, long long* out) {
  if (s == nullptr) return false;
  bool negative = false;
  if (*s == '+' || *s == '-') {
    negative = *s == '-';
    ++s;
  }
  unsigned long long mag;
  if (!parse_uint(s, &mag)) return false;  // also rejects a second sign
  constexpr unsigned long long max_pos = LLONG_MAX;
  if (negative) {
    if (mag > max_pos + 1) return false;
    // -(2^63) is not representable as a positive long long: spell LLONG_MIN directly.
    *out = mag == max_pos + 1 ? LLONG_MIN : -static_cast<long long>(mag);
  } else {
    if (mag > max_pos) return false;
    *out = static_cast<long long>(mag);
  }
  return true;
}

bool KernelCmdline::parse(const char* s, char* err, size_t errlen) {
  if (s == nullptr) s = "";
  size_t len = 0;
  while (len < max_chars && s[len] != '\0') ++len;  // bounded: never scan a runaway string
  if (len >= max_chars) {
    set_error(err, errlen, "command line too long (max %zu characters)", max_chars - 1);
    return false;
  }

  // Pass 0 validates without touching *this, pass 1 stores. Two passes keep the
  // "unchanged on error" promise without a second 1 KiB buffer on the boot stack.
  // Storage always fits: each word stores at most one byte more than it occupies in
  // the input, and that byte is paid for by the separator after it (or by the NUL).
  for (int pass = 0; pass < 2; ++pass) {
    bool store = pass == 1;
    size_t n = 0;
    size_t out = 0;
    size_t i = 0;
    for (;;) {
      while (s[i] == ' ' || s[i] == '\t') ++i;
      if (s[i] == '\0') break;
      if (n == max_args) {
        set_error(err, errlen, "too many arguments (max %zu)", max_args);
        return false;
      }
      size_t key_start = i;
      while (s[i] != '\0' && s[i] != ' ' && s[i] != '\t' && s[i] != '=' && s[i] != '"') ++i;
      int key_len = static_cast<int>(i - key_start);
      if (s[i] == '"') {
        set_error(err, errlen, "quote in name '%.*s' (quotes are only allowed in values)",
                  key_len + 1, s + key_start);
        return false;
      }
      if (key_len == 0) {
        set_error(err, errlen, "missing name before '=' at column %zu", i + 1);
        return false;
      }
      if (store) {
        key_at_[n] = static_cast<uint16_t>(out);
        __builtin_memcpy(storage_ + out, s + key_start, key_len);
        out += key_len;
        storage_[out++] = '\0';
        value_at_[n] = no_value;
      }
      if (s[i] == '=') {
        ++i;
        if (store) value_at_[n] = static_cast<uint16_t>(out);
        bool quoted = false;
        size_t quote_col = 0;
        for (;;) {
          char c = s[i];
          if (c == '\0') break;
          if (c == '"') {
            quoted = !quoted;
            quote_col = i + 1;
            ++i;
            continue;
          }
          if (!quoted && (c == ' ' || c == '\t')) break;
          if (store) storage_[out++] = c;
          ++i;
        }
        if (quoted) {
          set_error(err, errlen, "unterminated quote in value of '%.*s' (opened at column %zu)",
                    key_len, s + key_start, quote_col);
          return false;
        }
        if (store) storage_[out++] = '\0';
      }
      ++n;
    }
    if (store) count_ = n;
  }
  return true;
}

const char* KernelCmdline::key(size_t i) const {
  return i < count_ ? storage_ + key_at_[i] : nullptr;
}

const char* KernelCmdline::value(size_t i) const {
  if (i >= count_ || value_at_[i] == no_value) return nullptr;
  return storage_ + value_at_[i];
}

const char* KernelCmdline::get(const char* name) const {
  const char* found = nullptr;
  for (size_t i = 0; i < count_; ++i) {
    if (value_at_[i] != no_value && str_eq(storage_ + key_at_[i], name))
      found = storage_ + value_at_[i];
  }
  return found;  // the last occurrence wins, so a later "hz=250" overrides an earlier one
}

bool KernelCmdline::has(const char* name) const {
  for (size_t i = 0; i < count_; ++i) {
    if (str_eq(storage_ + key_at_[i], name)) return true;
  }
  return false;
}

int split_args(char* line, char** argv, int max_args, const char** error) {
  int argc = 0;
  char* r = line;  // read position
  for (;;) {
    while (is_blank(*r)) ++r;
    if (*r == '\0') return argc;
    if (argc >= max_args) {
      if (error != nullptr) *error = "too many arguments";
      return -1;
    }
    // Quote removal compacts the word towards its start; the write position never
    // passes the read position, so this works in place.
    char* w = r;
    argv[argc++] = w;
    char quote = 0;
    for (;;) {
      char c = *r;
      if (c == '\0') {
        if (quote != 0) {
          if (error != nullptr) *error = "unterminated quote";
          return -1;
        }
        break;
      }
      ++r;
      if (quote != 0) {
        if (c == quote)
          quote = 0;
        else
          *w++ = c;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (is_blank(c)) {
        break;
      } else {
        *w++ = c;
      }
    }
    *w = '\0';
  }
}

ScriptSplitter::Status ScriptSplitter::next(char* out, size_t out_size) {
  if (out_size > 0) out[0] = '\0';
  while (is_blank(*cursor_) || *cursor_ == ';') ++cursor_;
  if (*cursor_ == '\0') return Status::End;

  const char* start = cursor_;
  char quote = 0;
  while (*cursor_ != '\0' && (quote != 0 || *cursor_ != ';')) {
    char c = *cursor_++;
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    }
  }
  if (quote != 0) return Status::UnterminatedQuote;  // cursor_ is at the NUL: End next

  const char* end = cursor_;
  while (end > start && is_blank(end[-1])) --end;
  size_t len = static_cast<size_t>(end - start);
  if (len + 1 > out_size) return Status::TooLong;
  __builtin_memcpy(out, start, len);
  out[len] = '\0';
  return Status::Command;
}

}  // namespace quartz
