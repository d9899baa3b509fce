/* The printf family's formatter: one loop over the format that hands the text to a sink
 * (a FILE in stdio.c, or a buffer for snprintf), and snprintf/sprintf on top of it. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "user/libc/printf.h"

/* One conversion's flags, width and precision. */
struct spec {
  int left;      /* '-': pad on the right */
  int zero;      /* '0': pad numbers with zeros */
  int plus;      /* '+': always a sign */
  int space;     /* ' ': a space where the sign of a positive number would be */
  int alt;       /* '#': 0x before hex, 0 before octal */
  int width;     /* at least this many characters; 0: none */
  int precision; /* -1: none */
};

struct out {
  format_sink sink;
  void* ctx;
  int count;
};

static void emit(struct out* o, const char* s, size_t n) {
  if (n) o->sink(o->ctx, s, n);
  o->count += (int)n;
}
static void emit_repeat(struct out* o, char c, int n) {
  for (; n > 0; --n) emit(o, &c, 1);
}

/* TEXT (N bytes) padded with spaces to the width. */
static void emit_padded(struct out* o, const struct spec* sp, const char* text, size_t n) {
  int pad = sp->width > (int)n ? sp->width - (int)n : 0;
  if (!sp->left) emit_repeat(o, ' ', pad);
  emit(o, text, n);
  if (sp->left) emit_repeat(o, ' ', pad);
}

/* An integer: sign or prefix, zeros up to the precision, the digits, padding to the width. */
static void emit_number(struct out* o, const struct spec* sp, unsigned long long v, int negative,
                        unsigned base, int upper, const char* prefix) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24]; /* 2^64 in octal has 22 digits */
  int n = 0;
  if (v != 0 || sp->precision != 0) { /* C: precision 0 prints no digit for the value 0 */
    do {
      buf[sizeof buf - 1 - n++] = digits[v % base];
      v /= base;
    } while (v);
  }
  const char* sign = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
  if (!prefix) prefix = "";
  int zeros = sp->precision > n ? sp->precision - n : 0;
  if (base == 8 && sp->alt && zeros == 0 && (n == 0 || buf[sizeof buf - n] != '0')) zeros = 1;
  int len = (int)strlen(sign) + (int)strlen(prefix) + zeros + n;
  int pad = sp->width > len ? sp->width - len : 0;
  if (sp->zero && !sp->left && sp->precision < 0) { /* zeros go after the sign */
    zeros += pad;
    pad = 0;
  }
  if (!sp->left) emit_repeat(o, ' ', pad);
  emit(o, sign, strlen(sign));
  emit(o, prefix, strlen(prefix));
  emit_repeat(o, '0', zeros);
  emit(o, buf + sizeof buf - n, (size_t)n);
  if (sp->left) emit_repeat(o, ' ', pad);
}

int format_to(format_sink sink, void* ctx, const char* fmt, va_list ap) {
  struct out o = {sink, ctx, 0};
  while (*fmt) {
    if (*fmt != '%') {
      const char* start = fmt;
      while (*fmt && *fmt != '%') ++fmt;
      emit(&o, start, (size_t)(fmt - start));
      continue;
    }
    const char* conv_start = fmt++;
    struct spec sp = {0, 0, 0, 0, 0, 0, -1};
    for (;; ++fmt) { /* flags */
      if (*fmt == '-') {
        sp.left = 1;
      } else if (*fmt == '0') {
        sp.zero = 1;
      } else if (*fmt == '+') {
        sp.plus = 1;
      } else if (*fmt == ' ') {
        sp.space = 1;
      } else if (*fmt == '#') {
        sp.alt = 1;
      } else {
        break;
      }
    }
    if (*fmt == '*') { /* width from the arguments; negative means '-' */
      sp.width = va_arg(ap, int);
      if (sp.width < 0) {
        sp.left = 1;
        sp.width = -sp.width;
      }
      ++fmt;
    } else {
      while (*fmt >= '0' && *fmt <= '9') sp.width = sp.width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      ++fmt;
      sp.precision = 0;
      if (*fmt == '*') {
        sp.precision = va_arg(ap, int);
        if (sp.precision < 0) sp.precision = -1;
        ++fmt;
      } else {
        while (*fmt >= '0' && *fmt <= '9') sp.precision = sp.precision * 10 + (*fmt++ - '0');
      }
    }
    int size = 0; /* -2 hh, -1 h, 0 int, 1 long (and size_t), 2 long long */
    if (*fmt == 'h') {
      size = fmt[1] == 'h' ? -2 : -1;
      fmt += size == -2 ? 2 : 1;
    } else if (*fmt == 'l') {
      size = fmt[1] == 'l' ? 2 : 1;
      fmt += size;
    } else if (*fmt == 'z') {
      size = 1;
      ++fmt;
    }
    char c = *fmt ? *fmt++ : '\0';
    switch (c) {
      case 'd':
      case 'i': {
        long long v = size == 2   ? va_arg(ap, long long)
                      : size == 1 ? va_arg(ap, long)
                                  : va_arg(ap, int);
        if (size == -1) v = (short)v;
        if (size == -2) v = (signed char)v;
        emit_number(&o, &sp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0,
                    10, 0, NULL);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        unsigned long long v = size == 2   ? va_arg(ap, unsigned long long)
                               : size == 1 ? va_arg(ap, unsigned long)
                                           : va_arg(ap, unsigned int);
        if (size == -1) v = (unsigned short)v;
        if (size == -2) v = (unsigned char)v;
        sp.plus = sp.space = 0; /* only signed conversions have a sign */
        unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
        const char* prefix = (sp.alt && base == 16 && v) ? (c == 'X' ? "0X" : "0x") : NULL;
        emit_number(&o, &sp, v, 0, base, c == 'X', prefix);
        break;
      }
      case 'p': {
        void* p = va_arg(ap, void*);
        if (!p) { /* glibc's way */
          emit_padded(&o, &sp, "(nil)", 5);
        } else {
          sp.plus = sp.space = 0;
          emit_number(&o, &sp, (uintptr_t)p, 0, 16, 0, "0x");
        }
        break;
      }
      case 'c': {
        char ch = (char)va_arg(ap, int);
        emit_padded(&o, &sp, &ch, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (!s) s = "(null)";
        size_t n = 0; /* never read past the precision: the string may have no NUL there */
        while ((sp.precision < 0 || n < (size_t)sp.precision) && s[n]) ++n;
        emit_padded(&o, &sp, s, n);
        break;
      }
      case '%':
        emit(&o, "%", 1);
        break;
      default: /* not a conversion we know: print it as written */
        emit(&o, conv_start, (size_t)(fmt - conv_start));
        if (!c) return o.count;
        break;
    }
  }
  return o.count;
}

/* snprintf's sink: copy what fits, leaving room for the NUL. */
struct buffer_ctx {
  char* buf;
  size_t size; /* room, NUL included */
  size_t len;
};
static void buffer_sink(void* ctx, const char* s, size_t n) {
  struct buffer_ctx* b = ctx;
  for (size_t i = 0; i < n; ++i, ++b->len) {
    if (b->size && b->len < b->size - 1) b->buf[b->len] = s[i];
  }
}

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
  struct buffer_ctx b = {buf, size, 0};
  int n = format_to(buffer_sink, &b, fmt, ap);
  if (size) buf[b.len < size ? b.len : size - 1] = '\0';
  return n;
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int sprintf(char* buf, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, SIZE_MAX, fmt, ap);
  va_end(ap);
  return n;
}
