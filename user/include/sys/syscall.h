/* The system call numbers, SYS_read ... (kernel/uapi/quartz/syscalls.h), for syscall(). */
#ifndef _SYS_SYSCALL_H
#define _SYS_SYSCALL_H
#include <quartz/syscalls.h>

#endif
