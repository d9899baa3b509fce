// The lost wakeup of sleep_on, made to happen: the guide's unload protocol run with the
// tick placed exactly between "flag set" and "asleep on the queue". Used by the
// `lostwakeup` demo and by the scheduler self-tests.
#pragma once
#include "kernel/lib/sched_core.h"

namespace quartz {
// Runs the protocol once, with sleep_on (use_wait_event false: only the watchdog gets it
// out) or wait_event (returns at once). narrate: say each step. Returns how it woke.
WakeReason run_lost_wakeup(bool use_wait_event, bool narrate);
}  // namespace quartz
