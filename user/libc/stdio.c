/* stdout and stderr: a FILE is an fd and a buffer. stdout keeps text until a newline, a full
 * buffer, fflush or exit; stderr is written out at the end of every call (unbuffered, but one
 * write per call, so a message is not cut up). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "user/libc/printf.h"

struct FILE {
  int fd;
  int unbuffered;  /* stderr: flush at the end of every call */
  int saw_newline; /* a newline arrived since the last flush */
  size_t len;
  char buf[BUFSIZ];
};

static FILE out_file = {STDOUT_FILENO, 0, 0, 0, {0}};
static FILE err_file = {STDERR_FILENO, 1, 0, 0, {0}};
FILE* stdout = &out_file;
FILE* stderr = &err_file;

int fflush(FILE* f) {
  int ok = 1;
  for (size_t done = 0; done < f->len;) {
    ssize_t n = write(f->fd, f->buf + done, f->len - done);
    if (n <= 0) { /* the text is dropped: there is nowhere to put it */
      ok = 0;
      break;
    }
    done += (size_t)n;
  }
  f->len = 0;
  f->saw_newline = 0;
  return ok ? 0 : EOF;
}

static int has_newline(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '\n') return 1;
  }
  return 0;
}

/* Append N bytes to F's buffer, writing it out whenever it fills. */
static void put_bytes(FILE* f, const char* s, size_t n) {
  while (n) {
    size_t room = sizeof f->buf - f->len;
    size_t take = n < room ? n : room;
    memcpy(f->buf + f->len, s, take);
    if (has_newline(s, take)) f->saw_newline = 1;
    f->len += take;
    s += take;
    n -= take;
    if (f->len == sizeof f->buf) fflush(f);
  }
}

/* The end of every stdio call: write out stderr always, stdout once a line is complete. */
static void end_call(FILE* f) {
  if (f->unbuffered || f->saw_newline) fflush(f);
}

/* Before stderr speaks, stdout's pending text goes first, so the two come out in order. */
static void begin_call(FILE* f) {
  if (f->unbuffered && stdout->len) fflush(stdout);
}

static void file_sink(void* ctx, const char* s, size_t n) { put_bytes(ctx, s, n); }

int vfprintf(FILE* f, const char* fmt, va_list ap) {
  begin_call(f);
  int n = format_to(file_sink, f, fmt, ap);
  end_call(f);
  return n;
}

int fprintf(FILE* f, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

int vprintf(const char* fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return n;
}

/* dprintf: straight to a file descriptor, in one write (no FILE involved). */
struct fd_ctx {
  int fd;
  size_t len;
  char buf[BUFSIZ];
};
static void fd_sink(void* ctx, const char* s, size_t n) {
  struct fd_ctx* c = ctx;
  for (; n; --n) {
    if (c->len == sizeof c->buf) {
      write(c->fd, c->buf, c->len);
      c->len = 0;
    }
    c->buf[c->len++] = *s++;
  }
}

int dprintf(int fd, const char* fmt, ...) {
  struct fd_ctx c;
  c.fd = fd;
  c.len = 0;
  va_list ap;
  va_start(ap, fmt);
  int n = format_to(fd_sink, &c, fmt, ap);
  va_end(ap);
  if (c.len) write(fd, c.buf, c.len);
  return n;
}

size_t fwrite(const void* p, size_t size, size_t n, FILE* f) {
  begin_call(f);
  put_bytes(f, p, size * n);
  end_call(f);
  return n;
}

int fputs(const char* s, FILE* f) {
  fwrite(s, 1, strlen(s), f);
  return 0;
}

int fputc(int c, FILE* f) {
  char ch = (char)c;
  fwrite(&ch, 1, 1, f);
  return (unsigned char)c;
}

int putchar(int c) { return fputc(c, stdout); }

int puts(const char* s) {
  begin_call(stdout);
  put_bytes(stdout, s, strlen(s));
  put_bytes(stdout, "\n", 1);
  end_call(stdout);
  return 0;
}
