/* <linux/tqueue.h>: task queues as Linux 2.2 and 2.4 had them: struct tq_struct,
 * queue_task, run_task_queue, DECLARE_TASK_QUEUE and the kernel's tq_timer.
 *
 * 2.2 (Linux 2.2.19-pre15 include/linux/tqueue.h): { next, sync, routine, data }, a queue
 * is a pointer to the first task, queue_task pushes at the FRONT (the last queued runs
 * first) and returns 0 if the task was already pending (bit 0 of sync). tq_timer is 2.2's
 * own queue, drained after every tick in the TQUEUE_BH bottom half the way 2.2 did it:
 * take the whole list, then for each task read next, routine and data, clear sync, call
 * the routine (a routine may queue itself again: it runs at the next tick). The routine
 * runs in interrupt context and must not sleep. rmmod refuses to free a module whose
 * task is still queued, naming it. Positional initialisers ({ NULL, 0, fn, NULL }) work.
 * 2.4 (Linux 2.4.0): FIFO order, and Quartz's own tq_struct and tq_timer
 * (quartz/tqueue.h) stand for it: `routine:` and `data:` (GNU or C99 designators) are
 * the fields a module sets, the rest starts at zero. Quartz's fields are in another
 * order than 2.4's { list, sync, routine, data }, so a POSITIONAL initialiser is refused
 * (-Werror=designated-init), never mis-compiled.
 *
 * 2.4's tq_immediate is Quartz's (queue_task, then mark_bh(IMMEDIATE_BH) from
 * <linux/interrupt.h>: drained at the next irq_exit).
 * Refused at build time, naming them: tq_scheduler (2.2 ran it inside schedule()),
 * tq_disk, and 2.2's tq_immediate (the 2.2 queue has no immediate bottom half here). */
#ifndef QUARTZ_COMPAT_LINUX_TQUEUE_H
#define QUARTZ_COMPAT_LINUX_TQUEUE_H

#include "types.h"

#if QUARTZ_LINUX == 0x020200

#ifdef __cplusplus
extern "C" {
#endif
struct tq_struct {
    struct tq_struct *next;  /* linked list of active tasks */
    unsigned long sync;      /* must be initialised to zero; bit 0: pending */
    void (*routine)(void *); /* function to call */
    void *data;              /* argument to function */
};
typedef struct tq_struct *task_queue;
#define DECLARE_TASK_QUEUE(q) task_queue q = NULL
#define TQ_ACTIVE(q)          ((q) != NULL)

extern task_queue linux22_tq_timer; /* drained after every tick (TQUEUE_BH) */
int linux22_queue_task(struct tq_struct *task, task_queue *list);
void linux22_run_task_queue(task_queue *list);
#define tq_timer       linux22_tq_timer
#define queue_task     linux22_queue_task
#define run_task_queue linux22_run_task_queue

extern task_queue tq_scheduler __attribute__((unavailable(
    "tq_scheduler is not supported by Quartz: Linux 2.2 ran it inside schedule(); use tq_timer")));
extern task_queue tq_disk
    __attribute__((unavailable("tq_disk is not supported by Quartz: it has no block devices")));
extern task_queue tq_immediate __attribute__((
    unavailable("tq_immediate is not supported by the --linux 2.2 headers (docs/the-guide.md)")));
#ifdef __cplusplus
}
#endif

#elif QUARTZ_LINUX == 0x020400

#ifndef __cplusplus
#define QUARTZ_TQ_STRUCT_ATTR __attribute__((designated_init))
#endif
#include <quartz/tqueue.h>
#define TQ_ACTIVE(q) ((q).queued != 0)

#ifdef __cplusplus
extern "C" {
#endif
extern task_queue tq_disk
    __attribute__((unavailable("tq_disk is not supported by Quartz: it has no block devices")));
#ifdef __cplusplus
}
#endif

#else
#error "<linux/tqueue.h> is gone after Linux 2.4 (task queues became workqueues in 2.5.41)"
#endif

#endif /* QUARTZ_COMPAT_LINUX_TQUEUE_H */
