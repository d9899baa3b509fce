// Kernel tracing: trace points that cost one flag test while tracing is off, a ring of
// timestamped events (kernel/lib/trace_ring.h), and the `trace` shell command that dumps
// it as Chrome trace-event JSON (for Perfetto or chrome://tracing).
//
// Contract: trace() from any context. The interrupt's exit (kernel/irq.h) and the tq_timer
// drain take a separate traced variant when tracing is on, so the untraced hot paths carry
// no trace points beyond the one flag test of the interrupt's entry.
#pragma once
#include <cstdint>
#include "kernel/lib/trace_ring.h"

namespace quartz {
extern volatile bool g_trace_enabled;
void trace_event(TraceType type, uint32_t a, uint32_t b);
inline void trace(TraceType type, uint32_t a, uint32_t b = 0) {
  if (g_trace_enabled) [[unlikely]]
    trace_event(type, a, b);
}
template <class T>
inline uint32_t trace_ptr(T* p) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
}
void trace_init();
// A copy of s that lives forever: names of modules, wait queues and task queues are
// copied when an event is recorded, since the module they live in may be gone by the
// dump. Any context.
const char* trace_intern(const char* s);
}  // namespace quartz
