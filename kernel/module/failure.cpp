// A module whose code faulted: marked failed, detached from the kernel (its tasks and
// /proc files taken away) from the fault path, never run again.
#include "kernel/compat/compat.h"
#include "kernel/ktasklet.h"
#include "kernel/ktimer.h"
#include "kernel/module/internal.h"
#include <new>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/pmm.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/trace.h"

namespace quartz {
namespace mod {
// ---- failure ----
// Marks m failed and takes away what could call into it: its /proc files now, and (from
// a thread) its queued tasks. Interrupts off or on.
void detach(module* m) {
  InterruptDisabler guard;
  mod_mark_failed(m->life);
  proc_remove_matching(m, m->text_addr, m->end());
  tq_cancel_in_range(m->text_addr, m->end());
  linux22_tq_cancel_in_range(m->text_addr, m->end());
  timer_disarm_in_range(m->text_addr, m->end());
  tasklet_drop_in_range(m->text_addr, m->end());
}

// The fault path: if the faulting code is a module's, or a module's code is among the
// callers (a module passed a bad pointer to the kernel), that module is marked failed.
// Interrupts off; must not sleep.
module* blame(const InterruptFrame& f) {
  module* found = module_at(f.eip);
  if (!found)
    walk_frames(
        f.ebp,
        [](void* ctx, uintptr_t ret) {
          *static_cast<module**>(ctx) = module_at(ret);
          return *static_cast<module**>(ctx) == nullptr;  // stop at the first module
        },
        &found);
  return found;
}
void on_fault(const InterruptFrame& f) {
  if (mutex_release_after_fault(&module_mutex))
    kprintf("modules: the module lock was released after a fault under it\n");
  module* m = blame(f);
  if (!m || m->life.state == ModState::Failed) return;
  detach(m);
  kprintf(
      "module %s faulted: marked failed; its /proc files are removed and its code is never "
      "run again (rmmod %s frees it once nothing points in)\n",
      m->name, m->name);
}
}  // namespace mod
}  // namespace quartz
