/* The system call wrappers of unistd.h, fcntl.h, sys/stat.h, sys/wait.h, signal.h, time.h,
 * sched.h and dirent.h (getdents64), and errno. Each is one int $0x80 (libc/syscall.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "user/libc/syscall.h"

int errno;

long sys_result(long r) {
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

ssize_t read(int fd, void* buf, size_t n) {
  return sys_result(sys_call3(SYS_read, fd, (long)buf, (long)n));
}
ssize_t write(int fd, const void* buf, size_t n) {
  return sys_result(sys_call3(SYS_write, fd, (long)buf, (long)n));
}
int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
  va_end(ap);
  return sys_result(sys_call3(SYS_open, (long)path, flags, mode));
}
int close(int fd) { return sys_result(sys_call1(SYS_close, fd)); }
off_t lseek(int fd, off_t offset, int whence) {
  return sys_result(sys_call3(SYS_lseek, fd, offset, whence));
}
int unlink(const char* path) { return sys_result(sys_call1(SYS_unlink, (long)path)); }
int mkdir(const char* path, mode_t mode) {
  return sys_result(sys_call2(SYS_mkdir, (long)path, (long)mode));
}
int chdir(const char* path) { return sys_result(sys_call1(SYS_chdir, (long)path)); }
char* getcwd(char* buf, size_t size) {
  /* The system call returns the length with the NUL; the C function returns BUF. */
  return sys_result(sys_call2(SYS_getcwd, (long)buf, (long)size)) < 0 ? NULL : buf;
}
int stat(const char* path, struct stat* st) {
  return sys_result(sys_call2(SYS_stat64, (long)path, (long)st));
}
int fstat(int fd, struct stat* st) { return sys_result(sys_call2(SYS_fstat64, fd, (long)st)); }
ssize_t getdents64(int fd, void* buf, size_t count) {
  return sys_result(sys_call3(SYS_getdents64, fd, (long)buf, (long)count));
}

pid_t fork(void) { return sys_result(sys_call0(SYS_fork)); }
pid_t getpid(void) { return sys_call0(SYS_getpid); }
pid_t getppid(void) { return sys_call0(SYS_getppid); }
int execve(const char* path, char* const argv[], char* const envp[]) {
  return sys_result(sys_call3(SYS_execve, (long)path, (long)argv, (long)envp));
}
pid_t waitpid(pid_t pid, int* status, int options) {
  return sys_result(sys_call3(SYS_waitpid, pid, (long)status, options));
}
pid_t wait(int* status) { return waitpid(-1, status, 0); }
void _exit(int status) {
  for (;;) sys_call1(SYS_exit_group, status);
}
int kill(pid_t pid, int sig) { return sys_result(sys_call2(SYS_kill, pid, sig)); }
sighandler_t signal(int sig, sighandler_t handler) {
  return (sighandler_t)sys_result(sys_call2(SYS_signal, sig, (long)handler));
}
int sched_yield(void) { return sys_result(sys_call0(SYS_sched_yield)); }
int nanosleep(const struct timespec* req, struct timespec* rem) {
  return sys_result(sys_call2(SYS_nanosleep, (long)req, (long)rem));
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  return sys_result(sys_call2(SYS_clock_gettime, clock, (long)ts));
}

/* brk(0) asks for the current break; the kernel answers with the break it has, which is the
 * old one when it refused to move it (Linux's rule: brk never returns an error code). */
static char* current_break;

int brk(void* addr) {
  char* now = (char*)sys_call1(SYS_brk, (long)addr);
  current_break = now;
  if (now != (char*)addr) {
    errno = ENOMEM;
    return -1;
  }
  return 0;
}

void* sbrk(intptr_t increment) {
  if (!current_break) current_break = (char*)sys_call1(SYS_brk, 0);
  char* old = current_break;
  if (increment == 0) return old;
  if (brk(old + increment) < 0) return (void*)-1;
  return old;
}

long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
  long d = va_arg(ap, long), e = va_arg(ap, long);
  va_end(ap);
  return sys_result(sys_call5(number, a, b, c, d, e));
}
