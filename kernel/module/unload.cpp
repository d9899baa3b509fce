// rmmod's phases: the decision, waiting for readers, cleanup_module and destructors,
// and the check before freeing (registries, other modules' data, threads' call chains).
#include "kernel/module/internal.h"
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include <new>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/compat/compat.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/kheap.h"
#include "kernel/ktasklet.h"
#include "kernel/ktimer.h"
#include "kernel/lib/kstring.h"
#include "kernel/pmm.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/trace.h"
#include "kernel/workqueue.h"

namespace quartz {
namespace mod {
// ---- what still points into a module ----
struct LeftoverCtx {
  const module* m;
  int count;
};

[[maybe_unused]] void report_task(void* vctx, const TqRangeHit& hit) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  if (hit.what & kTqHitQueue) {
    kprintf("  %s: its task queue %s still has %lu task%s or a drain in progress\n", ctx->m->name,
            hit.queue && hit.queue->name ? hit.queue->name : "?", hit.queue ? hit.queue->queued : 0,
            hit.queue && hit.queue->queued == 1 ? "" : "s");
    return;
  }
  kprintf("  %s: %s %p on %s (routine ", ctx->m->name,
          (hit.what & kTqHitRunning) ? "running task" : "queued task",
          static_cast<const void*>(hit.task), hit.queue && hit.queue->name ? hit.queue->name : "?");
  print_target(reinterpret_cast<uintptr_t>(hit.routine));
  kprintf(")\n");
}

// A work item of the module still pending or running, or a workqueue it created and did
// not destroy: the worker would run freed code, or a queue would outlive its owner.
[[maybe_unused]] void report_work(void* vctx, const wq::RangeHit& hit) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  if (hit.what & wq::kHitQueue) {
    const unsigned long n = hit.wq->queued + hit.wq->delayed;
    kprintf("  %s: its workqueue %s was not destroyed (%lu item%s pending)\n", ctx->m->name,
            hit.wq->name, n, n == 1 ? "" : "s");
    return;
  }
  kprintf("  %s: %s work item %p on %s (function ", ctx->m->name,
          (hit.what & wq::kHitRunning) ? "running"
          : hit.delayed                ? "delayed (timer armed)"
                                       : "pending",
          static_cast<const void*>(hit.work), hit.wq->name);
  print_target(reinterpret_cast<uintptr_t>(hit.func));
  kprintf(")\n");
}

[[maybe_unused]] void report_thread(void* vctx, const Thread& t) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  kprintf("  %s: thread %s sleeps on wait queue %s in the module\n", ctx->m->name, t.name,
          t.sched.waiting_on && t.sched.waiting_on->name ? t.sched.waiting_on->name : "?");
}

[[maybe_unused]] void report_proc(void* vctx, const char* name) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  kprintf("  %s: /proc/%s is still registered\n", ctx->m->name, name);
}

// Armed timers in the module (timer or function there) and a timer function of the
// module running right now: the bottom half would call into freed memory.
void report_timer(void* vctx, const TimerRangeHit& hit) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  if (hit.what & kTimerHitRunning) {
    kprintf("  %s: timer %p is running its function ", ctx->m->name,
            static_cast<const void*>(hit.timer));
    print_target(hit.function);
    kprintf("\n");
    return;
  }
  kprintf("  %s: armed timer %p (function ", ctx->m->name, static_cast<const void*>(hit.timer));
  print_target(hit.function);
  kprintf(", expires %lu, jiffies %lu)\n", hit.expires, jiffies);
}
// Scheduled or running tasklets of the module (tasklet or function there), and those
// scheduled again after their tasklet_kill (quartz/interrupt.h).
void report_tasklet(void* vctx, const TaskletRangeHit& hit) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  const void* t = hit.tasklet;
  if (hit.what & kTaskletHitRunning) {
    kprintf("  %s: tasklet %p is running its function ", ctx->m->name, t);
    print_target(hit.function);
    kprintf("\n");
  } else if (hit.what & kTaskletHitAfterKill) {
    kprintf("  %s: tasklet %p (function ", ctx->m->name, t);
    print_target(hit.function);
    kprintf(") was scheduled again after tasklet_kill: stop what schedules it, then kill it\n");
  } else {
    kprintf("  %s: scheduled tasklet %p (function ", ctx->m->name, t);
    print_target(hit.function);
    kprintf(")\n");
  }
}
int deferred_leftovers(module* m) {
  LeftoverCtx ctx{m, 0};
  timer_find_in_range(m->text_addr, m->end(), report_timer, &ctx);
  tasklet_find_in_range(m->text_addr, m->end(), report_tasklet, &ctx);
  return ctx.count;
}

// What the <linux/...> emulation (kernel/compat/) holds of m: Linux 2.2 tasks on 2.2's
// tq_timer, a 2.2 routine of m running, threads asleep on a 2.2 wait queue in m. (Its
// /proc entries are Quartz's, owned by m: registry_leftovers finds them.)
void report_task22(void* vctx, const void* task, uintptr_t routine, bool running) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  if (running)
    kprintf("  %s: Linux 2.2 task routine running (", ctx->m->name);
  else
    kprintf("  %s: queued Linux 2.2 task %p on tq_timer (routine ", ctx->m->name, task);
  print_target(routine);
  kprintf(")\n");
}
int compat_leftovers(module* m) {
  LeftoverCtx ctx{m, 0};
  linux22_tq_find_in_range(m->text_addr, m->end(), report_task22, &ctx);
  linux22_waiters_in_range(m->text_addr, m->end(), report_thread, &ctx);
  return ctx.count;
}

// What init_module left behind is taken away: its queued tasks (collected, then
// cancelled: a routine running elsewhere is waited for), its /proc files.
void undo_init(module* m) {
  const uintptr_t lo = m->text_addr, hi = m->end();
  for (int round = 0; round < 8; ++round) {
    tq_struct* tasks[16];
    const size_t n = tq_collect_in_range(lo, hi, kTqHitTask | kTqHitRoutine, tasks,
                                         sizeof tasks / sizeof tasks[0]);
    if (!n) break;
    for (size_t i = 0; i < n; ++i) {
      kprintf("  %s: undoing a task its init_module left queued\n", m->name);
      cancel_task_sync(tasks[i]);
    }
  }
  wq_undo_in_range(lo, hi, m->name);  // its work items cancelled, its workqueues torn down
  if (const size_t n = tasklet_drop_in_range(lo, hi))
    kprintf("  %s: took off %u tasklet%s its init_module left scheduled\n", m->name, unsigned(n),
            n == 1 ? "" : "s");
  if (const size_t n = linux22_tq_cancel_in_range(lo, hi))
    kprintf("  %s: took %u Linux 2.2 task%s its init_module left queued off tq_timer\n", m->name,
            unsigned(n), n == 1 ? "" : "s");
  if (const size_t n = timer_disarm_in_range(lo, hi))
    kprintf("  %s: disarmed %u timer%s its init_module left armed\n", m->name, unsigned(n),
            n == 1 ? "" : "s");
  if (const int n = proc_remove_matching(m, lo, hi))
    kprintf("  %s: removed %d /proc file%s its init_module left behind\n", m->name, n,
            n == 1 ? "" : "s");
}

// Pointers into m held by the data of another loaded module (a hook registered with a
// provider): the provider would call into freed memory later. Module lock.
struct PointerCtx {
  const module* m;
  const module* holder;
  int count;
};
void report_pointer(void* vctx, size_t offset, uint32_t value) {
  auto* c = static_cast<PointerCtx*>(vctx);
  ++c->count;
  kprintf("  %s: module %s holds a pointer to ", c->m->name, c->holder->name);
  print_target(value);
  kprintf(" at ");
  print_target(c->holder->data_addr + offset);
  kprintf("\n");
}
int pointers_from_other_modules(const module* m) {
  PointerCtx c{m, nullptr, 0};
  for (const module& other : loaded) {
    if (&other == m || !other.data_size) continue;
    c.holder = &other;
    mod_scan_words(reinterpret_cast<const void*>(other.data_addr), other.data_size,
                   uint32_t(m->text_addr), uint32_t(m->end()), report_pointer, &c);
  }
  return c.count;
}

// What the kernel's own registries still hold of m: queued or running tasks, threads
// sleeping on its wait queues, /proc entries. Returns how many, printing each.
int registry_leftovers(module* m) {
  [[maybe_unused]] const uintptr_t lo = m->text_addr, hi = m->end();
  // LAB(5) BEGIN: count and report what still points into [lo, hi): task-queue entries (tq_find_in_range), sleeping threads, /proc entries
  LeftoverCtx ctx{m, 0};
  tq_find_in_range(lo, hi, report_task, &ctx);
  wq_find_in_range(lo, hi, report_work, &ctx);
  threads_waiting_in_range(lo, hi, report_thread, &ctx);
  proc_find(m, lo, hi, report_proc, &ctx);
  return ctx.count;
  // LAB(5) STUB: return 0;
  // LAB(5) END
}

// Threads whose call chain is inside the module right now (a thread running a hook the
// module registered elsewhere, preempted in the middle of it).
void report_running(void* vctx, const Thread& t, uintptr_t addr) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  kprintf("  %s: thread %s is executing in the module (", ctx->m->name, t.name);
  print_target(addr);
  kprintf(")\n");
}
int threads_inside(module* m) {
  LeftoverCtx ctx{m, 0};
  threads_executing_in_range(m->text_addr, m->text_addr + m->text_exec_size, report_running, &ctx);
  return ctx.count;
}

// Returns how many things still point into m, printing each. Module lock.
int check_leftovers(module* m) {
  return registry_leftovers(m) + deferred_leftovers(m) + compat_leftovers(m) +
         pointers_from_other_modules(m) + threads_inside(m);
}

// ---- unload ----
int active_of(module* m) {
  InterruptDisabler guard;
  return m->life.active;
}

void print_users(const char* name, const module* m) {
  kprintf("rmmod: %s is in use by", name);
  for (module& u : loaded)
    for (int d = 0; d < u.ndeps; ++d)
      if (u.deps[d] == m) kprintf(" %s", u.name);
  kprintf("\n");
}

int unload(const char* name, int flags) {
  module* m;
  UnloadVerdict verdict;
  {
    ModuleLockGuard lock;
    m = find_loaded(name);
    if (!m) {
      kprintf("rmmod: %s is not loaded\n", name);
      return -ENOENT;
    }
    if (state_of(m) == ModState::Live && !m->cleanup) {
      kprintf("rmmod: %s has no cleanup_module: it cannot be unloaded\n", name);
      return -EBUSY;
    }
    {
      InterruptDisabler guard;
      verdict = mod_begin_unload(m->life);
    }
    if (verdict == UnloadVerdict::UsedByModules) {
      print_users(name, m);
      return -EWOULDBLOCK;
    }
    if (verdict == UnloadVerdict::Busy) {
      kprintf("rmmod: %s: an insmod or rmmod of it is in progress (%s)\n", name,
              mod_state_name(state_of(m)));
      return -EBUSY;
    }
  }
  // Not under the module lock from here to the check: other modules load and unload.
  const char* tname = trace_intern(name);
  unsigned long took = 0;
  // LAB(6) BEGIN: with O_NONBLOCK in flags, a module with readers inside (active_of) is refused at once: abort the unload, say so, return -EWOULDBLOCK
  if (verdict == UnloadVerdict::Start && (flags & O_NONBLOCK) && active_of(m) != 0) {
    // Linux's delete_module with O_NONBLOCK: a module in use is refused at once.
    const int readers = active_of(m);
    {
      InterruptDisabler guard;
      mod_abort_unload(m->life);
    }
    kprintf("rmmod: %s is in use: %d reader%s of its /proc files; it stays live\n", name, readers,
            readers == 1 ? "" : "s");
    return -EWOULDBLOCK;
  }
  // LAB(6) STUB: (void)flags;
  // LAB(6) END
  if (verdict == UnloadVerdict::Start) {
    // No new reader enters a Going module; wait for those inside (a /proc read).
    const long left =
        wait_event_timeout(m->unload_wq, active_of(m) == 0, kReaderWaitSeconds * timer_hz());
    if (left == 0) {
      const int readers = active_of(m);
      {
        InterruptDisabler guard;
        mod_abort_unload(m->life);
      }
      kprintf(
          "rmmod: %s is in use: %d reader%s of its /proc files did not finish within %u s; "
          "it stays live\n",
          name, readers, readers == 1 ? "" : "s", kReaderWaitSeconds);
      return -EBUSY;
    }
    trace(TraceType::Module, trace_ptr(tname), kModCleanup);
    const unsigned long start = jiffies;
    // Blocks this thread until the module's protocol says it is done.
    sched_cleanup_race(current_thread(), m->name);  // cleanup_race=1 only
    const bool ok =
        fault_call_recoverable(run_cleanup, m) && fault_call_recoverable(run_destructors, m);
    sched_cleanup_race(nullptr, nullptr);
    took = jiffies - start;
    {
      InterruptDisabler guard;
      m->life.cleaned = true;
    }
    if (!ok) {
      detach(m);
      set_not_busy(m);
      kprintf(
          "rmmod: %s: cleanup_module faulted; the module is marked failed (rmmod %s again "
          "frees it once nothing points in)\n",
          name, name);
      return -EBUSY;
    }
    trace(TraceType::Module, trace_ptr(tname), kModGoing);
  }
  // A failed module's code never runs again: what it left is taken away from here.
  if (verdict == UnloadVerdict::FreeFailed) undo_init(m);
  // Beyond Linux 2.2: the kernel itself checks that nothing still points in.
  ModuleLockGuard lock;
  const int left = check_leftovers(m);
  if (left) {
    set_not_busy(m);
    kprintf(
        "rmmod: %s: not freed: %d reference%s into its memory remain%s; it stays '%s' "
        "(rmmod %s again to re-check)\n",
        name, left, left == 1 ? "" : "s", left == 1 ? "s" : "", mod_state_name(state_of(m)), name);
    return -EBUSY;
  }
  trace(TraceType::Module, trace_ptr(tname), kModFree);
  const bool failed = verdict == UnloadVerdict::FreeFailed;
  free_module(m);
  if (failed)
    kprintf("%s: freed (it had failed; its cleanup_module was not run)\n", name);
  else
    kprintf("%s: unloaded (cleanup_module took %lu tick%s)\n", name, took, took == 1 ? "" : "s");
  return 0;
}
}  // namespace mod
}  // namespace quartz
