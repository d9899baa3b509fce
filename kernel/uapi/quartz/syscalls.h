/* The system call numbers Quartz implements: Linux i386's (arch/x86/entry/syscalls/syscall_32.tbl),
 * so a trace of a Quartz program reads like strace on Linux. Shared by the kernel and user/libc.
 *
 * Convention (int $0x80, as Linux i386): eax = number; ebx, ecx, edx, esi, edi, ebp = the
 * arguments in order; the result comes back in eax, a negative value being -errno. */
#ifndef QUARTZ_UAPI_SYSCALLS_H
#define QUARTZ_UAPI_SYSCALLS_H

#define SYS_exit 1
#define SYS_fork 2
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5
#define SYS_close 6
#define SYS_waitpid 7
#define SYS_unlink 10
#define SYS_execve 11
#define SYS_chdir 12
#define SYS_lseek 19
#define SYS_getpid 20
#define SYS_kill 37
#define SYS_mkdir 39
#define SYS_brk 45
#define SYS_signal 48
#define SYS_getppid 64
#define SYS_init_module 128
#define SYS_delete_module 129
#define SYS_sched_yield 158
#define SYS_nanosleep 162
#define SYS_getcwd 183
#define SYS_stat64 195
#define SYS_fstat64 197
#define SYS_getdents64 220
#define SYS_exit_group 252
#define SYS_clock_gettime 265

#endif
