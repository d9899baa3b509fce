/* fault_proc: a /proc show function that faults: only that read stops, the module is
 * marked failed (its file removed), and rmmod frees it without running cleanup_module. */
#include <quartz/module.h>

static void show(struct ProcFile *out, void *data)
{
    proc_printf(out, "fault_proc: about to fault\n");
    proc_printf(out, "%d\n", *(volatile int *)data);
}

int init_module(void)
{
    return proc_create("fault_proc", show, (void *)0x10, THIS_MODULE) ? -EBUSY : 0;
}

void cleanup_module(void)
{
    proc_remove("fault_proc");
    printk("fault_proc: cleanup_module must never run\n");
}
