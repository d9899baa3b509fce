// printf-style formatting engine: parses conversion specs and emits characters to a sink.
#include "kernel/lib/format.h"

#include <cstdint>
#include <type_traits>

namespace quartz {
namespace {

// Counts what went out so vformat can return it; the sink itself may drop characters
// (a full buffer), the count must not.
struct Out {
  PutcFn fn;
  void* ctx;
  int count;

  void put(char c) {
    fn(ctx, c);
    ++count;
  }
  void repeat(char c, int n) {
    for (int i = 0; i < n; ++i) put(c);
  }
  void text(const char* s, const char* end) {
    while (s != end) put(*s++);
  }
};

enum class Length { None, Char, Short, Long, LongLong, Size, Max, Ptrdiff };

struct Spec {
  bool left = false;
  bool zero = false;
  bool plus = false;
  bool space = false;
  bool alt = false;
  int width = 0;
  int precision = -1;  // -1: none given
};

// Caps width/precision digits so a hostile format cannot overflow the int.
constexpr int max_field = 1 << 20;

// Divides *n by 10 and returns the remainder using only 32-bit divisions, so the i686
// build never calls libgcc's __udivdi3/__umoddi3 (the kernel links without libgcc).
unsigned divmod10(uint64_t* n) {
  uint32_t hi = static_cast<uint32_t>(*n >> 32);
  uint32_t lo = static_cast<uint32_t>(*n);
  uint32_t q_hi = hi / 10;
  uint32_t r = hi % 10;
  uint32_t cur = (r << 16) | (lo >> 16);  // < 10 * 2^16, so the quotient fits 16 bits
  uint32_t q_mid = cur / 10;
  r = cur % 10;
  cur = (r << 16) | (lo & 0xffff);
  uint32_t q_lo = cur / 10;
  r = cur % 10;
  *n = (static_cast<uint64_t>(q_hi) << 32) | (q_mid << 16) | q_lo;
  return r;
}

// Writes the digits of value least significant first; returns how many.
int to_digits(uint64_t value, unsigned base, bool upper, char* rev) {
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  if (base == 10) {
    while (value > 0xffffffffu) rev[n++] = set[divmod10(&value)];
    uint32_t v = static_cast<uint32_t>(value);
    do {
      rev[n++] = set[v % 10];
      v /= 10;
    } while (v != 0);
  } else {
    // Power-of-two bases are pure shifts: no 64-bit division anywhere.
    unsigned shift = base == 16 ? 4 : 3;
    do {
      rev[n++] = set[value & (base - 1)];
      value >>= shift;
    } while (value != 0);
  }
  return n;
}

void emit_number(Out& out, const Spec& spec, uint64_t magnitude, bool negative, unsigned base,
                 bool upper, bool is_signed, const char* forced_prefix = nullptr) {
  char rev[24];
  int ndigits = 0;
  // C rule: precision 0 with value 0 prints no digits at all.
  if (!(magnitude == 0 && spec.precision == 0)) {
    ndigits = to_digits(magnitude, base, upper, rev);
  }
  int precision = spec.precision;
  if (spec.alt && base == 8 && precision <= ndigits && (ndigits == 0 || rev[ndigits - 1] != '0')) {
    precision = ndigits + 1;  // '#' with %o: force one leading zero
  }

  char prefix[2];
  int prefix_len = 0;
  if (forced_prefix != nullptr) {
    prefix[prefix_len++] = forced_prefix[0];
    prefix[prefix_len++] = forced_prefix[1];
  } else if (is_signed && negative) {
    prefix[prefix_len++] = '-';
  } else if (is_signed && spec.plus) {
    prefix[prefix_len++] = '+';
  } else if (is_signed && spec.space) {
    prefix[prefix_len++] = ' ';
  } else if (spec.alt && base == 16 && magnitude != 0) {
    prefix[prefix_len++] = '0';
    prefix[prefix_len++] = upper ? 'X' : 'x';
  }

  int zeros = precision > ndigits ? precision - ndigits : 0;
  int len = prefix_len + zeros + ndigits;
  // The '0' flag pads with zeros between sign and digits, but C ignores it when a
  // precision is given or when '-' left-justifies.
  if (!spec.left && spec.zero && spec.precision < 0 && spec.width > len) {
    zeros += spec.width - len;
    len = spec.width;
  }
  int pad = spec.width > len ? spec.width - len : 0;

  if (!spec.left) out.repeat(' ', pad);
  for (int i = 0; i < prefix_len; ++i) out.put(prefix[i]);
  out.repeat('0', zeros);
  while (ndigits > 0) out.put(rev[--ndigits]);
  if (spec.left) out.repeat(' ', pad);
}

void emit_string(Out& out, const Spec& spec, const char* s) {
  if (s == nullptr) s = "(null)";
  // Never look further than the precision: the argument need not be NUL-terminated then.
  int len = 0;
  while ((spec.precision < 0 || len < spec.precision) && s[len] != '\0') ++len;
  int pad = spec.width > len ? spec.width - len : 0;
  if (!spec.left) out.repeat(' ', pad);
  out.text(s, s + len);
  if (spec.left) out.repeat(' ', pad);
}

int parse_digits(const char** p) {
  int v = 0;
  while (**p >= '0' && **p <= '9') {
    if (v < max_field) v = v * 10 + (**p - '0');
    ++*p;
  }
  return v < max_field ? v : max_field;
}

struct BufferSink {
  char* buf;
  size_t size;
  size_t pos;
};

void buffer_putc(void* ctx, char c) {
  auto* sink = static_cast<BufferSink*>(ctx);
  if (sink->pos + 1 < sink->size) sink->buf[sink->pos] = c;
  ++sink->pos;
}

}  // namespace

int vformat(PutcFn fn, void* ctx, const char* fmt, va_list ap_in) {
  Out out{fn, ctx, 0};
  va_list ap;
  va_copy(ap, ap_in);

  const char* p = fmt;
  while (*p != '\0') {
    if (*p != '%') {
      out.put(*p++);
      continue;
    }
    const char* start = p++;
    Spec spec;

    for (;; ++p) {
      if (*p == '-')
        spec.left = true;
      else if (*p == '0')
        spec.zero = true;
      else if (*p == '+')
        spec.plus = true;
      else if (*p == ' ')
        spec.space = true;
      else if (*p == '#')
        spec.alt = true;
      else
        break;
    }

    if (*p == '*') {
      ++p;
      int w = va_arg(ap, int);
      if (w < 0) {
        spec.left = true;  // C: a negative '*' width means '-' flag plus width
        w = w < -max_field ? max_field : -w;
      }
      spec.width = w > max_field ? max_field : w;
    } else {
      spec.width = parse_digits(&p);
    }

    if (*p == '.') {
      ++p;
      if (*p == '*') {
        ++p;
        int prec = va_arg(ap, int);
        spec.precision = prec < 0 ? -1 : (prec > max_field ? max_field : prec);
      } else {
        spec.precision = parse_digits(&p);  // "." alone means precision 0
      }
    }

    Length length = Length::None;
    switch (*p) {
      case 'h':
        ++p;
        if (*p == 'h') {
          ++p;
          length = Length::Char;
        } else {
          length = Length::Short;
        }
        break;
      case 'l':
        ++p;
        if (*p == 'l') {
          ++p;
          length = Length::LongLong;
        } else {
          length = Length::Long;
        }
        break;
      case 'z':
        ++p;
        length = Length::Size;
        break;
      case 'j':
        ++p;
        length = Length::Max;
        break;
      case 't':
        ++p;
        length = Length::Ptrdiff;
        break;
      default:
        break;
    }

    char conv = *p;
    if (conv == '\0') {
      out.text(start, p);  // spec cut off by the end of the string: print it as is
      break;
    }
    ++p;

    switch (conv) {
      case 'd':
      case 'i': {
        long long v;
        switch (length) {
          case Length::Char:
            v = static_cast<signed char>(va_arg(ap, int));
            break;
          case Length::Short:
            v = static_cast<short>(va_arg(ap, int));
            break;
          case Length::Long:
            v = va_arg(ap, long);
            break;
          case Length::LongLong:
            v = va_arg(ap, long long);
            break;
          case Length::Size:
            v = va_arg(ap, std::make_signed_t<size_t>);
            break;
          case Length::Max:
            v = va_arg(ap, intmax_t);
            break;
          case Length::Ptrdiff:
            v = va_arg(ap, ptrdiff_t);
            break;
          default:
            v = va_arg(ap, int);
            break;
        }
        // Negate in unsigned arithmetic so LLONG_MIN does not overflow.
        uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        emit_number(out, spec, mag, v < 0, 10, false, true);
        break;
      }
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        unsigned long long v;
        switch (length) {
          case Length::Char:
            v = static_cast<unsigned char>(va_arg(ap, unsigned));
            break;
          case Length::Short:
            v = static_cast<unsigned short>(va_arg(ap, unsigned));
            break;
          case Length::Long:
            v = va_arg(ap, unsigned long);
            break;
          case Length::LongLong:
            v = va_arg(ap, unsigned long long);
            break;
          case Length::Size:
            v = va_arg(ap, size_t);
            break;
          case Length::Max:
            v = va_arg(ap, uintmax_t);
            break;
          case Length::Ptrdiff:
            v = static_cast<std::make_unsigned_t<ptrdiff_t>>(va_arg(ap, ptrdiff_t));
            break;
          default:
            v = va_arg(ap, unsigned);
            break;
        }
        unsigned base = conv == 'u' ? 10 : (conv == 'o' ? 8 : 16);
        emit_number(out, spec, v, false, base, conv == 'X', false);
        break;
      }
      case 'p': {
        auto v = reinterpret_cast<uintptr_t>(va_arg(ap, void*));
        Spec pspec = spec;
        pspec.precision = static_cast<int>(2 * sizeof(void*));  // fixed width: easy to scan
        emit_number(out, pspec, v, false, 16, false, false, "0x");
        break;
      }
      case 's':
        emit_string(out, spec, va_arg(ap, const char*));
        break;
      case 'c': {
        char c = static_cast<char>(va_arg(ap, int));
        int pad = spec.width > 1 ? spec.width - 1 : 0;
        if (!spec.left) out.repeat(' ', pad);
        out.put(c);
        if (spec.left) out.repeat(' ', pad);
        break;
      }
      case '%':
        out.put('%');
        break;
      default:
        out.text(start, p);  // unknown conversion: show exactly what was written
        break;
    }
  }
  va_end(ap);
  return out.count;
}

int format(PutcFn fn, void* ctx, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vformat(fn, ctx, fmt, ap);
  va_end(ap);
  return n;
}

int vsnformat(char* buf, size_t size, const char* fmt, va_list ap) {
  BufferSink sink{buf, size, 0};
  int n = vformat(buffer_putc, &sink, fmt, ap);
  if (size > 0) buf[sink.pos < size ? sink.pos : size - 1] = '\0';
  return n;
}

void make_printable(char* s) {
  for (char* c = s; *c != '\0'; ++c)
    if (static_cast<unsigned char>(*c) < 0x20 || static_cast<unsigned char>(*c) >= 0x7f) *c = '?';
}

int snformat(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnformat(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace quartz
