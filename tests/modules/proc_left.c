/* proc_left: its cleanup_module forgets proc_remove, so /proc/proc_left still points at
 * its show function: the kernel's check before freeing (lab 5's registry_leftovers,
 * proc_find) must name the entry and refuse to free the module. */
#include <quartz/module.h>

static void proc_left_show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "proc_left is loaded\n");
}

int init_module(void)
{
    return proc_create("proc_left", proc_left_show, NULL, THIS_MODULE) != 0 ? -EBUSY : 0;
}

void cleanup_module(void)
{
    /* The bug: no proc_remove("proc_left") here. */
    printk("proc_left: cleanup_module returns\n");
}
