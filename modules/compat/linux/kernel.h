/* <linux/kernel.h>: printk with its log levels (KERN_*), sprintf and snprintf, for
 * modules built with --linux (docs/the-guide.md).
 *
 * printk(KERN_ALERT "...") works as in Linux: KERN_ALERT is "<1>", and Quartz's printk
 * strips a "<N>" level (N = 0..7) at the start of the text; nothing is filtered by level:
 * every message reaches the console. Any context, never sleeps.
 * sprintf/snprintf: the kernel's, with printk's conversions (%d %i %u %x %X %p %s %c %%,
 * widths, precision, l/ll); no floating point. sprintf trusts the buffer to be big
 * enough, as Linux's did. Any context. */
#ifndef QUARTZ_COMPAT_LINUX_KERNEL_H
#define QUARTZ_COMPAT_LINUX_KERNEL_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KERN_EMERG   "<0>" /* system is unusable */
#define KERN_ALERT   "<1>" /* action must be taken immediately */
#define KERN_CRIT    "<2>" /* critical conditions */
#define KERN_ERR     "<3>" /* error conditions */
#define KERN_WARNING "<4>" /* warning conditions */
#define KERN_NOTICE  "<5>" /* normal but significant condition */
#define KERN_INFO    "<6>" /* informational */
#define KERN_DEBUG   "<7>" /* debug-level messages */

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_COMPAT_LINUX_KERNEL_H */
