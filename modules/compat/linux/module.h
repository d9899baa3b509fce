/* <linux/module.h>: what a module of Linux 2.2 to 6 says about itself: init_module and
 * cleanup_module, THIS_MODULE, MODULE_LICENSE and friends, EXPORT_SYMBOL and
 * EXPORT_NO_SYMBOLS; LINUX_VERSION_CODE comes along (<linux/version.h>).
 *
 * MODULE_LICENSE, MODULE_AUTHOR, MODULE_DESCRIPTION, MODULE_SUPPORTED_DEVICE and
 * EXPORT_NO_SYMBOLS are accepted and checked (a string where one is due) but kept
 * nowhere: Quartz has no modinfo and no tainting. CONFIG_MODVERSIONS is not defined: a
 * module's `#if CONFIG_MODVERSIONS==1` block is skipped, as on a kernel built without it.
 * MODULE, __KERNEL__ and LINUX are never defined here, so a module may define them.
 *
 * Refused at build time, with a message naming them: MOD_INC_USE_COUNT and
 * MOD_DEC_USE_COUNT (Quartz keeps no count a module can hold: it pins a module by itself
 * while a /proc read runs inside it, and a module has nothing else to guard), MODULE_PARM
 * (the 2.2/2.4 parameter syntax: Quartz has module_param, in <quartz/module.h>). */
#ifndef QUARTZ_COMPAT_LINUX_MODULE_H
#define QUARTZ_COMPAT_LINUX_MODULE_H

#include "types.h"
#include "version.h"
#include "errno.h"
#include "kernel.h"
#include "init.h" /* module_init, module_exit, __init, __exit */
#if QUARTZ_LINUX == 0x060000
#include "printk.h" /* pr_info and friends */
#endif
#include <quartz/export.h> /* EXPORT_SYMBOL */

#ifdef __cplusplus
extern "C" {
#endif

struct module;
extern struct module __this_module; /* resolved by the loader to the module being loaded */
#define THIS_MODULE (&__this_module)

int init_module(void);
void cleanup_module(void);

#define __QUARTZ_MODINFO(tag, text)   _Static_assert(sizeof(text "") > 0, tag " takes a string")
#define MODULE_LICENSE(text)          __QUARTZ_MODINFO("MODULE_LICENSE", text)
#define MODULE_AUTHOR(text)           __QUARTZ_MODINFO("MODULE_AUTHOR", text)
#define MODULE_DESCRIPTION(text)      __QUARTZ_MODINFO("MODULE_DESCRIPTION", text)
#define MODULE_SUPPORTED_DEVICE(text) __QUARTZ_MODINFO("MODULE_SUPPORTED_DEVICE", text)
#define EXPORT_NO_SYMBOLS             _Static_assert(1, "EXPORT_NO_SYMBOLS")

#define MODULE_PARM(var, type)                                                    \
    _Static_assert(0, "MODULE_PARM is not supported by Quartz: use module_param " \
                      "(quartz/module.h)")

void __quartz_refused_MOD_INC_USE_COUNT(void) __attribute__((unavailable(
    "MOD_INC_USE_COUNT is not supported by Quartz: the kernel pins a module itself while a "
    "/proc read runs in it (docs/the-guide.md)")));
void __quartz_refused_MOD_DEC_USE_COUNT(void) __attribute__((unavailable(
    "MOD_DEC_USE_COUNT is not supported by Quartz: the kernel pins a module itself while a "
    "/proc read runs in it (docs/the-guide.md)")));
#define MOD_INC_USE_COUNT __quartz_refused_MOD_INC_USE_COUNT()
#define MOD_DEC_USE_COUNT __quartz_refused_MOD_DEC_USE_COUNT()

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_COMPAT_LINUX_MODULE_H */
