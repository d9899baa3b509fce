/* <linux/wait.h>: wait queues as each generation had them.
 *
 * 2.2: `struct wait_queue *q = NULL` is a queue: a pointer, NULL until the first sleeper,
 * then a circular list of the sleepers' entries closed by a sentinel, WAIT_QUEUE_HEAD(&q),
 * whose `next` field is q itself (Linux 2.2.1 include/linux/sched.h, "The wait-queues are
 * circular lists"). After the last sleeper leaves, q points at the sentinel: non-NULL for
 * ever (docs/guide-editions.md). The kernel keeps the list exactly so (kernel/compat/).
 * 2.4 and later: wait_queue_head_t and DECLARE_WAIT_QUEUE_HEAD, Quartz's own
 * (quartz/wait.h): an empty queue is a structure, no longer NULL. */
#ifndef QUARTZ_COMPAT_LINUX_WAIT_H
#define QUARTZ_COMPAT_LINUX_WAIT_H

#include "types.h"

#if QUARTZ_LINUX == 0x020200

#ifdef __cplusplus
extern "C" {
#endif
struct task_struct;
struct wait_queue {
    struct task_struct *task; /* the sleeper (a Quartz thread) */
    struct wait_queue *next;
};
#define WAIT_QUEUE_HEAD(x) ((struct wait_queue *)((x)-1))
#ifdef __cplusplus
}
#endif

#else

#include <quartz/wait.h>

#endif

#endif /* QUARTZ_COMPAT_LINUX_WAIT_H */
