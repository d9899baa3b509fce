// Linux 2.4's keventd (kernel/context.c): schedule_task puts a tq_struct on the task
// queue tq_context, which the kernel thread "keventd" drains in process context, and
// flush_scheduled_tasks waits until everything scheduled before it has run.
#include "kernel/keventd.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/kallsyms.h"
#include "kernel/might_sleep.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/tq_kernel.h"
#include <quartz/export.h>
#include <quartz/tqueue.h>
#include <quartz/wait.h>
#include <quartz/workqueue.h>

namespace quartz {
namespace {

DECLARE_TASK_QUEUE(tq_context);
DECLARE_WAIT_QUEUE_HEAD(context_task_wq);    // keventd sleeps here while tq_context is empty
DECLARE_WAIT_QUEUE_HEAD(context_task_done);  // woken after each of keventd's drains
Thread* keventd_task = nullptr;

bool has_tasks() { return tq_stats(&tq_context).queued != 0; }

// 2.4's context_thread: sleep until a task is queued, drain tq_context, wake flushers.
// Its routines run here, at thread level: they may sleep (tq_kernel knows this thread).
void context_thread(void*) {
  for (;;) {
    wait_event(context_task_wq, has_tasks());
    run_task_queue(&tq_context);
    wake_up(&context_task_done);
  }
}

struct Marker {
  tq_struct task;
  volatile bool ran;
};
void marker_ran(void* p) {
  static_cast<Marker*>(p)->ran = true;  // the last touch of the marker (on the caller's stack)
  wake_up(&context_task_done);
}
}  // namespace

void keventd_init() {
  keventd_task = thread_create("keventd", context_thread, nullptr);
  if (!keventd_task) panic("keventd_init: no thread for keventd");
  tq_set_process_context_drainer(keventd_task);
}

}  // namespace quartz

using namespace quartz;

extern "C" {

int schedule_task(struct tq_struct* task) {
  const int ret = queue_task(task, &tq_context);
  wake_up(&context_task_wq);
  return ret;
}

int current_is_keventd(void) {
  return keventd_task && current_thread() == keventd_task && !in_interrupt() ? 1 : 0;
}

// 2.4 queued a dummy task and slept until keventd had run it, twice (keventd might be
// between its drain and its wake_up). Here the marker wakes us itself, and the drain is
// FIFO: once it has run, so has everything queued before it.
void flush_scheduled_tasks(void) {
  might_sleep("flush_scheduled_tasks", __builtin_return_address(0));
  if (current_is_keventd()) {
    char name[96];
    ksyms_describe(reinterpret_cast<uintptr_t>(tq_routine_running_here()), name, sizeof name);
    panic(
        "flush_scheduled_tasks called from keventd (routine %s): it would wait for itself: "
        "deadlock",
        name);
  }
  Marker m;
  INIT_TQUEUE(&m.task, marker_ran, &m);
  m.ran = false;
  schedule_task(&m.task);
  wait_event(context_task_done, m.ran);
}

}  // extern "C"

EXPORT_SYMBOL(schedule_task);
EXPORT_SYMBOL(flush_scheduled_tasks);
EXPORT_SYMBOL(current_is_keventd);
