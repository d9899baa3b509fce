// Kernel timers: the guard-free list surgery, debug-objects checks, views and fault
// messages shared by every TimerCore<Guard, Hooks> instantiation. Every function here runs
// with the caller's guard held (interrupts off in the kernel); see timer_core.h.
#include "kernel/lib/timer_core.h"

#include "kernel/lib/format.h"

namespace quartz {
namespace timer_detail {
namespace {

constexpr unsigned long kSlabPoison = static_cast<unsigned long>(0x6b6b6b6b6b6b6b6bULL);
constexpr unsigned long kStateBits =
    TIMER_STATE_PENDING | TIMER_STATE_BATCH | TIMER_STATE_SHUTDOWN | TIMER_STATE_TOLD;

bool fail(TimerFault* fault, TimerFaultKind kind, const char* op, const timer_list* t,
          std::uintptr_t a, std::uintptr_t b) {
  *fault = TimerFault{kind, op, t, fn_addr(t), a, b};
  return false;
}

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

timer_list*& head_of(TimerBase& b, const timer_list* t) {
  return (t->tl_state & TIMER_STATE_BATCH) ? b.batch : b.head;
}
timer_list*& tail_of(TimerBase& b, const timer_list* t) {
  return (t->tl_state & TIMER_STATE_BATCH) ? b.batch_tail : b.tail;
}

}  // namespace

bool check_timer(const timer_list* t, const char* op, TimerFault* fault) {
  const unsigned long magic = t->tl_magic;
  if (magic == TIMER_MAGIC_FREED || magic == kSlabPoison ||
      magic == static_cast<unsigned long>(0x6b6b6b6bUL)) {
    return fail(fault, TimerFaultKind::UseAfterFree, op, t, magic, 0);
  }
  if (magic != TIMER_MAGIC_NONE && magic != TIMER_MAGIC_IDLE && magic != TIMER_MAGIC_PENDING) {
    return fail(fault, TimerFaultKind::BadMagic, op, t, magic, 0);
  }
  const unsigned long state = t->tl_state;
  if (state & ~kStateBits) return fail(fault, TimerFaultKind::BadState, op, t, state, magic);
  const bool pending = (state & TIMER_STATE_PENDING) != 0;
  if (pending != (magic == TIMER_MAGIC_PENDING) || (!pending && (state & TIMER_STATE_BATCH))) {
    return fail(fault, TimerFaultKind::BadState, op, t, state, magic);
  }
  // Never used (all-zero, a static timer): nothing else may be set.
  if (magic == TIMER_MAGIC_NONE && state) {
    return fail(fault, TimerFaultKind::BadState, op, t, state, magic);
  }
  if (!pending && (t->tl_next || t->tl_prev)) {
    return fail(fault, TimerFaultKind::BadLink, op, t, addr(t->tl_next), addr(t->tl_prev));
  }
  return true;
}

bool check_links(const TimerBase& cb, const timer_list* t, const char* op, TimerFault* fault) {
  auto& b = const_cast<TimerBase&>(cb);
  const timer_list* prev = t->tl_prev;
  const timer_list* next = t->tl_next;
  const bool prev_ok = prev ? prev->tl_next == t : head_of(b, t) == t;
  const bool next_ok = next ? next->tl_prev == t : tail_of(b, t) == t;
  if (prev_ok && next_ok) return true;
  return fail(fault, TimerFaultKind::BadLink, op, t, addr(next), addr(prev));
}

void update_next(TimerBase& b, unsigned long now) {
  __atomic_store_n(&b.next, b.head ? b.head->expires : now + kTimerIdleHorizon, __ATOMIC_RELAXED);
}

void link_sorted(TimerBase& b, timer_list* t) {
  // From the tail: a timer armed for later than all others (the usual case, a periodic
  // one) is linked in one step. After every timer with an expiry <= its own: FIFO.
  timer_list* after = b.tail;
  while (after && before(t->expires, after->expires)) after = after->tl_prev;
  t->tl_prev = after;
  t->tl_next = after ? after->tl_next : b.head;
  if (t->tl_next)
    t->tl_next->tl_prev = t;
  else
    b.tail = t;
  if (after)
    after->tl_next = t;
  else
    b.head = t;
  t->tl_state = (t->tl_state & ~TIMER_STATE_BATCH) | TIMER_STATE_PENDING;
  t->tl_magic = TIMER_MAGIC_PENDING;
  ++b.armed;
  if (b.head == t) __atomic_store_n(&b.next, t->expires, __ATOMIC_RELAXED);
}

void unlink(TimerBase& b, timer_list* t) {
  timer_list*& head = head_of(b, t);
  timer_list*& tail = tail_of(b, t);
  if (t->tl_prev)
    t->tl_prev->tl_next = t->tl_next;
  else
    head = t->tl_next;
  if (t->tl_next)
    t->tl_next->tl_prev = t->tl_prev;
  else
    tail = t->tl_prev;
  t->tl_next = t->tl_prev = nullptr;
  t->tl_state &= ~(TIMER_STATE_PENDING | TIMER_STATE_BATCH);
  t->tl_magic = TIMER_MAGIC_IDLE;
  --b.armed;
}

unsigned long take_due(TimerBase& b, unsigned long now) {
  // The list is sorted: the due timers are a prefix. Appended to the batch (it is
  // empty here: a run takes a new batch only once the last is done).
  unsigned long n = 0;
  timer_list* last = nullptr;
  for (timer_list* t = b.head; t && !before(now, t->expires); t = t->tl_next) {
    t->tl_state |= TIMER_STATE_BATCH;
    last = t;
    ++n;
  }
  if (!n) return 0;
  timer_list* first = b.head;
  b.head = last->tl_next;
  if (b.head)
    b.head->tl_prev = nullptr;
  else
    b.tail = nullptr;
  last->tl_next = nullptr;
  first->tl_prev = b.batch_tail;
  if (b.batch_tail)
    b.batch_tail->tl_next = first;
  else
    b.batch = first;
  b.batch_tail = last;
  update_next(b, now);
  return n;
}

unsigned long drop_corrupt_head(TimerBase& b, TimerFault* fault) {
  timer_list* bad = b.batch;
  *fault =
      TimerFault{TimerFaultKind::CorruptInRun, "run_timers", bad, fn_addr(bad), bad->tl_magic, 0};
  // Walk back from the batch's tail (its link is in the base) to the timer whose
  // predecessor is the bad one; stop at a second bad timer (what lies between is lost).
  timer_list* t = b.batch_tail;
  timer_list* from = nullptr;
  unsigned long lost = 0;
  while (t && t != bad) {
    if (t->tl_magic != TIMER_MAGIC_PENDING || !(t->tl_state & TIMER_STATE_BATCH) ||
        (from && t->tl_next != from)) {
      t = nullptr;  // a second bad timer: restart after it
      break;
    }
    if (t->tl_prev == bad) break;
    from = t;
    t = t->tl_prev;
  }
  timer_list* rest = (t && t != bad) ? t : from;
  // Count what is lost: everything armed but neither in the list nor the rest.
  unsigned long kept = 0;
  for (timer_list* k = rest; k; k = k->tl_next) ++kept;
  unsigned long listed = 0;
  for (timer_list* k = b.head; k; k = k->tl_next) ++listed;
  lost = b.armed - kept - listed;
  b.armed = kept + listed;
  b.batch = rest;
  if (rest)
    rest->tl_prev = nullptr;
  else
    b.batch_tail = nullptr;
  fault->b = lost;
  return lost;
}

std::size_t scan_range(const TimerBase& b, std::uintptr_t lo, std::uintptr_t hi, TimerRangeFn fn,
                       void* ctx) {
  std::size_t hits = 0;
  auto in = [&](std::uintptr_t a) { return a >= lo && a < hi; };
  const timer_list* lists[2] = {b.batch, b.head};
  for (const timer_list* list : lists) {
    for (const timer_list* t = list; t; t = t->tl_next) {
      unsigned what = (in(addr(t)) ? unsigned(kTimerHitTimer) : 0u) |
                      (in(fn_addr(t)) ? unsigned(kTimerHitFunction) : 0u);
      if (!what) continue;
      ++hits;
      if (fn) fn(ctx, TimerRangeHit{t, fn_addr(t), t->expires, what});
    }
  }
  if (const timer_list* r = load_running(b)) {
    const auto f = reinterpret_cast<std::uintptr_t>(b.running_fn);
    if (in(addr(r)) || in(f)) {
      ++hits;
      if (fn) fn(ctx, TimerRangeHit{r, f, 0, kTimerHitRunning});
    }
  }
  return hits;
}

std::size_t copy_timers(const TimerBase& b, TimerInfo* out, std::size_t cap) {
  std::size_t n = 0;
  const timer_list* lists[2] = {b.batch, b.head};
  for (const timer_list* list : lists) {
    for (const timer_list* t = list; t && n < cap; t = t->tl_next) {
      out[n++] = TimerInfo{
          t, t->expires, fn_addr(t), t->data, (t->flags & TIMER_DATA_FORM) != 0, list == b.batch};
    }
  }
  return n;
}

int format_timer_line(const TimerInfo& i, unsigned long now, const char* fn_name, char* buf,
                      std::size_t size) {
  char fn_buf[24];
  if (!fn_name) {
    snformat(fn_buf, sizeof fn_buf, "%p", reinterpret_cast<void*>(i.function));
    fn_name = fn_buf;
  }
  const long in = long(i.expires - now);
  char data[40] = "";
  if (i.data_form) snformat(data, sizeof data, " data=%#lx", i.data);
  return snformat(buf, size, "  %p expires %lu (%s%ld) %s%s%s", static_cast<const void*>(i.timer),
                  i.expires, in >= 0 ? "+" : "", in, fn_name, data, i.due ? " [running now]" : "");
}

int format_stats_line(const TimerStats& s, unsigned long now, char* buf, std::size_t size) {
  return snformat(
      buf, size, "timers: %lu armed, %lu fired in %lu runs, %lu delayed, jiffies %lu, next %lu%s",
      s.armed, s.fired, s.runs, s.delayed, now, s.next, s.running_fn ? ", a function running" : "");
}

}  // namespace timer_detail

const char* timer_fault_kind_name(TimerFaultKind kind) {
  switch (kind) {
    case TimerFaultKind::NullPointer:
      return "NullPointer";
    case TimerFaultKind::UseAfterFree:
      return "UseAfterFree";
    case TimerFaultKind::BadMagic:
      return "BadMagic";
    case TimerFaultKind::BadState:
      return "BadState";
    case TimerFaultKind::BadLink:
      return "BadLink";
    case TimerFaultKind::AddPending:
      return "AddPending";
    case TimerFaultKind::NoFunction:
      return "NoFunction";
    case TimerFaultKind::OwnFunction:
      return "OwnFunction";
    case TimerFaultKind::SyncInInterrupt:
      return "SyncInInterrupt";
    case TimerFaultKind::FreeActive:
      return "FreeActive";
    case TimerFaultKind::FreeRunning:
      return "FreeRunning";
    case TimerFaultKind::SetupPending:
      return "SetupPending";
    case TimerFaultKind::Shutdown:
      return "Shutdown";
    case TimerFaultKind::CorruptInRun:
      return "CorruptInRun";
  }
  return "?";
}

int format_timer_fault(const TimerFault& f, const char* function_name, char* buf,
                       std::size_t size) {
  char fn_buf[24];
  const char* fn = function_name;
  if (!fn) {
    snformat(fn_buf, sizeof fn_buf, "%p", reinterpret_cast<void*>(f.function));
    fn = fn_buf;
  }
  const char* op = f.op ? f.op : "timer";
  const void* t = f.timer;
  const unsigned long a = static_cast<unsigned long>(f.a);
  const unsigned long b = static_cast<unsigned long>(f.b);
  switch (f.kind) {
    case TimerFaultKind::NullPointer:
      return snformat(buf, size, "%s: null timer", op);
    case TimerFaultKind::UseAfterFree:
      return snformat(buf, size,
                      "%s: timer %p (function %s) was freed (debug state %#lx): use after free", op,
                      t, fn, a);
    case TimerFaultKind::BadMagic:
      return snformat(buf, size,
                      "%s: timer %p (function %s) is uninitialised or corrupted (debug state "
                      "%#lx): use timer_setup or init_timer first",
                      op, t, fn, a);
    case TimerFaultKind::BadState:
      return snformat(buf, size,
                      "%s: timer %p (function %s) is corrupted: state %#lx disagrees with debug "
                      "state %#lx",
                      op, t, fn, a, b);
    case TimerFaultKind::BadLink:
      return snformat(buf, size,
                      "%s: timer %p (function %s) has corrupted links (next %#lx, prev %#lx)", op,
                      t, fn, a, b);
    case TimerFaultKind::AddPending:
      return snformat(buf, size,
                      "%s: timer %p (function %s) is already armed (expires %lu): use mod_timer",
                      op, t, fn, a);
    case TimerFaultKind::NoFunction:
      return snformat(buf, size, "%s: timer %p has no function", op, t);
    case TimerFaultKind::OwnFunction:
      return snformat(buf, size, "%s called from its own timer function %s (timer %p): deadlock",
                      op, fn, t);
    case TimerFaultKind::SyncInInterrupt:
      return snformat(buf, size,
                      "%s of timer %p (function %s) called from interrupt context: it may wait "
                      "for the function and interrupt context cannot wait",
                      op, t, fn);
    case TimerFaultKind::FreeActive:
      return snformat(buf, size,
                      "%s: free of an active timer %p (function %s, expires %lu): it was disarmed",
                      op, t, fn, a);
    case TimerFaultKind::FreeRunning:
      return snformat(buf, size, "%s: free of timer %p while its function %s is running", op, t,
                      fn);
    case TimerFaultKind::SetupPending:
      return snformat(buf, size,
                      "%s: timer %p (function %s) is armed (expires %lu): disarmed, then "
                      "initialised",
                      op, t, fn, a);
    case TimerFaultKind::Shutdown:
      return snformat(buf, size,
                      "%s: timer %p (function %s) was shut down (timer_shutdown_sync): arming "
                      "refused (said once)",
                      op, t, fn);
    case TimerFaultKind::CorruptInRun:
      return snformat(buf, size,
                      "%s: timer %p (function %s) was overwritten while armed (debug state "
                      "%#lx); dropped, %lu more lost with it",
                      op, t, fn, a, b);
  }
  return snformat(buf, size, "%s: timer %p: unknown fault", op, t);
}

}  // namespace quartz
