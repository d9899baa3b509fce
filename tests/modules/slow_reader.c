/* slow_reader: a /proc file whose show function takes a long time (busy-waits 30 ticks),
 * so that rmmod can arrive while a thread is inside the module's code. */
#include <quartz/module.h>

static void show(struct ProcFile *out, void *data)
{
    (void)data;
    unsigned long start = jiffies;
    proc_printf(out, "slow_reader: reading\n");
    while ((long)(jiffies - start) < 30)
        ;
    proc_printf(out, "slow_reader: done after %lu ticks\n", jiffies - start);
}

int init_module(void) { return proc_create("slow_reader", show, NULL, THIS_MODULE) ? -EBUSY : 0; }

void cleanup_module(void)
{
    proc_remove("slow_reader");
    printk("slow_reader: cleanup_module\n");
}
