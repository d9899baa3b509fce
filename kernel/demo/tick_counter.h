// A kernel task that counts ticks by requeuing itself on tq_timer (the guide's sched.c
// routine, in the kernel): shared by the `tqdemo` demo and the task-queue self-tests.
#pragma once
#include "kernel/timer.h"
#include <quartz/tqueue.h>

namespace quartz {
// ---- a self-requeuing task: the guide's sched.c routine, in the kernel ----
struct Counter {
  tq_struct task;
  volatile unsigned long count;
  volatile unsigned long first_jiffies, last_jiffies;
  volatile bool stop;
  volatile unsigned long seen[8];
};

inline void counting_routine(void* data) {
  auto* c = static_cast<Counter*>(data);
  if (c->count == 0) c->first_jiffies = jiffies;
  c->last_jiffies = jiffies;
  if (c->count < 8) c->seen[c->count] = jiffies;
  c->count = c->count + 1;
  if (!c->stop) queue_task(&c->task, &tq_timer);
}

inline void start_counter(Counter& c) {
  c = Counter{};
  c.task.routine = counting_routine;
  c.task.data = &c;
  queue_task(&c.task, &tq_timer);
}
}  // namespace quartz
