/* sleepy_reader: a /proc show function that sleeps 8 seconds (longer than rmmod waits
 * for readers), so rmmod must give up and leave the module live. */
#include <quartz/module.h>

static void show(struct ProcFile *out, void *data)
{
    (void)data;
    proc_printf(out, "sleepy_reader: going to sleep\n");
    msleep(8000);
    proc_printf(out, "sleepy_reader: woke up\n");
}

int init_module(void) { return proc_create("sleepy_reader", show, NULL, THIS_MODULE) ? -EBUSY : 0; }

void cleanup_module(void) { proc_remove("sleepy_reader"); }
