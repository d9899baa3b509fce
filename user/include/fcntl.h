/* open() and its flags (O_RDONLY ... from kernel/uapi/quartz/abi.h). */
#ifndef _FCNTL_H
#define _FCNTL_H
#include <sys/types.h>
#include <quartz/abi.h>

/* Opens PATH; MODE (an int after FLAGS) is used with O_CREAT. Returns an fd or -1 (errno). */
int open(const char* path, int flags, ...);

#endif
