// Execution-context rules: what may sleep and what may not. Interrupt handlers and
// task-queue routines (which run in the tick's bottom half) must never sleep.
#pragma once

namespace quartz {
// Every function that can block calls this first. From an interrupt handler or a
// task-queue routine it panics, naming the routine's symbol, instead of hanging.
void might_sleep(const char* what);
}  // namespace quartz

extern "C" {
// Waits at least `ms` milliseconds. Thread context only (might_sleep).
void msleep(unsigned int ms);
}
