/* <linux/errno.h>: the error numbers a module returns from init_module (Linux i386's
 * values, include/asm-i386/errno.h). */
#ifndef QUARTZ_COMPAT_LINUX_ERRNO_H
#define QUARTZ_COMPAT_LINUX_ERRNO_H

#include "types.h"

#define EPERM  1
#define ENOENT 2
#define EIO    5
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY  16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22

#endif /* QUARTZ_COMPAT_LINUX_ERRNO_H */
