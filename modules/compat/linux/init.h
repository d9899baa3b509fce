/* <linux/init.h>: __init and __exit (no sections: Quartz frees nothing after init), and
 * module_init/module_exit, which make the named functions the module's init_module and
 * cleanup_module. */
#ifndef QUARTZ_COMPAT_LINUX_INIT_H
#define QUARTZ_COMPAT_LINUX_INIT_H

#include "types.h"

#define __init
#define __exit
#define __initdata
#define __exitdata

#define module_init(fn) int init_module(void) __attribute__((alias(#fn)))
#define module_exit(fn) void cleanup_module(void) __attribute__((alias(#fn)))

#endif /* QUARTZ_COMPAT_LINUX_INIT_H */
