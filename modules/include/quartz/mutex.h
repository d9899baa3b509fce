/* Mutexes with Linux's names, C linkage for modules in C or C++: struct mutex,
 * DEFINE_MUTEX, mutex_init, mutex_lock, mutex_trylock, mutex_unlock, mutex_is_locked.
 * A mutex is a sleeping lock built on a wait queue: a thread that finds it taken sleeps
 * (ps shows it "sleeping" on the mutex's name) until the holder hands it over.
 *
 * Contract:
 *   mutex_lock(&m)      thread context only (it may sleep; from an interrupt handler or a
 *                       task-queue routine it panics, naming the caller). Returns holding
 *                       m. Waiters get the mutex in the order they came (FIFO): unlock
 *                       hands it straight to the longest waiter. Locking a mutex the
 *                       caller already holds panics with "deadlock", naming the mutex.
 *   mutex_trylock(&m)   thread context; never sleeps. 1 if it took m, 0 if m was held
 *                       (by anyone, the caller included).
 *   mutex_unlock(&m)    thread context, by the holder only; never sleeps (interrupts may
 *                       be off). Unlocking a mutex the caller does not hold, or one that
 *                       is not locked, prints one "BUG: ..." line naming the mutex and the
 *                       caller, and changes nothing.
 *   mutex_is_locked(&m) any context: 1 if some thread holds m (a snapshot).
 * A thread must not exit holding a mutex (reported as a BUG; the mutex stays held).
 *
 * Initialising: `DEFINE_MUTEX(name);` (static or global; shown by ps as "name"), or
 * `mutex_init(&m)` for a mutex in kmalloc'd memory (named "m", or "p->m"). A zero-filled
 * struct mutex is an unlocked mutex without a name. C++: every form is constant
 * initialisation (no constructor runs), so a namespace-scope mutex is fine in a module.
 */
#ifndef QUARTZ_MUTEX_API_H
#define QUARTZ_MUTEX_API_H

#include <quartz/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mutex {
    wait_queue_head_t wait; /* private: the waiters; wait.name is the mutex's name       */
    void *owner;            /* private: the holding thread, NULL when free (IRQs off)    */
};

#define __MUTEX_INITIALIZER(n)                            \
    {                                                     \
        {{&(n).wait.sleepers, &(n).wait.sleepers}, #n}, 0 \
    }
#define DEFINE_MUTEX(n) struct mutex n = __MUTEX_INITIALIZER(n)

void __mutex_init(struct mutex *m, const char *name);
#define mutex_init(m) __mutex_init((m), #m)

void mutex_lock(struct mutex *m);
int mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
int mutex_is_locked(struct mutex *m);

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_MUTEX_API_H */
