// Linux 2.2's task queues for --linux 2.2 modules: the 2.2 tq_struct ({next, sync,
// routine, data}), its tq_timer drained after every tick in TQUEUE_BH, queue_task (LIFO)
// and run_task_queue as 2.2's include/linux/tqueue.h had them (2.2.19-pre15), and the
// views the unloader uses.
#define QUARTZ_LINUX 0x020200
#include "modules/compat/linux/tqueue.h"
#undef tq_timer
#undef queue_task
#undef run_task_queue

#include "kernel/compat/compat.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/bottom_half.h"
#include "kernel/lib/linux_compat.h"
#include <quartz/export.h>

extern "C" {
task_queue linux22_tq_timer = nullptr;  // interrupts off to change
}

namespace quartz {
namespace {
bool draining = false;                              // the bottom half's drain; IRQ level only
void (*volatile running_routine)(void*) = nullptr;  // the 2.2 routine running now
}  // namespace

// Interrupts off. The flag of kernel/bottom_half.h follows "tq_timer has tasks".
static void note_timer_list_locked() {
  if (linux22_tq_timer)
    g_bh_held = g_bh_held | kBhLinux22Tq;
  else
    g_bh_held = g_bh_held & ~kBhLinux22Tq;
}

static void run_list(struct tq_struct* batch) {
  tq22_run_batch(
      batch, [](void (*f)(void*)) { running_routine = f; }, [] { running_routine = nullptr; });
}

void linux22_tq_timer_drain() {
  if (draining) return;  // 2.2's bottom halves never nested
  struct tq_struct* batch;
  {
    InterruptDisabler guard;
    batch = tq22_take(&linux22_tq_timer);
    note_timer_list_locked();
    draining = true;
  }
  run_list(batch);
  draining = false;
}

size_t linux22_tq_find_in_range(uintptr_t lo, uintptr_t hi,
                                void (*fn)(void*, const void*, uintptr_t, bool), void* ctx) {
  struct Hit {
    const void* task;
    uintptr_t routine;
    bool running;
  };
  Hit hits[16];
  size_t n = 0, total = 0;
  auto in = [&](uintptr_t a) { return a >= lo && a < hi; };
  {
    InterruptDisabler guard;
    tq22_for_each(linux22_tq_timer, [&](struct tq_struct* t) {
      const auto routine = reinterpret_cast<uintptr_t>(t->routine);
      if (!in(reinterpret_cast<uintptr_t>(t)) && !in(routine) &&
          !in(reinterpret_cast<uintptr_t>(t->data)))
        return;
      ++total;
      if (n < 16) hits[n++] = {t, routine, false};
    });
    const auto running = reinterpret_cast<uintptr_t>(running_routine);
    if (running && in(running)) {
      ++total;
      if (n < 16) hits[n++] = {nullptr, running, true};
    }
  }
  for (size_t i = 0; i < n; ++i) fn(ctx, hits[i].task, hits[i].routine, hits[i].running);
  return total;
}

size_t linux22_tq_cancel_in_range(uintptr_t lo, uintptr_t hi) {
  auto in = [&](uintptr_t a) { return a >= lo && a < hi; };
  InterruptDisabler guard;
  const size_t n = tq22_remove_if(&linux22_tq_timer, [&](struct tq_struct* t) {
    return in(reinterpret_cast<uintptr_t>(t)) || in(reinterpret_cast<uintptr_t>(t->routine)) ||
           in(reinterpret_cast<uintptr_t>(t->data));
  });
  note_timer_list_locked();
  return n;
}
}  // namespace quartz

using namespace quartz;

extern "C" {
// 2.2's queue_task: 1 if queued (at the front), 0 if the task was already pending. Any
// context.
int linux22_queue_task(struct tq_struct* task, task_queue* list) {
  InterruptDisabler guard;
  bool was_empty;
  const int queued = tq22_queue(task, list, &was_empty);
  if (list == &linux22_tq_timer) note_timer_list_locked();
  return queued;
}

// 2.2's run_task_queue, for a queue of the module's own (DECLARE_TASK_QUEUE), in the
// caller's context; on tq_timer it is the tick's drain.
void linux22_run_task_queue(task_queue* list) {
  if (list == &linux22_tq_timer) {
    linux22_tq_timer_drain();
    return;
  }
  struct tq_struct* batch;
  {
    InterruptDisabler guard;
    batch = tq22_take(list);
  }
  run_list(batch);
}
}

EXPORT_SYMBOL(linux22_tq_timer);
EXPORT_SYMBOL(linux22_queue_task);
EXPORT_SYMBOL(linux22_run_task_queue);
