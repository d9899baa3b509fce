/* The texts of errors and signals: strerror() with the messages Linux users see (glibc's),
 * strerrorname_np(), strsignal(), sigabbrev_np() and perror(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Index = error number; Linux's first 40 (asm-generic/errno-base.h and errno.h). */
static const char* const kErrors[][2] = {
    {"", "Success"},
    {"EPERM", "Operation not permitted"},
    {"ENOENT", "No such file or directory"},
    {"ESRCH", "No such process"},
    {"EINTR", "Interrupted system call"},
    {"EIO", "Input/output error"},
    {"ENXIO", "No such device or address"},
    {"E2BIG", "Argument list too long"},
    {"ENOEXEC", "Exec format error"},
    {"EBADF", "Bad file descriptor"},
    {"ECHILD", "No child processes"},
    {"EAGAIN", "Resource temporarily unavailable"},
    {"ENOMEM", "Cannot allocate memory"},
    {"EACCES", "Permission denied"},
    {"EFAULT", "Bad address"},
    {"ENOTBLK", "Block device required"},
    {"EBUSY", "Device or resource busy"},
    {"EEXIST", "File exists"},
    {"EXDEV", "Invalid cross-device link"},
    {"ENODEV", "No such device"},
    {"ENOTDIR", "Not a directory"},
    {"EISDIR", "Is a directory"},
    {"EINVAL", "Invalid argument"},
    {"ENFILE", "Too many open files in system"},
    {"EMFILE", "Too many open files"},
    {"ENOTTY", "Inappropriate ioctl for device"},
    {"ETXTBSY", "Text file busy"},
    {"EFBIG", "File too large"},
    {"ENOSPC", "No space left on device"},
    {"ESPIPE", "Illegal seek"},
    {"EROFS", "Read-only file system"},
    {"EMLINK", "Too many links"},
    {"EPIPE", "Broken pipe"},
    {"EDOM", "Numerical argument out of domain"},
    {"ERANGE", "Numerical result out of range"},
    {"EDEADLK", "Resource deadlock avoided"},
    {"ENAMETOOLONG", "File name too long"},
    {"ENOLCK", "No locks available"},
    {"ENOSYS", "Function not implemented"},
    {"ENOTEMPTY", "Directory not empty"},
    {"ELOOP", "Too many levels of symbolic links"},
};
#define NERRORS (int)(sizeof kErrors / sizeof kErrors[0])

char* strerror(int e) {
  static char unknown[32];
  if (e >= 0 && e < NERRORS) return (char*)kErrors[e][1];
  snprintf(unknown, sizeof unknown, "Unknown error %d", e);
  return unknown;
}

const char* strerrorname_np(int e) { return e > 0 && e < NERRORS ? kErrors[e][0] : NULL; }

void perror(const char* prefix) {
  if (prefix && *prefix) {
    fprintf(stderr, "%s: %s\n", prefix, strerror(errno));
  } else {
    fprintf(stderr, "%s\n", strerror(errno));
  }
}

/* Index = signal number: the name without "SIG" and glibc's description. */
static const char* const kSignals[][2] = {
    {"0", "Unknown signal 0"},
    {"HUP", "Hangup"},
    {"INT", "Interrupt"},
    {"QUIT", "Quit"},
    {"ILL", "Illegal instruction"},
    {"TRAP", "Trace/breakpoint trap"},
    {"ABRT", "Aborted"},
    {"BUS", "Bus error"},
    {"FPE", "Floating point exception"},
    {"KILL", "Killed"},
    {"USR1", "User defined signal 1"},
    {"SEGV", "Segmentation fault"},
    {"USR2", "User defined signal 2"},
    {"PIPE", "Broken pipe"},
    {"ALRM", "Alarm clock"},
    {"TERM", "Terminated"},
    {"STKFLT", "Stack fault"},
    {"CHLD", "Child exited"},
    {"CONT", "Continued"},
    {"STOP", "Stopped (signal)"},
    {"TSTP", "Stopped"},
    {"TTIN", "Stopped (tty input)"},
    {"TTOU", "Stopped (tty output)"},
    {"URG", "Urgent I/O condition"},
    {"XCPU", "CPU time limit exceeded"},
    {"XFSZ", "File size limit exceeded"},
    {"VTALRM", "Virtual timer expired"},
    {"PROF", "Profiling timer expired"},
    {"WINCH", "Window changed"},
    {"IO", "I/O possible"},
    {"PWR", "Power failure"},
    {"SYS", "Bad system call"},
};
#define NSIGNALS (int)(sizeof kSignals / sizeof kSignals[0])

char* strsignal(int sig) {
  static char unknown[32];
  if (sig > 0 && sig < NSIGNALS) return (char*)kSignals[sig][1];
  snprintf(unknown, sizeof unknown, "Unknown signal %d", sig);
  return unknown;
}

const char* sigabbrev_np(int sig) { return sig > 0 && sig < NSIGNALS ? kSignals[sig][0] : NULL; }
