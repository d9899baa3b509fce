/* errno and the error numbers (Linux's values, from kernel/uapi/quartz/errno.h). */
#ifndef _ERRNO_H
#define _ERRNO_H
#include <quartz/errno.h>

/* Set by a failed library call; one process, one thread, so a plain variable. */
extern int errno;

#endif
