/* cronwork: the guide's FIRST way of running a module periodically: the module does its
 * work when its /proc file is read, and something outside (the guide: a process run off
 * crontab; here the shell's `every` command) reads the file on a schedule. Compare with
 * tqwork, the second way, in `cronbench`. */
#include <quartz/module.h>

/* The periodic work: the same in cronwork and tqwork, so only the way it is driven differs. */
int cronwork_runs = 0;
static unsigned int cronwork_state = 1;

static void cronwork_do_work(void)
{
    cronwork_runs++;
    cronwork_state = cronwork_state * 1103515245u + 12345u;
}

/* Reading /proc/cronwork does one unit of work (runs in the reading thread). */
static void cronwork_show(struct ProcFile *out, void *data)
{
    (void)data;
    cronwork_do_work();
    proc_printf(out, "cronwork: %d runs\n", cronwork_runs);
}

int init_module(void)
{
    return proc_create("cronwork", cronwork_show, NULL, THIS_MODULE) ? -EBUSY : 0;
}

void cleanup_module(void) { proc_remove("cronwork"); }
