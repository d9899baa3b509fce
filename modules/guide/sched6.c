/* sched6: the chapter's workqueue example written against today's API (module_init,
 * alloc_workqueue with WQ_UNBOUND, INIT_WORK, queue_work, destroy_workqueue, pr_info),
 * built unchanged with tools/build-module.sh --linux 6 (docs/the-guide.md). */
/* clang-format off */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/workqueue.h>

static struct workqueue_struct *sched6_queue = NULL;
static struct work_struct sched6_work;

static void sched6_handler(struct work_struct *work)
{
    pr_info("sched6: the work handler runs in a worker thread\n");
}

static int __init sched6_init(void)
{
    sched6_queue = alloc_workqueue("SCHED6", WQ_UNBOUND, 1);
    if (!sched6_queue)
        return -ENOMEM;
    INIT_WORK(&sched6_work, sched6_handler);
    queue_work(sched6_queue, &sched6_work);
    return 0;
}

static void __exit sched6_exit(void)
{
    destroy_workqueue(sched6_queue); /* waits for the queued work */
}

module_init(sched6_init);
module_exit(sched6_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Workqueue example in today's API");
