/* The int $0x80 instruction of Linux i386, for up to five arguments: eax = number; ebx, ecx,
 * edx, esi, edi = arguments; eax = result (-errno on failure). Private to user/libc. */
#ifndef QUARTZ_LIBC_SYSCALL_H
#define QUARTZ_LIBC_SYSCALL_H
#include <quartz/syscalls.h>

static inline long sys_call0(long n) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n) : "memory");
  return r;
}
static inline long sys_call1(long n, long a) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a) : "memory");
  return r;
}
static inline long sys_call2(long n, long a, long b) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b) : "memory");
  return r;
}
static inline long sys_call3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
static inline long sys_call5(long n, long a, long b, long c, long d, long e) {
  long r;
  __asm__ volatile("int $0x80"
                   : "=a"(r)
                   : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                   : "memory");
  return r;
}

/* A raw result to the C convention: a value in -4095..-1 is -errno (set errno, give -1). */
long sys_result(long r);

#endif
