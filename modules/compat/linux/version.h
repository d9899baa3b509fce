/* <linux/version.h>: LINUX_VERSION_CODE and KERNEL_VERSION as Linux's Makefile generated
 * them, for the release of the generation a module is built for (docs/the-guide.md). */
#ifndef QUARTZ_COMPAT_LINUX_VERSION_H
#define QUARTZ_COMPAT_LINUX_VERSION_H

#include "types.h"

/* (((a) << 16) + ((b) << 8) + (c)): the 2.2.19-pre15 Makefile's definition. The releases:
 * the last of 2.2 and of 2.4, the last 2.6 before the work_struct split (2.6.20), and 6.6. */
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#if QUARTZ_LINUX == 0x020200
#define LINUX_VERSION_CODE 131610 /* 2.2.26 */
#define UTS_RELEASE        "2.2.26-quartz"
#elif QUARTZ_LINUX == 0x020400
#define LINUX_VERSION_CODE 132133 /* 2.4.37 */
#define UTS_RELEASE        "2.4.37-quartz"
#elif QUARTZ_LINUX == 0x020600
#define LINUX_VERSION_CODE 132627 /* 2.6.19 */
#define UTS_RELEASE        "2.6.19-quartz"
#else
#define LINUX_VERSION_CODE 394752 /* 6.6.0 */
#define UTS_RELEASE        "6.6.0-quartz"
#endif

#endif /* QUARTZ_COMPAT_LINUX_VERSION_H */
