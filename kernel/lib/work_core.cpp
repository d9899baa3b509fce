// The workqueue state machine of work_core.h: lists, tickets, checks, reports, views.
#include "kernel/lib/work_core.h"

#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

namespace quartz {
namespace wq {
namespace {

constexpr unsigned long kSlabPoison = ~0UL / 0xff * 0x6b;  // kfree's 0x6b in every byte
constexpr unsigned long kKnownFlagBits =
    WORK_FLAG_PENDING | WORK_FLAG_DELAYED | WORK_FLAG_DATA_FORM | WORK_FLAG_CANCEL_MASK;

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

bool fail(Fault* f, FaultKind kind, const char* op, const work_struct* w, std::uintptr_t a) {
  *f = Fault{kind, op, w, nullptr, nullptr, a, 0};
  return false;
}

bool in_range(std::uintptr_t p, std::uintptr_t lo, std::uintptr_t hi) { return p >= lo && p < hi; }

void unlink(work_struct* w) {
  workqueue_struct* q = w->wk_wq;
  if (w->wk_flags & WORK_FLAG_DELAYED) {
    if (w->wk_prev)
      w->wk_prev->wk_next = w->wk_next;
    else
      q->delayed_head = w->wk_next;
    if (w->wk_next) w->wk_next->wk_prev = w->wk_prev;
    --q->delayed;
  } else {
    if (w->wk_prev)
      w->wk_prev->wk_next = w->wk_next;
    else
      q->head = w->wk_next;
    if (w->wk_next)
      w->wk_next->wk_prev = w->wk_prev;
    else
      q->tail = w->wk_prev;
    --q->queued;
  }
  w->wk_next = w->wk_prev = nullptr;
  w->wk_wq = nullptr;
  w->wk_flags &= ~(WORK_FLAG_PENDING | WORK_FLAG_DELAYED);
  w->wk_magic = WORK_MAGIC_IDLE;
  --*q->active;
}

void link_tail(workqueue_struct* q, work_struct* w) {
  w->wk_next = nullptr;
  w->wk_prev = q->tail;
  if (q->tail)
    q->tail->wk_next = w;
  else
    q->head = w;
  q->tail = w;
  w->wk_wq = q;
  w->wk_seq = q->next_seq++;
  ++q->queued;
  if (q->queued > q->max_depth) q->max_depth = q->queued;
}

// The common checks of queue() and queue_delayed(): 1 go on, 0 refuse quietly, -1 fault.
int admit(const Registry& reg, workqueue_struct* q, work_struct* w, std::uintptr_t from_ctx,
          const char* op, Fault* fault) {
  if (!w || !q) {
    *fault = Fault{FaultKind::NullPointer, op, w, nullptr, q, 0, 0};
    return -1;
  }
  if (!is_live(reg, q)) {
    *fault = Fault{FaultKind::BadQueue, op, w, nullptr, q, 0, 0};
    return -1;
  }
  if (!check_work(w, op, fault)) return -1;
  if (w->wk_flags & (WORK_FLAG_PENDING | WORK_FLAG_CANCEL_MASK)) return 0;
  if (q->draining && from_ctx != q->worker_ctx) {
    *fault = Fault{FaultKind::Draining, op, w, w->func, q, 0, 0};
    ++q->refused;
    return -1;
  }
  return 1;
}

}  // namespace

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::NullPointer:
      return "null pointer";
    case FaultKind::Uninitialised:
      return "uninitialised work item";
    case FaultKind::UseAfterFree:
      return "use after free";
    case FaultKind::BadMagic:
      return "corrupted work item";
    case FaultKind::BadState:
      return "inconsistent work item";
    case FaultKind::BadLink:
      return "corrupted links";
    case FaultKind::BadQueue:
      return "not a live workqueue";
    case FaultKind::Reinitialised:
      return "re-initialised while pending";
    case FaultKind::CancelSelf:
      return "cancel from its own function";
    case FaultKind::FlushSelf:
      return "flush from its own worker";
    case FaultKind::FlushOwnQueue:
      return "flush of its own queue";
    case FaultKind::FreeActive:
      return "free of an active work item";
    case FaultKind::FreeRunning:
      return "free of a running work item";
    case FaultKind::Draining:
      return "queue_work on a queue being destroyed";
    case FaultKind::DrainLimit:
      return "destroy_workqueue cannot drain";
  }
  return "?";
}

int format_fault(const Fault& f, const char* func_name, char* buf, std::size_t size) {
  char fbuf[24];
  const char* fn = func_name;
  if (!fn) {
    snformat(fbuf, sizeof fbuf, "%p", reinterpret_cast<void*>(f.func));
    fn = fbuf;
  }
  const char* op = f.op ? f.op : "workqueue";
  const void* w = f.work;
  const char* qn = f.wq ? f.wq->name : "(none)";
  const unsigned long a = static_cast<unsigned long>(f.a);
  switch (f.kind) {
    case FaultKind::NullPointer:
      return snformat(buf, size, "%s: null %s", op, f.work ? "workqueue" : "work item");
    case FaultKind::Uninitialised:
      return snformat(buf, size,
                      "%s: work item %p is not initialised (INIT_WORK or DECLARE_WORK first); "
                      "refused",
                      op, w);
    case FaultKind::UseAfterFree:
      return snformat(buf, size, "%s: work item %p was freed (debug state %#lx): use after free",
                      op, w, a);
    case FaultKind::BadMagic:
      return snformat(buf, size, "%s: work item %p is corrupted (debug state %#lx); refused", op, w,
                      a);
    case FaultKind::BadState:
      return snformat(buf, size, "%s: work item %p is corrupted (flags %#lx); refused", op, w, a);
    case FaultKind::BadLink:
      return snformat(buf, size, "%s: work item %p has corrupted links; refused", op, w);
    case FaultKind::BadQueue:
      return snformat(buf, size, "%s: %p is not a live workqueue (destroyed or freed); refused", op,
                      static_cast<const void*>(f.wq));
    case FaultKind::Reinitialised:
      return snformat(buf, size,
                      "%s: work item %p on %s was re-initialised or overwritten while pending "
                      "(debug state %#lx); dropped, and %lu item%s behind it",
                      op, w, qn, a, static_cast<unsigned long>(f.b), f.b == 1 ? "" : "s");
    case FaultKind::CancelSelf:
      return snformat(buf, size,
                      "%s called from the work's own function %s (work %p on %s): deadlock", op, fn,
                      w, qn);
    case FaultKind::FlushSelf:
      return snformat(buf, size,
                      "%s of work %p (function %s) from %s's own worker, which must run it: "
                      "deadlock",
                      op, w, fn, qn);
    case FaultKind::FlushOwnQueue:
      return snformat(buf, size,
                      "%s(%s) called from work function %s running on that queue: deadlock", op, qn,
                      fn);
    case FaultKind::FreeActive:
      return snformat(buf, size,
                      "%s: free of an active work item %p (function %s, pending on %s): taken off "
                      "its queue",
                      op, w, fn, qn);
    case FaultKind::FreeRunning:
      return snformat(buf, size, "%s: free of a running work item %p (function %s, running on %s)",
                      op, w, fn, qn);
    case FaultKind::Draining:
      return snformat(buf, size,
                      "%s: %s is being destroyed: work %p (function %s) refused (only its own "
                      "work items may queue while it drains)",
                      op, qn, w, fn);
    case FaultKind::DrainLimit:
      return snformat(buf, size,
                      "destroy_workqueue(%s): still busy after %d flushes (work %s requeues "
                      "itself): %lu item%s cancelled",
                      qn, kDrainRounds, fn, a, a == 1 ? "" : "s");
  }
  return snformat(buf, size, "%s: workqueue fault", op);
}

void init_queue(Registry& reg, workqueue_struct* q, const char* name, unsigned flags,
                int max_active, std::uintptr_t owner) {
  *q = workqueue_struct{};
  str_copy(q->name, name ? name : "", sizeof q->name);
  q->flags = flags;
  q->max_active = max_active;
  q->owner = owner;
  q->magic = kWqMagicLive;
  q->registered = true;
  q->active = &reg.active;
  workqueue_struct** p = &reg.head;
  while (*p) p = &(*p)->next_wq;
  *p = q;
}

void set_worker(workqueue_struct* q, std::uintptr_t worker_ctx) { q->worker_ctx = worker_ctx; }

bool is_live(const Registry& reg, const workqueue_struct* q) {
  for (const workqueue_struct* p = reg.head; p; p = p->next_wq)
    if (p == q) return q->magic == kWqMagicLive;
  return false;
}

void forget_queue(Registry& reg, workqueue_struct* q) {
  for (workqueue_struct** p = &reg.head; *p; p = &(*p)->next_wq) {
    if (*p == q) {
      *p = q->next_wq;
      break;
    }
  }
  q->next_wq = nullptr;
  q->registered = false;
  q->magic = kWqMagicDead;
}

bool check_work(const work_struct* w, const char* op, Fault* f) {
  const unsigned long magic = w->wk_magic;
  if (magic == WORK_MAGIC_FREED || magic == kSlabPoison)
    return fail(f, FaultKind::UseAfterFree, op, w, magic);
  if (magic == WORK_MAGIC_NONE) return fail(f, FaultKind::Uninitialised, op, w, 0);
  if (magic != WORK_MAGIC_IDLE && magic != WORK_MAGIC_PENDING)
    return fail(f, FaultKind::BadMagic, op, w, magic);
  const unsigned long flags = w->wk_flags;
  const bool pending = (flags & WORK_FLAG_PENDING) != 0;
  if ((flags & ~kKnownFlagBits) || pending != (magic == WORK_MAGIC_PENDING) ||
      (!pending && (flags & WORK_FLAG_DELAYED)))
    return fail(f, FaultKind::BadState, op, w, flags);
  if (!pending) {
    if (w->wk_next || w->wk_prev || w->wk_wq) return fail(f, FaultKind::BadLink, op, w, 0);
    return true;
  }
  const workqueue_struct* q = w->wk_wq;
  if (!q || q->magic != kWqMagicLive) return fail(f, FaultKind::BadLink, op, w, 0);
  const bool delayed = (flags & WORK_FLAG_DELAYED) != 0;
  const bool prev_ok =
      w->wk_prev ? w->wk_prev->wk_next == w : (delayed ? q->delayed_head == w : q->head == w);
  const bool next_ok = w->wk_next ? w->wk_next->wk_prev == w : (delayed || q->tail == w);
  if (!prev_ok || !next_ok) return fail(f, FaultKind::BadLink, op, w, 0);
  return true;
}

int queue(const Registry& reg, workqueue_struct* q, work_struct* w, std::uintptr_t from_ctx,
          Fault* fault) {
  const int r = admit(reg, q, w, from_ctx, "queue_work", fault);
  if (r <= 0) return r;
  link_tail(q, w);
  w->wk_flags |= WORK_FLAG_PENDING;
  w->wk_magic = WORK_MAGIC_PENDING;
  ++q->total_queued;
  ++*q->active;
  return 1;
}

int queue_delayed(const Registry& reg, workqueue_struct* q, work_struct* w, std::uintptr_t from_ctx,
                  Fault* fault) {
  const int r = admit(reg, q, w, from_ctx, "queue_delayed_work", fault);
  if (r <= 0) return r;
  w->wk_prev = nullptr;
  w->wk_next = q->delayed_head;
  if (q->delayed_head) q->delayed_head->wk_prev = w;
  q->delayed_head = w;
  ++q->delayed;
  w->wk_wq = q;
  w->wk_flags |= WORK_FLAG_PENDING | WORK_FLAG_DELAYED;
  w->wk_magic = WORK_MAGIC_PENDING;
  ++q->total_queued;
  ++*q->active;
  return 1;
}

bool fire(work_struct* w) {
  if (w->wk_magic != WORK_MAGIC_PENDING || !(w->wk_flags & WORK_FLAG_DELAYED)) return false;
  workqueue_struct* q = w->wk_wq;
  if (w->wk_prev)
    w->wk_prev->wk_next = w->wk_next;
  else
    q->delayed_head = w->wk_next;
  if (w->wk_next) w->wk_next->wk_prev = w->wk_prev;
  --q->delayed;
  w->wk_flags &= ~WORK_FLAG_DELAYED;
  link_tail(q, w);
  return true;
}

bool take_delayed(work_struct* w) {
  if (!(w->wk_flags & WORK_FLAG_PENDING) || !(w->wk_flags & WORK_FLAG_DELAYED)) return false;
  unlink(w);
  return true;
}

bool take_pending(work_struct* w, bool* was_delayed) {
  *was_delayed = (w->wk_flags & WORK_FLAG_DELAYED) != 0;
  if (!(w->wk_flags & WORK_FLAG_PENDING)) return false;
  unlink(w);
  return true;
}

const workqueue_struct* running_on(const Registry& reg, const work_struct* w) {
  for (const workqueue_struct* q = reg.head; q; q = q->next_wq)
    if (q->running && q->current == w) return q;
  return nullptr;
}

Claim claim(const Registry& reg, workqueue_struct* q, Claimed* out, Fault* fault) {
  work_struct* w = q->head;
  if (!w) return Claim::None;
  if (w->wk_magic != WORK_MAGIC_PENDING || w->wk_wq != q || !(w->wk_flags & WORK_FLAG_PENDING) ||
      (w->wk_flags & WORK_FLAG_DELAYED)) {
    // The head was re-initialised, freed or overwritten while pending: its links cannot
    // be trusted. Walk back from the tail through sound items to the one after it.
    const unsigned long magic = w->wk_magic;
    work_struct* first = nullptr;  // new head
    unsigned long kept = 0;
    for (work_struct* x = q->tail; x && x != w && kept < q->queued; x = x->wk_prev) {
      if (x->wk_magic != WORK_MAGIC_PENDING || x->wk_wq != q) break;
      first = x;
      ++kept;
    }
    const unsigned long lost = q->queued > kept + 1 ? q->queued - 1 - kept : 0;
    if (first) {
      first->wk_prev = nullptr;
      q->head = first;
    } else {
      q->head = q->tail = nullptr;
    }
    *q->active -= q->queued - kept;
    q->queued = kept;
    FaultKind kind = FaultKind::Reinitialised;
    if (magic == WORK_MAGIC_FREED || magic == kSlabPoison) kind = FaultKind::UseAfterFree;
    *fault = Fault{kind, "worker", w, nullptr, q, magic, lost};
    return Claim::Corrupt;
  }
  if (const workqueue_struct* other = running_on(reg, w)) {
    out->work = w;
    out->func = w->func;
    out->busy_on = other;
    return Claim::Busy;
  }
  const unsigned long seq = w->wk_seq;
  out->work = w;
  out->func = w->func;
  out->busy_on = nullptr;
  // Read now: the item's memory is not touched after the claim (its function may free it).
  out->data_form = (w->wk_flags & WORK_FLAG_DATA_FORM) != 0;
  out->arg = out->data_form ? reinterpret_cast<DataFormWork*>(w)->data : static_cast<void*>(w);
  q->current_func = w->func;
  unlink(w);
  ++*q->active;  // running
  q->current = w;
  q->current_seq = seq;
  q->running = true;
  return Claim::Ok;
}

void finish(workqueue_struct* q) {
  if (q->running) --*q->active;
  q->running = false;
  q->current = nullptr;
  q->current_func = nullptr;
  ++q->items_run;
}

bool worker_has_work(const workqueue_struct* q) { return q->head || q->stopping; }

CancelBegin cancel_begin(const Registry& reg, work_struct* w, std::uintptr_t ctx, const char* op,
                         Fault* fault) {
  CancelBegin r{false, false, false};
  if (!w) {
    *fault = Fault{FaultKind::NullPointer, op, nullptr, nullptr, nullptr, 0, 0};
    r.refused = true;
    return r;
  }
  if (!check_work(w, op, fault)) {
    r.refused = true;
    return r;
  }
  if (const workqueue_struct* q = running_on(reg, w); q && q->worker_ctx == ctx) {
    *fault = Fault{FaultKind::CancelSelf, op, w, q->current_func, q, 0, 0};
    r.refused = true;
    return r;
  }
  r.was_pending = take_pending(w, &r.was_delayed);
  w->wk_flags += WORK_FLAG_CANCEL_ONE;
  return r;
}

void cancel_end(work_struct* w) {
  if (w->wk_flags & WORK_FLAG_CANCEL_MASK) w->wk_flags -= WORK_FLAG_CANCEL_ONE;
}

unsigned long low_water(const workqueue_struct* q) {
  if (q->running) return q->current_seq;
  if (q->head) return q->head->wk_seq;
  return q->next_seq;
}

FlushTarget flush_work_target(const Registry& reg, const work_struct* w, std::uintptr_t ctx,
                              Fault* fault) {
  FlushTarget t{nullptr, 0, false};
  if (!w) {
    *fault = Fault{FaultKind::NullPointer, "flush_work", nullptr, nullptr, nullptr, 0, 0};
    t.refused = true;
    return t;
  }
  if (!check_work(w, "flush_work", fault)) {
    t.refused = true;
    return t;
  }
  if ((w->wk_flags & WORK_FLAG_PENDING) && !(w->wk_flags & WORK_FLAG_DELAYED)) {
    t.wq = w->wk_wq;
    t.seq = w->wk_seq + 1;
  } else if (const workqueue_struct* q = running_on(reg, w)) {
    t.wq = q;
    t.seq = q->current_seq + 1;
  }
  if (t.wq && t.wq->worker_ctx == ctx) {
    *fault = Fault{FaultKind::FlushSelf, "flush_work", w, w->func, t.wq, 0, 0};
    t.wq = nullptr;
    t.refused = true;
  }
  return t;
}

FlushTarget flush_queue_target(workqueue_struct* q, std::uintptr_t ctx, const char* op,
                               Fault* fault) {
  if (q->worker_ctx == ctx) {
    *fault = Fault{FaultKind::FlushOwnQueue, op, q->current, q->current_func, q, 0, 0};
    return FlushTarget{nullptr, 0, true};
  }
  return FlushTarget{q, q->next_seq, false};
}

bool begin_drain(workqueue_struct* q, std::uintptr_t ctx, Fault* fault) {
  if (q->worker_ctx == ctx) {
    *fault =
        Fault{FaultKind::FlushOwnQueue, "destroy_workqueue", q->current, q->current_func, q, 0, 0};
    return false;
  }
  q->draining = true;
  return true;
}

bool drained(const workqueue_struct* q) { return !q->head && !q->running; }

std::size_t take_all(workqueue_struct* q, work_struct** out, bool* delayed_out, std::size_t cap) {
  std::size_t n = 0;
  for (;;) {
    work_struct* w = q->head ? q->head : q->delayed_head;
    if (!w) return n;
    bool delayed = false;
    take_pending(w, &delayed);
    if (n < cap) {
      out[n] = w;
      if (delayed_out) delayed_out[n] = delayed;
    }
    ++n;
  }
}

void stop_worker(workqueue_struct* q) { q->stopping = true; }

bool poison(const Registry& reg, work_struct* w, std::uintptr_t ctx, Fault* fault) {
  if (!w) return false;
  if (!check_work(w, "kfree", fault)) return true;
  bool report = false;
  if (w->wk_flags & WORK_FLAG_PENDING) {
    *fault = Fault{FaultKind::FreeActive, "kfree", w, w->func, w->wk_wq, 0, 0};
    bool delayed;
    take_pending(w, &delayed);
    report = true;
  } else if (const workqueue_struct* q = running_on(reg, w); q && q->worker_ctx != ctx) {
    *fault = Fault{FaultKind::FreeRunning, "kfree", w, q->current_func, q, 0, 0};
    report = true;
  }
  w->wk_next = w->wk_prev = nullptr;
  w->wk_wq = nullptr;
  w->wk_flags = 0;
  w->wk_magic = WORK_MAGIC_FREED;
  return report;
}

std::size_t find_in_range(const Registry& reg, std::uintptr_t lo, std::uintptr_t hi, RangeFn fn,
                          void* ctx) {
  std::size_t hits = 0;
  auto hit = [&](const RangeHit& h) {
    ++hits;
    if (fn) fn(ctx, h);
  };
  for (const workqueue_struct* q = reg.head; q; q = q->next_wq) {
    if (in_range(q->owner, lo, hi)) hit(RangeHit{q, nullptr, nullptr, kHitQueue, false});
    for (int list = 0; list < 2; ++list) {
      for (const work_struct* w = list ? q->delayed_head : q->head; w; w = w->wk_next) {
        unsigned what = 0;
        if (in_range(addr(w), lo, hi)) what |= kHitWork;
        if (in_range(addr(reinterpret_cast<void*>(w->func)), lo, hi)) what |= kHitFunc;
        if (what) hit(RangeHit{q, w, w->func, what, list == 1});
      }
    }
    if (q->running && (in_range(addr(q->current), lo, hi) ||
                       in_range(addr(reinterpret_cast<void*>(q->current_func)), lo, hi)))
      hit(RangeHit{q, q->current, q->current_func, kHitRunning, false});
  }
  return hits;
}

QueueInfo queue_info(const workqueue_struct* q) {
  QueueInfo i{};
  str_copy(i.name, q->name, sizeof i.name);
  i.flags = q->flags;
  i.queued = q->queued;
  i.delayed = q->delayed;
  i.total_queued = q->total_queued;
  i.items_run = q->items_run;
  i.max_depth = q->max_depth;
  i.running = q->running ? q->current_func : nullptr;
  i.draining = q->draining;
  return i;
}

std::size_t copy_items(const workqueue_struct* q, ItemInfo* out, std::size_t cap) {
  std::size_t n = 0;
  for (int list = 0; list < 2; ++list)
    for (const work_struct* w = list ? q->delayed_head : q->head; w && n < cap; w = w->wk_next)
      out[n++] = ItemInfo{w, w->func, list == 1};
  return n;
}

}  // namespace wq
}  // namespace quartz
