// Execution-context rules: what may sleep and what may not. Interrupt handlers and
// task-queue routines (which run in the tick's bottom half) must never sleep.
#pragma once

namespace quartz {
// Every function that can block calls this first with its own name and its caller's
// return address. From an interrupt handler or a task-queue routine it panics, naming
// the routine (or the caller), instead of hanging the machine.
void might_sleep(const char* what, const void* caller);
}  // namespace quartz

extern "C" {
// Sleeps at least `ms` milliseconds (rounded up to ticks; every unsigned int value, up to
// 49.7 days, is slept in full). Thread context only.
void msleep(unsigned int ms);
}
