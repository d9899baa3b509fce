/* timer_forms_24: not broken; a Linux 2.4-form timer (init_timer, .function/.data/
 * .expires, add_timer) armed for jiffies + 7 with data 0x2424, whose function prints the
 * jiffy it ran at and the data it got (test_timers.py checks both). */
#define QUARTZ_TIMER_2_4
#include <quartz/module.h>

static struct timer_list t;
static unsigned long armed_for;

static void fn24(unsigned long data)
{
    printk("timer_forms_24: fired at %lu for %lu with data %#lx\n", jiffies, armed_for, data);
}

int init_module(void)
{
    init_timer(&t);
    t.function = fn24;
    t.data = 0x2424;
    armed_for = jiffies + 7;
    t.expires = armed_for;
    add_timer(&t);
    printk("timer_forms_24: armed for %lu, pending %d\n", armed_for, timer_pending(&t));
    return 0;
}

void cleanup_module(void) { del_timer_sync(&t); }
