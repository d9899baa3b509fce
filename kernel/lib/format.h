// printf-style formatting engine shared by kprintf, the shell and panic messages.
//
// Contract:
//   - Callers: any kernel code, from thread or interrupt context. The engine keeps no
//     state between calls, never allocates and uses a few hundred bytes of stack.
//   - Output goes through a PutcFn one character at a time; the sink decides where it
//     lands (VGA, UART, a buffer). vformat returns how many characters it emitted.
//   - Conversions: %d %i %u %o %x %X %p %s %c %%.
//     Flags: '-' '0' '+' ' ' '#'. Width: digits or '*'. Precision: ".N" or ".*" (for %s
//     the maximum length; for integers the minimum digit count, as in C).
//     Length modifiers: hh h l ll z j t (all accepted; arguments are read at that width).
//   - %p prints "0x" and exactly 2*sizeof(void*) hex digits (8 on i686).
//   - %s with a null pointer prints "(null)" (then cut by the precision, if any).
//   - An unknown conversion, or a '%' spec cut off by the end of the string, is printed
//     literally ("%q" -> "%q", "%5" -> "%5"); the engine never reads past the NUL.
//   - No floating point: %f and friends are "unknown" and print literally.
#pragma once

#include <cstdarg>
#include <cstddef>

namespace quartz {

using PutcFn = void (*)(void* ctx, char c);

int vformat(PutcFn out, void* ctx, const char* fmt, va_list ap);
int format(PutcFn out, void* ctx, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// Like vsnprintf/snprintf: writes at most size-1 characters plus a NUL when size > 0
// (buf may be null when size == 0) and returns the length the full output would have had.
int vsnformat(char* buf, size_t size, const char* fmt, va_list ap);
// For one-line messages built from untrusted bytes (names read from an image or an
// archive): every control or non-ASCII character of the string becomes '?', so a hostile
// name cannot break the line or drive the console.
void make_printable(char* s);
int snformat(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace quartz
