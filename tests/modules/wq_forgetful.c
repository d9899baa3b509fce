/* wq_forgetful: its cleanup_module forgets its workqueue and the item sleeping on it: the
 * kernel's check before freeing names the queue and the running item, and refuses to
 * free the module (it stays 'going', for good: nothing will destroy the queue); the
 * kernel keeps running. */
#include <quartz/module.h>

static struct workqueue_struct *forgetful_wq;
static DECLARE_WAIT_QUEUE_HEAD(forgetful_wait);
static volatile int released;

static void forgetful_fn(struct work_struct *w)
{
    (void)w;
    wait_event(forgetful_wait, released); /* sleeps in the worker, inside the module */
}
static DECLARE_WORK(forgetful_work, forgetful_fn);

int init_module(void)
{
    forgetful_wq = create_workqueue("forgetful");
    if (!forgetful_wq)
        return -ENOMEM;
    queue_work(forgetful_wq, &forgetful_work);
    return 0;
}

void cleanup_module(void)
{
    /* The bug: neither cancel_work_sync(&forgetful_work) nor destroy_workqueue. */
}
