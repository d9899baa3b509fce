/* <linux/delay.h>: mdelay and udelay busy-wait (any context, interrupts must be on for
 * mdelay: it watches jiffies), msleep sleeps (thread context). mdelay(ms) waits for
 * ms * HZ / 1000 ticks, rounded up, plus one (the tick in progress is partly gone), so it
 * never returns early; udelay(us) is mdelay rounded up to the millisecond. */
#ifndef QUARTZ_COMPAT_LINUX_DELAY_H
#define QUARTZ_COMPAT_LINUX_DELAY_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

extern volatile unsigned long jiffies;
unsigned int quartz_hz(void);
void msleep(unsigned int ms);

static __inline__ void mdelay(unsigned long ms)
{
    const unsigned long ticks = (ms * quartz_hz() + 999) / 1000 + 1;
    const unsigned long start = jiffies;
    while (jiffies - start < ticks)
        ; /* no `pause`: QEMU's -icount counts it as no time, and the ticks would stop */
}
static __inline__ void udelay(unsigned long us) { mdelay((us + 999) / 1000); }

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_COMPAT_LINUX_DELAY_H */
