/* The data layouts and constants the system calls exchange with user programs, as on Linux
 * i386 (values from Linux's include/uapi headers, named below), so a program built against
 * user/libc would also run on Linux. Shared by the kernel and user/libc; plain C. */
#ifndef QUARTZ_UAPI_ABI_H
#define QUARTZ_UAPI_ABI_H
#include <stdint.h>

/* User memory: [QUARTZ_USER_BASE, QUARTZ_USER_LIMIT). Below it the kernel's identity map of
 * RAM; from the limit up the kernel's heap, modules and stacks. Programs are linked at the
 * base (user/user.ld); the stack starts just below the limit. */
#define QUARTZ_USER_BASE 0x40000000u
#define QUARTZ_USER_LIMIT 0xC0000000u
/* The page size user programs see (AT_PAGESZ; Linux i386's PAGE_SIZE, asm/page_types.h). */
#define QUARTZ_PAGE_SIZE 4096u

/* open() flags (asm-generic/fcntl.h, octal as there). */
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_ACCMODE 03
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_LARGEFILE 0100000
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000

/* lseek() whence. */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* st_mode file types and permission bits (uapi/linux/stat.h). */
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)

/* struct stat64 of i386 (arch/x86/include/uapi/asm/stat.h): 96 bytes, 64-bit fields 4-byte
 * aligned as the i386 ABI lays them out; packed here so the layout is the same everywhere. */
struct quartz_stat64 {
  uint64_t st_dev;
  uint8_t __pad0[4];
  uint32_t __st_ino;
  uint32_t st_mode;
  uint32_t st_nlink;
  uint32_t st_uid;
  uint32_t st_gid;
  uint64_t st_rdev;
  uint8_t __pad3[4];
  int64_t st_size;
  uint32_t st_blksize;
  uint64_t st_blocks;
  uint32_t st_atime_;
  uint32_t st_atime_nsec;
  uint32_t st_mtime_;
  uint32_t st_mtime_nsec;
  uint32_t st_ctime_;
  uint32_t st_ctime_nsec;
  uint64_t st_ino;
} __attribute__((packed));

/* getdents64() records (uapi/linux/dirent.h): each starts 8-byte aligned, d_reclen covers
 * the record and its padding, d_name is NUL-terminated. */
struct quartz_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
} __attribute__((packed));
#define DT_UNKNOWN 0
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8

/* nanosleep()'s struct timespec on i386: two 32-bit longs. */
struct quartz_timespec {
  int32_t tv_sec;
  int32_t tv_nsec;
};

/* clock_gettime() clocks (uapi/linux/time.h). Quartz has no date: CLOCK_REALTIME counts
 * from boot, as CLOCK_MONOTONIC does. */
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

/* Signals (arch/x86/include/uapi/asm/signal.h). Quartz has default actions only, plus
 * SIG_IGN through signal(); every signal below terminates the process by default except
 * SIGCHLD, which is ignored. */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define QUARTZ_NSIG 32
#define SIG_DFL 0
#define SIG_IGN 1

/* waitpid(): options and the status word (as glibc's bits/waitstatus.h decodes it). */
#define WNOHANG 1
#define W_EXITCODE(code, sig) (((code)&0xff) << 8 | ((sig)&0x7f))
#define WIFEXITED(s) (((s)&0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s)&0x7f) != 0 && ((s)&0x7f) != 0x7f)
#define WTERMSIG(s) ((s)&0x7f)

/* The auxiliary vector after envp on the initial stack (uapi/linux/auxvec.h). */
#define AT_NULL 0
#define AT_PAGESZ 6
#define AT_ENTRY 9

/* Limits. */
#define QUARTZ_PATH_MAX 4096  /* a path, with its NUL (Linux's PATH_MAX) */
#define QUARTZ_NAME_MAX 255   /* one path component */
#define QUARTZ_ARG_MAX 131072 /* argv and envp strings and pointers together (Linux's ARG_MAX) */

#endif
