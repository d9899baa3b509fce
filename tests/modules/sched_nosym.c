/* sched_nosym: a stand-in for tqwork that lacks its tqwork_work counter, on purpose: loaded under the name tqwork (the test copies it to tqwork.ko), it makes cronbench's module_symbol() fail, which must be reported, not read through a null address. */
#include <quartz/module.h>

int tqwork_other_counter = 0; /* a global, but not the one cronbench looks for */

int init_module(void)
{
    printk("tqwork (sched_nosym): loaded without tqwork_work\n");
    return 0;
}

void cleanup_module(void) {}
