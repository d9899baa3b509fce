/* hook_slow: registers a hook with hook_provider that takes 30 ticks to run, and takes it
 * back in cleanup_module: a thread may still be inside the hook when rmmod frees it. */
#include <quartz/module.h>

extern void register_hook(void (*fn)(void));

static void slow_hook(void)
{
    unsigned long start = jiffies;
    printk("hook_slow: slow_hook running\n");
    while ((long)(jiffies - start) < 30)
        ;
    printk("hook_slow: slow_hook done\n");
}

int init_module(void)
{
    register_hook(slow_hook);
    return 0;
}

void cleanup_module(void)
{
    register_hook(NULL); /* no new call starts; one may still be running */
}
