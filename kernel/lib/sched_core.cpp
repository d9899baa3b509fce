// Names of the thread states, for ps and /proc/threads.
#include "kernel/lib/sched_core.h"

namespace quartz {
const char* thread_state_name(ThreadState s) {
  switch (s) {
    case ThreadState::Runnable:
      return "runnable";
    case ThreadState::Running:
      return "running";
    case ThreadState::Blocked:
      return "sleeping";
    case ThreadState::Dead:
      return "dead";
  }
  return "?";
}
}  // namespace quartz
