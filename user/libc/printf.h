/* The formatter behind the printf family, for stdio.c and printf.c. Private to user/libc. */
#ifndef QUARTZ_LIBC_PRINTF_H
#define QUARTZ_LIBC_PRINTF_H
#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text in pieces (not NUL-terminated). */
typedef void (*format_sink)(void* ctx, const char* s, size_t n);

/* Format FMT with AP into SINK; returns the number of characters produced. */
int format_to(format_sink sink, void* ctx, const char* fmt, va_list ap);

#endif
