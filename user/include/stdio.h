/* Formatted output: printf and friends on stdout (buffered, flushed at each newline and at
 * exit) and stderr (unbuffered). Input is read with read() (unistd.h). */
#ifndef _STDIO_H
#define _STDIO_H
#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)
#define BUFSIZ 1024

typedef struct FILE FILE;
extern FILE* stdout;
extern FILE* stderr;

/* The formats: %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #, a width and a .precision
 * (numbers or *), the sizes hh h l ll z. They return the number of characters produced. */
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE* f, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
int dprintf(int fd, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char* buf, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes at most SIZE bytes with the NUL; returns the length the whole output would have. */
int snprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char* fmt, va_list ap);
int vfprintf(FILE* f, const char* fmt, va_list ap);
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);

int fputc(int c, FILE* f);
int putchar(int c);
int fputs(const char* s, FILE* f);
/* S and a newline on stdout. */
int puts(const char* s);
size_t fwrite(const void* p, size_t size, size_t n, FILE* f);
/* Write out what F holds. 0, or EOF if the write failed. */
int fflush(FILE* f);
/* "PREFIX: message of errno" on stderr. */
void perror(const char* prefix);

#endif
