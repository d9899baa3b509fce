/* Wait queues with the historical Linux names, C linkage for modules in C or C++:
 * DECLARE_WAIT_QUEUE_HEAD, init_waitqueue_head, wake_up, sleep_on, module_sleep_on,
 * wait_event and wait_event_timeout.
 *
 * Contract:
 *   wake_up            any context (threads, interrupt handlers, task-queue routines);
 *                      wakes every sleeper; returns nothing, like Linux's.
 *   sleep_on           thread context only. The 2.2-era call, kept for the lesson: it
 *                      can lose a wakeup that arrives before it has queued the caller
 *                      (see docs/wait-queues.md); a watchdog reports and releases such a
 *                      sleeper after the watchdog period. module_sleep_on is the same.
 *   wait_event(wq, c)  thread context only. Queues the caller FIRST, then tests c, in a
 *                      loop: a wake_up after c became true is never lost.
 *   wait_event_timeout(wq, c, ticks)  the same with a limit; evaluates to 0 if it timed
 *                      out with c false, else the ticks left (at least 1, at most
 *                      QUARTZ_TIMEOUT_HORIZON). `ticks` is unsigned (up to 64 bits): a
 *                      timeout past the horizon is waited in chunks and never ends early.
 * Sleeping from an interrupt handler or a task-queue routine panics, naming the caller.
 */
#ifndef QUARTZ_WAIT_API_H
#define QUARTZ_WAIT_API_H

#ifdef __cplusplus
extern "C" {
#endif

struct wq_link {
    struct wq_link *next, *prev;
};

struct wait_queue_head {
    struct wq_link sleepers; /* private: circular list of waiting threads (IRQs off) */
    const char *name;        /* shown by ps and /proc/threads */
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(n)   \
    {                                      \
        {&(n).sleepers, &(n).sleepers}, #n \
    }
#define DECLARE_WAIT_QUEUE_HEAD(n) wait_queue_head_t n = __WAIT_QUEUE_HEAD_INITIALIZER(n)

/* For wait queues in kmalloc'd memory: `init_waitqueue_head(&wq)` names it "wq". */
void __init_waitqueue_head(wait_queue_head_t *wq, const char *name);
#define init_waitqueue_head(wq) __init_waitqueue_head((wq), #wq)

void wake_up(wait_queue_head_t *wq);
void sleep_on(wait_queue_head_t *wq);
void module_sleep_on(wait_queue_head_t *wq);

/* The pieces wait_event is made of (Linux's prepare_to_wait/schedule/finish_wait). */
void prepare_to_wait(wait_queue_head_t *wq);
void prepare_to_wait_timeout(wait_queue_head_t *wq, unsigned long deadline_jiffies);
void schedule(void);
void finish_wait(wait_queue_head_t *wq);
extern volatile unsigned long jiffies;

/* The farthest ahead one deadline can lie: jiffies wrap, so deadlines compare as signed
 * differences, and LONG_MAX ticks is the horizon (2^31 - 1 on i686: 24.8 days at
 * HZ=1000). Longer sleeps and timeouts are waited in chunks of at most this. */
#define QUARTZ_TIMEOUT_HORIZON (~0UL >> 1)

/* wait_event_timeout's arithmetic (private): the next chunk of `left` ticks, and the
 * ticks left when the condition came true inside the chunk ending at `end`. */
static inline unsigned long __wait_timeout_chunk(unsigned long long left)
{
    return left > QUARTZ_TIMEOUT_HORIZON ? QUARTZ_TIMEOUT_HORIZON : (unsigned long)left;
}
static inline long __wait_timeout_left(unsigned long long left, unsigned long chunk,
                                       unsigned long end)
{
    const long in_chunk = (long)(end - jiffies);
    unsigned long long total = left - chunk + (in_chunk > 0 ? (unsigned long)in_chunk : 0);
    if (total < 1)
        total = 1;
    if (total > QUARTZ_TIMEOUT_HORIZON)
        total = QUARTZ_TIMEOUT_HORIZON;
    return (long)total;
}

// LAB(4) BEGIN: wait_event: loop { prepare_to_wait (queue first), test the condition, schedule() }, then finish_wait
#define wait_event(wq, condition)   \
    do {                            \
        for (;;) {                  \
            prepare_to_wait(&(wq)); \
            if (condition)          \
                break;              \
            schedule();             \
        }                           \
        finish_wait(&(wq));         \
    } while (0)
// LAB(4) STUB: #define wait_event(wq, condition) do { while (!(condition)) { prepare_to_wait(&(wq)); schedule(); } finish_wait(&(wq)); } while (0)
// LAB(4) END

#define wait_event_timeout(wq, condition, timeout)                               \
    ({                                                                           \
        unsigned long long __we_left = (unsigned long long)(timeout);            \
        unsigned long __we_start = jiffies;                                      \
        long __we_ret;                                                           \
        for (;;) {                                                               \
            const unsigned long __we_chunk = __wait_timeout_chunk(__we_left);    \
            const unsigned long __we_end = __we_start + __we_chunk;              \
            prepare_to_wait_timeout(&(wq), __we_end);                            \
            if (condition) {                                                     \
                __we_ret = __wait_timeout_left(__we_left, __we_chunk, __we_end); \
                break;                                                           \
            }                                                                    \
            if ((long)(jiffies - __we_end) < 0) {                                \
                schedule();                                                      \
            } else if (__we_chunk == __we_left) {                                \
                __we_ret = 0;                                                    \
                break;                                                           \
            } else { /* past the horizon: the next chunk, from this one's end */ \
                __we_left -= __we_chunk;                                         \
                __we_start = __we_end;                                           \
            }                                                                    \
        }                                                                        \
        finish_wait(&(wq));                                                      \
        __we_ret;                                                                \
    })

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_WAIT_API_H */
