// Kernel time: HZ, the jiffies tick counter, and the IRQ 0 handler that advances it.
#pragma once
#include <cstdint>

extern "C" volatile unsigned long jiffies;  // ticks since boot; wraps like Linux's

namespace quartz {
uint32_t timer_hz();
// rdtsc at the start of the latest tick's handler (for latency measurements).
extern volatile uint64_t g_tick_tsc;
// Programs the PIT and installs the IRQ 0 handler. Boot, interrupts off.
void timer_init(uint32_t hz);
// Returns false (changing nothing) if hz is outside [pit::kMinHz, pit::kMaxHz].
bool timer_set_hz(long long hz);
// Waits, halting between ticks, until jiffies has moved n times. Thread context.
void wait_ticks(unsigned long n);
}  // namespace quartz
