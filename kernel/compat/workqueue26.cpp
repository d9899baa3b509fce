// Linux 2.6.19's work API for --linux 2.6 modules (<linux/workqueue.h>): its work_struct
// { func(data), data, timer } laid over Quartz's delayed work items, and the calls that
// take it (queue_work, queue_delayed_work, schedule_*, cancel_delayed_work as 2.6.19's,
// __create_workqueue, flush_scheduled_work).
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/might_sleep.h"
#include "kernel/workqueue.h"
#include <quartz/export.h>
#include <quartz/timer.h>

// The module's view of the same memory: the 2.6 header, its struct named apart from
// Quartz's work_struct (and Quartz's macros of the same names set aside).
#undef DECLARE_WORK
#undef INIT_WORK
#undef __WORK_INITIALIZER
#undef create_workqueue
#undef create_singlethread_workqueue
#define QUARTZ_LINUX 0x020600
#define work_struct linux26_work_struct
#include "modules/compat/linux/workqueue.h"
#undef work_struct
#undef queue_work
#undef queue_delayed_work
#undef schedule_work
#undef schedule_delayed_work
#undef cancel_delayed_work

namespace quartz {
namespace {
using wq::DataFormWork;
// Every field a module or the kernel touches is where the other expects it.
static_assert(sizeof(linux26_work_struct) == sizeof(DataFormWork));
static_assert(__builtin_offsetof(linux26_work_struct, func) ==
              __builtin_offsetof(DataFormWork, dw.work.func));
static_assert(__builtin_offsetof(linux26_work_struct, __wk_next) ==
              __builtin_offsetof(DataFormWork, dw.work.wk_next));
static_assert(__builtin_offsetof(linux26_work_struct, __wk_wq) ==
              __builtin_offsetof(DataFormWork, dw.work.wk_wq));
static_assert(__builtin_offsetof(linux26_work_struct, __wk_flags) ==
              __builtin_offsetof(DataFormWork, dw.work.wk_flags));
static_assert(__builtin_offsetof(linux26_work_struct, __wk_seq) ==
              __builtin_offsetof(DataFormWork, dw.work.wk_seq));
static_assert(__builtin_offsetof(linux26_work_struct, __wk_magic) ==
              __builtin_offsetof(DataFormWork, dw.work.wk_magic));
static_assert(__builtin_offsetof(linux26_work_struct, timer) ==
              __builtin_offsetof(DataFormWork, dw.timer));
static_assert(__builtin_offsetof(linux26_work_struct, data) ==
              __builtin_offsetof(DataFormWork, data));
static_assert(__QUARTZ_WORK26_FLAGS == WORK_FLAG_DATA_FORM);
static_assert(__QUARTZ_WORK26_MAGIC == WORK_MAGIC_IDLE);

work_struct* item(linux26_work_struct* w) { return reinterpret_cast<work_struct*>(w); }
delayed_work* delayed(linux26_work_struct* w) { return reinterpret_cast<delayed_work*>(w); }

// 2.6.19's queue_delayed_work set the timer's function at each queueing; the module's
// INIT_WORK left it to init_timer (2.4's form). Done while the item is not pending (its
// timer idle): a pending item is refused by the core and its timer left as it is.
bool queue_delayed(workqueue_struct* q, linux26_work_struct* w, unsigned long delay) {
  if (!w) return wq_queue_delayed(q, nullptr, delay, true);
  {
    InterruptDisabler guard;
    if (!(w->__wk_flags & WORK_FLAG_PENDING)) {
      delayed(w)->timer.function = delayed_work_timer_fn;
      delayed(w)->timer.flags &= ~TIMER_DATA_FORM;
    }
  }
  return wq_queue_delayed(q, delayed(w), delay, true);
}
}  // namespace
}  // namespace quartz

using namespace quartz;

extern "C" {
// create_workqueue(name) (0) and create_singlethread_workqueue(name) (1): the worker is
// "NAME/0" or "NAME", as 2.6 named them; the caller is the queue's creator.
struct workqueue_struct* __create_workqueue(const char* name, int singlethread) {
  const void* caller = __builtin_return_address(0);
  might_sleep("create_workqueue", caller);
  unsigned flags = __WQ_LEGACY | WQ_MEM_RECLAIM;
  if (singlethread) flags |= WQ_UNBOUND | __WQ_ORDERED;
  return wq_create_for(name ? name : "(null)", flags, reinterpret_cast<uintptr_t>(caller));
}

int linux26_queue_work(struct workqueue_struct* q, struct linux26_work_struct* w) {
  return queue_work(q, item(w)) ? 1 : 0;
}

int linux26_queue_delayed_work(struct workqueue_struct* q, struct linux26_work_struct* w,
                               unsigned long delay) {
  return queue_delayed(q, w, delay) ? 1 : 0;
}

int linux26_schedule_work(struct linux26_work_struct* w) {
  return queue_work(system_wq, item(w)) ? 1 : 0;
}

int linux26_schedule_delayed_work(struct linux26_work_struct* w, unsigned long delay) {
  return queue_delayed(system_wq, w, delay) ? 1 : 0;
}

// 2.6.19: `ret = del_timer_sync(&work->timer); if (ret) clear_bit(0, &work->pending);`.
int linux26_cancel_delayed_work(struct linux26_work_struct* w) {
  return wq_cancel_timer(w ? delayed(w) : nullptr, "cancel_delayed_work") ? 1 : 0;
}

void flush_scheduled_work(void) {
  might_sleep("flush_scheduled_work", __builtin_return_address(0));
  flush_workqueue(system_wq);
}
}

EXPORT_SYMBOL(__create_workqueue);
EXPORT_SYMBOL(linux26_queue_work);
EXPORT_SYMBOL(linux26_queue_delayed_work);
EXPORT_SYMBOL(linux26_schedule_work);
EXPORT_SYMBOL(linux26_schedule_delayed_work);
EXPORT_SYMBOL(linux26_cancel_delayed_work);
EXPORT_SYMBOL(flush_scheduled_work);
