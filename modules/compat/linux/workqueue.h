/* <linux/workqueue.h> for today's generation (--linux 6): work items and workqueues as
 * Linux has had them since 2.6.20 and cmwq (2.6.36): struct work_struct, INIT_WORK,
 * DECLARE_WORK, alloc_workqueue with WQ_UNBOUND, create_workqueue, queue_work,
 * schedule_work, flush_work, cancel_work_sync, flush_workqueue, destroy_workqueue:
 * Quartz's own workqueues (quartz/workqueue.h has the contract; one worker thread per
 * queue, shown by ps). The 2.6 generation (three-argument DECLARE_WORK, delayed work with
 * a work_struct) is not written yet; 2.2 and 2.4 had task queues (<linux/tqueue.h>). */
#ifndef QUARTZ_COMPAT_LINUX_WORKQUEUE_H
#define QUARTZ_COMPAT_LINUX_WORKQUEUE_H

#include "types.h"

#if QUARTZ_LINUX == 0x060000
#include <quartz/workqueue.h>
#elif QUARTZ_LINUX == 0x020600
#error \
    "<linux/workqueue.h> for Linux 2.6 (before 2.6.20: DECLARE_WORK(n, f, data), queue_delayed_work) is not written yet (docs/the-guide.md)"
#else
#error "<linux/workqueue.h> did not exist before Linux 2.5.41: use task queues (<linux/tqueue.h>)"
#endif

#endif /* QUARTZ_COMPAT_LINUX_WORKQUEUE_H */
