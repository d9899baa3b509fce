// Timer and tasklet demos: `timercrash` (the misuses of kernel timers and tasklets that
// must panic, with the function named). Not the mechanism (kernel/ktimer.cpp).
#include "kernel/console.h"
#include "kernel/ktimer.h"
#include "kernel/lib/kstring.h"
#include "kernel/might_sleep.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include <quartz/interrupt.h>

namespace quartz {
namespace {

timer_list crash_timer;
void sleepy_timer_fn(timer_list*) { msleep(10); }
void self_syncing_timer_fn(timer_list* t) { del_timer_sync(t); }
// A task-queue routine (interrupt context) that waits for a timer: refused.
void irq_syncing_routine(void*) { del_timer_sync(&crash_timer); }
tq_struct irq_task;
// A tasklet that sleeps, and one that kills itself (tasklet_kill in interrupt context).
void sleepy_tasklet_fn(tasklet_struct*) { msleep(10); }
void self_killing_tasklet_fn(tasklet_struct* t) { tasklet_kill(t); }
tasklet_struct crash_tasklet;

int cmd_timercrash(int argc, char** argv) {
  if (argc != 2) return shell_usage("timercrash");
  if (str_eq(argv[1], "sleep")) {
    timer_setup(&crash_timer, sleepy_timer_fn, 0);
  } else if (str_eq(argv[1], "del-sync-self")) {
    timer_setup(&crash_timer, self_syncing_timer_fn, 0);
  } else if (str_eq(argv[1], "tasklet-sleep") || str_eq(argv[1], "tasklet-kill-self")) {
    tasklet_setup(&crash_tasklet,
                  str_eq(argv[1], "tasklet-sleep") ? sleepy_tasklet_fn : self_killing_tasklet_fn);
    kprintf("timercrash: scheduling %s\n", argv[1]);
    tasklet_schedule(&crash_tasklet);
    wait_ticks(3);
    kprintf("timercrash: no panic\n");
    return 1;
  } else if (str_eq(argv[1], "del-sync-irq")) {
    timer_setup(&crash_timer, sleepy_timer_fn, 0);  // never fires: synced from a routine
    mod_timer(&crash_timer, jiffies + 1000);
    INIT_TQUEUE(&irq_task, irq_syncing_routine, nullptr);
    kprintf("timercrash: del_timer_sync from a task-queue routine\n");
    queue_task(&irq_task, &tq_timer);
    wait_ticks(3);
    del_timer_sync(&crash_timer);
    kprintf("timercrash: no panic\n");
    return 1;
  } else {
    return shell_usage("timercrash");
  }
  kprintf("timercrash: arming %s for the next tick\n", argv[1]);
  mod_timer(&crash_timer, jiffies + 1);
  wait_ticks(3);
  del_timer_sync(&crash_timer);
  kprintf("timercrash: no panic\n");
  return 1;
}

}  // namespace

SHELL_COMMAND(timercrash, "sleep|del-sync-self|del-sync-irq|tasklet-sleep|tasklet-kill-self",
              "misuse a kernel timer or tasklet on purpose (panics, naming the function)",
              cmd_timercrash);

}  // namespace quartz
