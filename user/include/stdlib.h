/* Memory allocation, process exit, number conversion, the environment, sorting. */
#ifndef _STDLIB_H
#define _STDLIB_H
#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* The heap, grown with brk (user/libc/malloc.c). Blocks are 16-byte aligned. */
void* malloc(size_t size);
void free(void* p);
void* calloc(size_t n, size_t size);
void* realloc(void* p, size_t size);

/* Flush stdout and stderr, then end the process with STATUS. */
__attribute__((noreturn)) void exit(int status);
/* End the process with SIGABRT. */
__attribute__((noreturn)) void abort(void);

/* Decimal (or BASE 2..36; 0: 0x.. hex, 0.. octal, else decimal) with optional sign; *END
 * (if not NULL) gets the first character not used. Out of range: LONG_MAX/MIN, errno ERANGE. */
long strtol(const char* s, char** end, int base);
unsigned long strtoul(const char* s, char** end, int base);
int atoi(const char* s);
int abs(int x);

/* The value of environment variable NAME, or NULL. */
char* getenv(const char* name);

/* Sort N items of SIZE bytes with CMP (a shell sort: small and in place). */
void qsort(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*));

#endif
