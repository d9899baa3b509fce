// Tasklets: the guard-free list surgery, debug-objects checks, after-kill records, views
// and fault messages shared by every TaskletCore<Guard, Hooks> instantiation. Every
// function here runs with the caller's guard held; see tasklet_core.h.
#include "kernel/lib/tasklet_core.h"

#include "kernel/lib/format.h"

namespace quartz {
namespace tasklet_detail {
namespace {

constexpr unsigned long kSlabPoison = static_cast<unsigned long>(0x6b6b6b6b6b6b6b6bULL);
constexpr unsigned long kStateBits = TASKLET_STATE_SCHED | TASKLET_STATE_HI | TASKLET_STATE_KILLED |
                                     TASKLET_STATE_AFTER_KILL | TASKLET_STATE_BATCH;

bool fail(TaskletFault* fault, TaskletFaultKind kind, const char* op, const tasklet_struct* t,
          std::uintptr_t a, std::uintptr_t b) {
  *fault = TaskletFault{kind, op, t, fn_addr(t), a, b};
  return false;
}
std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

}  // namespace

bool check_tasklet(const tasklet_struct* t, const char* op, TaskletFault* fault) {
  const unsigned long magic = t->tl_magic;
  if (magic == TASKLET_MAGIC_FREED || magic == kSlabPoison ||
      magic == static_cast<unsigned long>(0x6b6b6b6bUL)) {
    return fail(fault, TaskletFaultKind::UseAfterFree, op, t, magic, 0);
  }
  if (magic != TASKLET_MAGIC_NONE && magic != TASKLET_MAGIC_IDLE && magic != TASKLET_MAGIC_SCHED) {
    return fail(fault, TaskletFaultKind::BadMagic, op, t, magic, 0);
  }
  const unsigned long state = t->state;
  const bool sched = (state & TASKLET_STATE_SCHED) != 0;
  if ((state & ~kStateBits) || sched != (magic == TASKLET_MAGIC_SCHED) ||
      (!sched && (state & (TASKLET_STATE_HI | TASKLET_STATE_BATCH))) || t->count < 0 ||
      (magic == TASKLET_MAGIC_NONE && state)) {
    return fail(fault, TaskletFaultKind::BadState, op, t, state, magic);
  }
  if (!sched && (t->next || t->tl_prev)) {
    return fail(fault, TaskletFaultKind::BadLink, op, t, addr(t->next), addr(t->tl_prev));
  }
  return true;
}

TaskletList& list_of(TaskletBase& b, const tasklet_struct* t) {
  if (t->state & TASKLET_STATE_BATCH) return b.batch;
  return (t->state & TASKLET_STATE_HI) ? b.hi : b.normal;
}

bool check_links(const TaskletBase& cb, const tasklet_struct* t, const char* op,
                 TaskletFault* fault) {
  auto& l = list_of(const_cast<TaskletBase&>(cb), t);
  const bool prev_ok = t->tl_prev ? t->tl_prev->next == t : l.head == t;
  const bool next_ok = t->next ? t->next->tl_prev == t : l.tail == t;
  if (prev_ok && next_ok) return true;
  return fail(fault, TaskletFaultKind::BadLink, op, t, addr(t->next), addr(t->tl_prev));
}

void link_tail(TaskletList& l, tasklet_struct* t) {
  t->next = nullptr;
  t->tl_prev = l.tail;
  if (l.tail)
    l.tail->next = t;
  else
    l.head = t;
  l.tail = t;
}

void unlink(TaskletList& l, tasklet_struct* t) {
  if (t->tl_prev)
    t->tl_prev->next = t->next;
  else
    l.head = t->next;
  if (t->next)
    t->next->tl_prev = t->tl_prev;
  else
    l.tail = t->tl_prev;
  t->next = t->tl_prev = nullptr;
}

void forget_after_kill(TaskletBase& b, const tasklet_struct* t) {
  for (std::size_t i = 0; i < kTaskletAfterKillMax; ++i) {
    if (b.after_kill[i] == t) {
      b.after_kill[i] = nullptr;
      b.after_kill_fn[i] = 0;
      --b.after_kill_count;
    }
  }
}

void record_after_kill(TaskletBase& b, const tasklet_struct* t) {
  std::size_t free_slot = kTaskletAfterKillMax;
  for (std::size_t i = 0; i < kTaskletAfterKillMax; ++i) {
    if (b.after_kill[i] == t) {
      b.after_kill_fn[i] = fn_addr(t);
      return;
    }
    if (!b.after_kill[i] && free_slot == kTaskletAfterKillMax) free_slot = i;
  }
  if (free_slot == kTaskletAfterKillMax) {
    ++b.after_kill_lost;
    return;
  }
  b.after_kill[free_slot] = t;
  b.after_kill_fn[free_slot] = fn_addr(t);
  ++b.after_kill_count;
}

unsigned long drop_corrupt_head(TaskletBase& b, TaskletFault* fault) {
  tasklet_struct* bad = b.batch.head;
  if (!bad || bad->tl_magic == TASKLET_MAGIC_SCHED) return 0;
  *fault = TaskletFault{
      TaskletFaultKind::CorruptInRun, "run_tasklets", bad, fn_addr(bad), bad->tl_magic, 0};
  // As for timers: from the batch's tail (its link is in the base) back to the tasklet
  // whose predecessor is the bad one; a second bad one ends the walk.
  tasklet_struct* t = b.batch.tail;
  tasklet_struct* from = nullptr;
  while (t && t != bad) {
    if (t->tl_magic != TASKLET_MAGIC_SCHED || !(t->state & TASKLET_STATE_BATCH) ||
        (from && t->next != from)) {
      t = nullptr;
      break;
    }
    if (t->tl_prev == bad) break;
    from = t;
    t = t->tl_prev;
  }
  tasklet_struct* rest = (t && t != bad) ? t : from;
  unsigned long kept = 0;
  for (tasklet_struct* k = rest; k; k = k->next) ++kept;
  unsigned long listed = 0;
  for (tasklet_struct* k = b.hi.head; k; k = k->next) ++listed;
  for (tasklet_struct* k = b.normal.head; k; k = k->next) ++listed;
  const unsigned long lost = b.scheduled - kept - listed;
  b.scheduled = kept + listed;
  b.batch.head = rest;
  if (rest)
    rest->tl_prev = nullptr;
  else
    b.batch.tail = nullptr;
  fault->b = lost - 1;  // besides the bad one
  return lost;
}

std::size_t scan_range(const TaskletBase& b, std::uintptr_t lo, std::uintptr_t hi,
                       TaskletRangeFn fn, void* ctx) {
  auto in = [&](std::uintptr_t a) { return a >= lo && a < hi; };
  std::size_t hits = 0;
  const TaskletList* lists[3] = {&b.batch, &b.hi, &b.normal};
  for (const TaskletList* l : lists) {
    for (const tasklet_struct* t = l->head; t; t = t->next) {
      const unsigned what = (in(addr(t)) ? unsigned(kTaskletHitTasklet) : 0u) |
                            (in(fn_addr(t)) ? unsigned(kTaskletHitFunction) : 0u);
      if (!what) continue;
      ++hits;
      if (fn) fn(ctx, TaskletRangeHit{t, fn_addr(t), what});
    }
  }
  if (const tasklet_struct* r = load_running(b)) {
    if (in(addr(r)) || in(b.running_fn)) {
      ++hits;
      if (fn) fn(ctx, TaskletRangeHit{r, b.running_fn, kTaskletHitRunning});
    }
  }
  for (std::size_t i = 0; i < kTaskletAfterKillMax; ++i) {
    const tasklet_struct* t = b.after_kill[i];
    if (t && (in(addr(t)) || in(b.after_kill_fn[i]))) {
      ++hits;
      if (fn) fn(ctx, TaskletRangeHit{t, b.after_kill_fn[i], kTaskletHitAfterKill});
    }
  }
  return hits;
}

std::size_t copy_tasklets(const TaskletBase& b, TaskletInfo* out, std::size_t cap) {
  std::size_t n = 0;
  const TaskletList* lists[3] = {&b.batch, &b.hi, &b.normal};
  for (const TaskletList* l : lists) {
    for (const tasklet_struct* t = l->head; t && n < cap; t = t->next)
      out[n++] = TaskletInfo{t, fn_addr(t), t->count, (t->state & TASKLET_STATE_HI) != 0,
                             t->use_callback != 0};
  }
  return n;
}

int format_tasklet_line(const TaskletInfo& i, const char* fn_name, char* buf, std::size_t size) {
  char fn_buf[24];
  if (!fn_name) {
    snformat(fn_buf, sizeof fn_buf, "%p", reinterpret_cast<void*>(i.function));
    fn_name = fn_buf;
  }
  char disabled[32] = "";
  if (i.count) snformat(disabled, sizeof disabled, " disabled %d", i.count);
  return snformat(buf, size, "  %p %s%s %s%s", static_cast<const void*>(i.tasklet),
                  i.hi ? "hi " : "", i.use_callback ? "callback" : "func", fn_name, disabled);
}

int format_stats_line(const TaskletStats& s, char* buf, std::size_t size) {
  return snformat(buf, size, "tasklets: %lu scheduled, %lu run in %lu runs, %lu delayed%s",
                  s.scheduled, s.ran, s.runs, s.delayed,
                  s.running_fn ? ", a function running" : "");
}

}  // namespace tasklet_detail

const char* tasklet_fault_kind_name(TaskletFaultKind kind) {
  switch (kind) {
    case TaskletFaultKind::NullPointer:
      return "NullPointer";
    case TaskletFaultKind::UseAfterFree:
      return "UseAfterFree";
    case TaskletFaultKind::BadMagic:
      return "BadMagic";
    case TaskletFaultKind::BadState:
      return "BadState";
    case TaskletFaultKind::BadLink:
      return "BadLink";
    case TaskletFaultKind::NoFunction:
      return "NoFunction";
    case TaskletFaultKind::KillInInterrupt:
      return "KillInInterrupt";
    case TaskletFaultKind::KillDisabled:
      return "KillDisabled";
    case TaskletFaultKind::Unbalanced:
      return "Unbalanced";
    case TaskletFaultKind::FreeScheduled:
      return "FreeScheduled";
    case TaskletFaultKind::FreeRunning:
      return "FreeRunning";
    case TaskletFaultKind::SetupScheduled:
      return "SetupScheduled";
    case TaskletFaultKind::ScheduledAfterKill:
      return "ScheduledAfterKill";
    case TaskletFaultKind::CorruptInRun:
      return "CorruptInRun";
  }
  return "?";
}

int format_tasklet_fault(const TaskletFault& f, const char* function_name, char* buf,
                         std::size_t size) {
  char fn_buf[24];
  const char* fn = function_name;
  if (!fn) {
    snformat(fn_buf, sizeof fn_buf, "%p", reinterpret_cast<void*>(f.function));
    fn = fn_buf;
  }
  const char* op = f.op ? f.op : "tasklet";
  const void* t = f.tasklet;
  const unsigned long a = static_cast<unsigned long>(f.a);
  const unsigned long b = static_cast<unsigned long>(f.b);
  switch (f.kind) {
    case TaskletFaultKind::NullPointer:
      return snformat(buf, size, "%s: null tasklet", op);
    case TaskletFaultKind::UseAfterFree:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) was freed (debug state %#lx): use after free",
                      op, t, fn, a);
    case TaskletFaultKind::BadMagic:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) is uninitialised or corrupted (debug state "
                      "%#lx): use tasklet_setup, tasklet_init or DECLARE_TASKLET first",
                      op, t, fn, a);
    case TaskletFaultKind::BadState:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) is corrupted: state %#lx disagrees with "
                      "debug state %#lx",
                      op, t, fn, a, b);
    case TaskletFaultKind::BadLink:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) has corrupted links (next %#lx, prev %#lx)", op,
                      t, fn, a, b);
    case TaskletFaultKind::NoFunction:
      return snformat(buf, size, "%s: tasklet %p has no function", op, t);
    case TaskletFaultKind::KillInInterrupt:
      return snformat(buf, size,
                      "tasklet_kill of tasklet %p (function %s) called from interrupt context: "
                      "it may wait for the tasklet and interrupt context cannot wait",
                      t, fn);
    case TaskletFaultKind::KillDisabled:
      return snformat(buf, size,
                      "tasklet_kill: tasklet %p (function %s) is scheduled but disabled (count "
                      "%lu): it would never run; taken off instead of waiting forever",
                      t, fn, a);
    case TaskletFaultKind::Unbalanced:
      return snformat(buf, size,
                      "tasklet_enable: tasklet %p (function %s) is not disabled: unbalanced "
                      "enable ignored",
                      t, fn);
    case TaskletFaultKind::FreeScheduled:
      return snformat(buf, size,
                      "%s: free of a scheduled tasklet %p (function %s): it was taken off", op, t,
                      fn);
    case TaskletFaultKind::FreeRunning:
      return snformat(buf, size, "%s: free of tasklet %p while its function %s is running", op, t,
                      fn);
    case TaskletFaultKind::SetupScheduled:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) is scheduled: taken off, then initialised", op,
                      t, fn);
    case TaskletFaultKind::ScheduledAfterKill:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) scheduled again after tasklet_kill: it runs "
                      "(as in Linux), but whatever schedules it should have been stopped first",
                      op, t, fn);
    case TaskletFaultKind::CorruptInRun:
      return snformat(buf, size,
                      "%s: tasklet %p (function %s) was overwritten while scheduled (debug state "
                      "%#lx); dropped, %lu more lost with it",
                      op, t, fn, a, b);
  }
  return snformat(buf, size, "%s: tasklet %p: unknown fault", op, t);
}

}  // namespace quartz
