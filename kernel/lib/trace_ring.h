// The trace ring: a fixed-size, allocation-free buffer of timestamped kernel events that
// interrupt handlers can write into. When full it overwrites the oldest events and
// counts them, so the newest history is always there.
//
// Contract: record() from any context, with any interrupt state: it takes the injected
// Guard (interrupts off) for the few stores of one event. Reading (snapshot) is for the
// shell thread; it copies under the guard, in chunks, oldest first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

enum class TraceType : uint16_t {
  IrqEntry = 1,  // a = vector
  IrqExit,       // a = vector
  Tick,          // a = jiffies
  QueueTask,     // a = task, b = routine
  DrainStart,    // a = queue
  DrainEnd,      // a = queue
  RoutineStart,  // a = routine, b = task
  RoutineEnd,    // a = routine
  WakeUp,        // a = wait queue, b = threads woken
  Sleep,         // a = wait queue, b = thread id
  Switch,        // a = from thread id, b = to thread id
  Module,        // a = module name pointer (copied at dump time), b = TraceModulePhase
  Fault,         // a = vector, b = eip
  Mark,          // a = static string, b = value (free-form, for demos)
  Syscall,       // a = number, b = result (recorded on the way out)
  Fork,          // a = parent pid, b = child pid
  Exec,          // a = pid
  Exit,          // a = pid, b = wait status
  TimerStart,    // a = timer function, b = timer (the traced bottom half only)
  TimerEnd,      // a = timer function
  TaskletStart,  // a = tasklet function, b = tasklet
  TaskletEnd,    // a = tasklet function
  WorkStart,     // a = work function, b = work item (on the worker thread's row)
  WorkEnd,       // a = work function
};

enum TraceModulePhase : uint32_t {
  kModValidate,
  kModAllocate,
  kModResolve,
  kModRelocate,
  kModComing,
  kModInit,
  kModLive,
  kModCleanup,
  kModGoing,
  kModFree,
  kModFailed,
};

struct TraceEvent {
  uint64_t tsc;
  uint32_t a, b;
  TraceType type;
  uint16_t thread;  // id of the thread running (or interrupted) when it happened
};

template <size_t N, class Guard>
class TraceRing {
  static_assert(N && (N & (N - 1)) == 0, "N must be a power of two");

 public:
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }

  void record(uint64_t tsc, TraceType type, uint16_t thread, uint32_t a, uint32_t b) {
    if (!enabled_) return;
    Guard guard;
    TraceEvent& e = events_[head_ & (N - 1)];
    e.tsc = tsc;
    e.a = a;
    e.b = b;
    e.type = type;
    e.thread = thread;
    ++head_;
  }

  void clear() {
    Guard guard;
    head_ = tail_ = 0;
  }

  // Events kept now, and how many were overwritten since the last clear.
  size_t size() const { return size_t(head_ - first()); }
  uint64_t overwritten() const { return first() - tail_; }

  // Copies up to `cap` events starting at index `from` (0 = oldest kept); returns how
  // many were copied. Events recorded meanwhile may push `from` out of the window: the
  // caller sees fewer events, never torn ones.
  size_t copy(size_t from, TraceEvent* out, size_t cap) const {
    Guard guard;
    const uint64_t start = first() + from;
    size_t n = 0;
    for (uint64_t i = start; i < head_ && n < cap; ++i) out[n++] = events_[i & (N - 1)];
    return n;
  }

  static constexpr size_t capacity() { return N; }

 private:
  uint64_t first() const { return head_ - tail_ > N ? head_ - N : tail_; }

  TraceEvent events_[N] = {};
  uint64_t head_ = 0;  // next index to write (monotonic); guarded
  uint64_t tail_ = 0;  // index of the first event since clear()
  volatile bool enabled_ = false;
};

}  // namespace quartz
