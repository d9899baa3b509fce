// timer_forms_new: not broken; today's-form timers in C++ (timer_setup, from_timer,
// DEFINE_TIMER, mod_timer) armed for jiffies + 5 and + 9, whose functions print the jiffy
// they ran at and find their owner with from_timer (test_timers.py checks them).
#include <quartz/module.h>

struct Owner {
    int magic;
    unsigned long armed_for;
    timer_list timer;
};
static Owner owner;

static void fn_new(timer_list *t)
{
    Owner *o = from_timer(o, t, timer);
    printk("timer_forms_new: fired at %lu for %lu, owner magic %#x\n", jiffies, o->armed_for,
           o->magic);
}
static unsigned long static_for;
static void fn_static(timer_list *)
{
    printk("timer_forms_new: static fired at %lu for %lu\n", jiffies, static_for);
}
static DEFINE_TIMER(static_timer, fn_static);

extern "C" int init_module(void)
{
    owner.magic = 0x5eed;
    timer_setup(&owner.timer, fn_new, 0);
    owner.armed_for = jiffies + 5;
    const int was = mod_timer(&owner.timer, owner.armed_for);
    static_for = jiffies + 9;
    mod_timer(&static_timer, static_for);
    printk("timer_forms_new: armed for %lu (was pending %d)\n", owner.armed_for, was);
    return 0;
}

extern "C" void cleanup_module(void)
{
    del_timer_sync(&owner.timer);
    timer_shutdown_sync(&static_timer);
}
