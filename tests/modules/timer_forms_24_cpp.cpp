// timer_forms_24_cpp: not broken; Linux 2.4's timer form written in C++ (init_timer,
// .function/.data/.expires, add_timer), so both forms are built in both languages with
// -Wall -Wextra -Werror. Its function prints the jiffy it ran at and its data.
#define QUARTZ_TIMER_2_4
#include <quartz/module.h>

static timer_list t;
static unsigned long armed_for;

static void fn24(unsigned long data)
{
    printk("timer_forms_24_cpp: fired at %lu for %lu with data %#lx\n", jiffies, armed_for, data);
}

extern "C" int init_module(void)
{
    init_timer(&t);
    t.function = fn24;
    t.data = 0xc24;
    armed_for = jiffies + 3;
    t.expires = armed_for;
    add_timer(&t);
    return 0;
}

extern "C" void cleanup_module(void) { del_timer_sync(&t); }
