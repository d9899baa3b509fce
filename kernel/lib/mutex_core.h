// The mutex of quartz/mutex.h as pure logic on a SchedCore: taking, queueing, the FIFO
// hand-over on unlock, and the misuse a caller must be told about (deadlock, unlock by a
// non-holder or of a free mutex). The kernel (kernel/mutex.cpp) adds might_sleep and the
// reports; host tests drive it with the fake guard and context switch.
//
// Contract (one CPU; the guard is the scheduler's, interrupts off):
//   mutex_lock_on     thread context: may schedule(). Returns Deadlock, changing
//                     nothing, if the caller holds m already.
//   mutex_lock_step   one step of the lock loop, for tests that play each thread in turn:
//                     true if the caller now holds m, else it is queued on m->wait
//                     (Blocked) and must schedule() and step again; after true, call
//                     finish_wait(&m->wait) if it had ever queued.
//   mutex_trylock_on  never sleeps.
//   mutex_unlock_on   never sleeps; any interrupt state. NotOwner / NotLocked change
//                     nothing; *holder (if given) receives who held m.
// Why a hand-over, not "wake everybody and let them race": the woken waiter owns m
// before it even runs, so a thread that unlocks and at once locks again cannot starve
// the waiters, and a woken waiter never finds m taken and sleeps again.
#pragma once
#include <cstdint>

#include <quartz/mutex.h>
#include "kernel/lib/sched_core.h"

namespace quartz {

enum class MutexResult : uint8_t { Ok, Deadlock, NotLocked, NotOwner };

namespace mutex_detail {
template <class Core>
void take_locked(Core& core, mutex* m, SchedThread* t) {
  core.hooks_assert_guard_held("mutex take_locked");
  m->owner = t;
  ++t->mutexes_held;
}
}  // namespace mutex_detail

template <class Core>
bool mutex_lock_step(Core& core, mutex* m) {
  typename Core::GuardType guard;
  SchedThread* self = core.current();
  if (m->owner == self) return true;  // handed over by mutex_unlock_on
  if (!m->owner) {
    mutex_detail::take_locked(core, m, self);
    return true;
  }
  // Queued under the same guard as the test: the holder cannot unlock in between (no
  // other thread runs, and a Blocked current thread is never preempted), so the
  // hand-over that wakes us cannot come before we are on the queue.
  core.prepare_to_wait(&m->wait);
  return false;
}

template <class Core>
MutexResult mutex_lock_on(Core& core, mutex* m) {
  {
    typename Core::GuardType guard;
    if (m->owner == core.current()) return MutexResult::Deadlock;
  }
  if (mutex_lock_step(core, m)) return MutexResult::Ok;  // free: never queued
  do {
    core.schedule();
  } while (!mutex_lock_step(core, m));
  core.finish_wait(&m->wait);
  return MutexResult::Ok;
}

template <class Core>
bool mutex_trylock_on(Core& core, mutex* m) {
  typename Core::GuardType guard;
  if (m->owner) return false;
  mutex_detail::take_locked(core, m, core.current());
  return true;
}

template <class Core>
MutexResult mutex_unlock_on(Core& core, mutex* m, SchedThread** holder = nullptr) {
  typename Core::GuardType guard;
  SchedThread* self = core.current();
  auto* owner = static_cast<SchedThread*>(m->owner);
  if (holder) *holder = owner;
  if (!owner) return MutexResult::NotLocked;
  if (owner != self) return MutexResult::NotOwner;
  --self->mutexes_held;
  if (sched_detail::wq_empty(&m->wait)) {
    m->owner = nullptr;
    return MutexResult::Ok;
  }
  // The longest waiter is at the head (prepare_to_wait appends): it owns m from now on.
  SchedThread* next = sched_detail::thread_of(m->wait.sleepers.next);
  mutex_detail::take_locked(core, m, next);
  core.wake(next);
  return MutexResult::Ok;
}

inline bool mutex_is_locked_now(const mutex* m) {
  return *static_cast<void* const volatile*>(&m->owner) != nullptr;
}

}  // namespace quartz
