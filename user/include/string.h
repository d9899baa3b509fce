/* Memory and string functions, and the texts of errors and signals. */
#ifndef _STRING_H
#define _STRING_H
#include <stddef.h>

void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strcpy(char* dst, const char* src);
char* strncpy(char* dst, const char* src, size_t n);
char* strcat(char* dst, const char* src);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);
char* strdup(const char* s);

/* Linux's message for error number E ("No such file or directory"). */
char* strerror(int e);
/* The error's name ("ENOENT"), or NULL if unknown (glibc has it too). */
const char* strerrorname_np(int e);
/* The signal's description, as glibc and bash print it ("Segmentation fault"). */
char* strsignal(int sig);
/* The signal's name without "SIG" ("SEGV"), or NULL if unknown (glibc has it too). */
const char* sigabbrev_np(int sig);

#endif
