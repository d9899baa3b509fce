/* wq_fault: its work function writes through a null pointer, on purpose: the fault ends
 * that item only; the worker goes on running other work, and the module is marked
 * failed (its code never runs again). */
#include <quartz/module.h>

static void faulting_fn(struct work_struct *w)
{
    (void)w;
    *(volatile int *)0 = 1;
}
static DECLARE_WORK(faulting_work, faulting_fn);

int init_module(void)
{
    schedule_work(&faulting_work);
    return 0;
}

void cleanup_module(void) { cancel_work_sync(&faulting_work); }
