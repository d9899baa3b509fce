// Linux 2.4's keventd: boot of the thread that runs schedule_task's tasks (the C API is
// in quartz/workqueue.h).
#pragma once

namespace quartz {
// Boot, after sched_init: starts the thread "keventd".
void keventd_init();
}  // namespace quartz
