// Linux 2.4's keventd: boot of the thread that runs schedule_task's tasks (the C API is
// in quartz/workqueue.h).
#pragma once

namespace quartz {
// Boot, after sched_init: starts the thread "keventd". schedule_task works before it
// (the task waits on tq_context for it).
void keventd_init();
}  // namespace quartz
