/* <linux/printk.h>: printk and its levels (<linux/kernel.h>), and today's pr_* forms:
 * pr_info(fmt, ...) is printk(KERN_INFO pr_fmt(fmt), ...), and so on for each level;
 * pr_fmt may be defined by the module before including this header, as in Linux. */
#ifndef QUARTZ_COMPAT_LINUX_PRINTK_H
#define QUARTZ_COMPAT_LINUX_PRINTK_H

#include "kernel.h"

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_emerg(fmt, ...)  printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...)  printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)   printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)    printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)   printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)   printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)  printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_cont(fmt, ...)   printk(fmt, ##__VA_ARGS__)

#endif /* QUARTZ_COMPAT_LINUX_PRINTK_H */
