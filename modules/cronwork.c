/* cronwork: the guide's FIRST way of running a module periodically: the module does its
 * work when its /proc file is read, and something outside (the guide: a process run off
 * crontab; here the shell's `every` command) reads the file on a schedule. Compare with
 * tqwork, the second way, in `cronbench`. */
#include "periodic_work.h"

/* The periodic work: the same in every module of the comparison (periodic_work.h), so only
 * the way it is driven differs. */
struct periodic_work cronwork_work;

/* Reading /proc/cronwork does one unit of work (runs in the reading thread). */
static void cronwork_show(struct ProcFile *out, void *data)
{
    (void)data;
    periodic_work_run(&cronwork_work);
    proc_printf(out, "cronwork: %d runs\n", cronwork_work.runs);
}

int init_module(void)
{
    return proc_create("cronwork", cronwork_show, NULL, THIS_MODULE) ? -EBUSY : 0;
}

void cleanup_module(void) { proc_remove("cronwork"); }
