/* tasklet6: the chapter's tasklet example written against today's API (the old-form
 * DECLARE_TASKLET_OLD with void fn(unsigned long), tasklet_schedule, mdelay, tasklet_kill,
 * pr_info), built unchanged with tools/build-module.sh --linux 6 (docs/the-guide.md). */
/* clang-format off */
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/printk.h>

#ifndef DECLARE_TASKLET_OLD
#define DECLARE_TASKLET_OLD(arg1, arg2) DECLARE_TASKLET(arg1, arg2, 0L)
#endif

static void tasklet6_fn(unsigned long data)
{
    pr_info("tasklet6: the tasklet starts\n");
    mdelay(500); /* busy, in the bottom half: the ticks go on meanwhile */
    pr_info("tasklet6: the tasklet ends\n");
}

static DECLARE_TASKLET_OLD(tasklet6, tasklet6_fn);

static int __init tasklet6_init(void)
{
    pr_info("tasklet6: init schedules the tasklet\n");
    tasklet_schedule(&tasklet6);
    mdelay(20);
    pr_info("tasklet6: init goes on\n");
    return 0;
}

static void __exit tasklet6_exit(void)
{
    pr_info("tasklet6: exit\n");
    tasklet_kill(&tasklet6);
}

module_init(tasklet6_init);
module_exit(tasklet6_exit);

MODULE_DESCRIPTION("Tasklet example in today's API");
MODULE_LICENSE("GPL");
