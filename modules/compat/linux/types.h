/* <linux/types.h>: the generation a module is built for and the era's basic types; every
 * <linux/...> header of Quartz includes it first (docs/the-guide.md).
 *
 * tools/build-module.sh --linux 2.2|2.4|2.6|6 defines QUARTZ_LINUX as 0x020200,
 * 0x020400, 0x020600 or 0x060000; each header chooses that generation's layouts and names
 * with it. Without --linux these headers refuse to compile: Quartz's own API is
 * <quartz/module.h>. */
#ifndef QUARTZ_COMPAT_LINUX_TYPES_H
#define QUARTZ_COMPAT_LINUX_TYPES_H

#ifndef QUARTZ_LINUX
#error \
    "<linux/...> headers need tools/build-module.sh --linux 2.2|2.4|2.6|6 (Quartz's own API is <quartz/module.h>)"
#endif
#if QUARTZ_LINUX != 0x020200 && QUARTZ_LINUX != 0x020400 && QUARTZ_LINUX != 0x020600 && \
    QUARTZ_LINUX != 0x060000
#error "QUARTZ_LINUX must be 0x020200, 0x020400, 0x020600 or 0x060000 (use build-module.sh --linux)"
#endif

#include <stddef.h> /* size_t, NULL, offsetof: from the freestanding compiler */

#ifdef __cplusplus
extern "C" {
#endif

/* Linux i386's types of those years (include/linux/types.h, include/asm-i386/posix_types.h). */
typedef unsigned short mode_t; /* __kernel_mode_t */
typedef long off_t;            /* __kernel_off_t */
#if QUARTZ_LINUX >= 0x020600
/* 2.6's include/linux/types.h, under __KERNEL__ (since 2.5.x): __kernel_uid32_t. */
typedef unsigned int uid_t;
typedef unsigned int gid_t;
#else
typedef unsigned short uid_t; /* __kernel_uid_t: 16 bits on i386 */
typedef unsigned short gid_t;
#endif
typedef unsigned short nlink_t;
typedef int ssize_t;
typedef long long loff_t;

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_COMPAT_LINUX_TYPES_H */
