// The kernel's workqueues: one worker thread per queue running kernel/lib/work_core's
// items in process context, the C API of quartz/workqueue.h, system_wq, /proc/workqueues,
// the `wq` command, and the checks kfree and the module unloader make.
#include "kernel/workqueue.h"
#include <cstdarg>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/kallsyms.h"
#include "kernel/kheap.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/might_sleep.h"
#include "kernel/panic.h"
#include "kernel/procfs.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/trace.h"
#include "kernel/tq_kernel.h"
#include <quartz/export.h>
#include <quartz/timer.h>
#include <quartz/wait.h>

namespace quartz {
wq::Registry g_wq_registry;  // interrupts off

namespace {

// What the kernel keeps per queue besides the core's state (first, so the pointer a
// module holds converts both ways).
struct KWorkqueue {
  workqueue_struct core;
  wait_queue_head_t more;  // the worker sleeps here: ps shows the queue's name
  Thread* worker;
  char worker_name[16];
  bool exited;  // the worker has returned for good (interrupts off)
};
static_assert(__builtin_offsetof(KWorkqueue, core) == 0);

wq::Registry& registry = g_wq_registry;
// Flush, cancel and destroy wait here, woken after every item of every queue. One for
// all queues: a waiter never sleeps on memory that destroy_workqueue may free.
DECLARE_WAIT_QUEUE_HEAD(wq_flush);
unsigned next_worker_id = 1;  // kworker/0:N, kworker/u:N (0 is system_wq's)

KWorkqueue* kwq(const workqueue_struct* q) {
  return reinterpret_cast<KWorkqueue*>(const_cast<workqueue_struct*>(q));
}

// The caller's identity for the core: its thread at its interrupt level, as for task
// queues (a worker's own calls come from (worker, 0)).
uintptr_t context() {
  return tq_context_of(current_thread(), __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED));
}

// Deadlocks panic, naming the function; everything else is reported once and refused,
// like Linux's debug-objects.
void report(const wq::Fault& f) {
  char name[96];
  const char* fname = nullptr;
  if (f.func) {
    ksyms_describe(reinterpret_cast<uintptr_t>(f.func), name, sizeof name);
    fname = name;
  }
  char msg[256];
  wq::format_fault(f, fname, msg, sizeof msg);
  if (f.kind == wq::FaultKind::CancelSelf || f.kind == wq::FaultKind::FlushSelf ||
      f.kind == wq::FaultKind::FlushOwnQueue)
    panic("%s", msg);
  kprintf("wq: BUG: %s\n", msg);
  if (f.kind != wq::FaultKind::DrainLimit && f.kind != wq::FaultKind::FreeActive)
    print_backtrace(cpu::frame_pointer());
}

bool has_work(KWorkqueue* k) {
  InterruptDisabler guard;
  return wq::worker_has_work(&k->core);
}

struct Call {
  work_func_t func;
  work_struct* work;
  bool data_form;
  void* arg;
};
void call_work(void* arg) {
  auto* c = static_cast<Call*>(arg);
  if (c->data_form)  // Linux 2.6.19's form: func(data) (<linux/workqueue.h>, --linux 2.6)
    reinterpret_cast<void (*)(void*)>(reinterpret_cast<void (*)()>(c->func))(c->arg);
  else
    c->func(c->work);
}

// The worker: sleeps on `more` until there is an item, runs it, wakes wq_flush. Exits when
// destroy_workqueue stops it with nothing left to run.
void worker_main(void* arg) {
  auto* k = static_cast<KWorkqueue*>(arg);
  {
    InterruptDisabler guard;
    wq::set_worker(&k->core, tq_context_of(current_thread(), 0));
  }
  for (;;) {
    wait_event(k->more, has_work(k));
    wq::Claimed cl{};
    wq::Fault f{};
    wq::Claim c;
    bool stop;
    {
      InterruptDisabler guard;
      c = wq::claim(registry, &k->core, &cl, &f);
      stop = k->core.stopping && c == wq::Claim::None;
    }
    if (stop) break;
    if (c == wq::Claim::Corrupt) {
      report(f);
      wake_up(&wq_flush);
    } else if (c == wq::Claim::Busy) {
      sleep_ticks(1);  // the item runs on another worker: non-reentrant, wait for it
    } else if (c == wq::Claim::Ok) {
      // Process context, interrupts on: the function may sleep, lock, allocate. A fault
      // in it ends only this item (the fault path marks a module's code failed).
      Call call{cl.func, cl.work, cl.data_form, cl.arg};
      trace(TraceType::WorkStart, trace_ptr(reinterpret_cast<void*>(cl.func)), trace_ptr(cl.work));
      const bool ran = fault_call_recoverable(call_work, &call);
      trace(TraceType::WorkEnd, trace_ptr(reinterpret_cast<void*>(cl.func)));
      if (!ran) {
        char name[96];
        ksyms_describe(reinterpret_cast<uintptr_t>(cl.func), name, sizeof name);
        kprintf("wq: work function %s faulted on %s; the worker goes on\n", name, k->core.name);
      }
      bool more;
      {
        InterruptDisabler guard;
        wq::finish(&k->core);
        more = k->core.head != nullptr;
      }
      wake_up(&wq_flush);
      // Linux's worker calls cond_resched() between items: with more queued (work that
      // requeues itself), let the threads it woke (a flush, a destroy) run first.
      if (more) thread_yield();
    }
  }
  {
    InterruptDisabler guard;
    k->exited = true;
    k->worker = nullptr;
  }
  wake_up(&wq_flush);  // k may be freed from here on
}

bool is_running(KWorkqueue* k) {
  InterruptDisabler guard;
  return k->core.running;
}
bool worker_exited(KWorkqueue* k) {
  InterruptDisabler guard;
  return k->exited;
}
bool reached(const workqueue_struct* q, unsigned long seq) {
  InterruptDisabler guard;
  return wq::seq_reached(q, seq);
}
bool still_running_on(const work_struct* w, const workqueue_struct* q) {
  InterruptDisabler guard;
  return wq::running_on(registry, w) == q;
}

// The worker's thread name: 2.6's for create_workqueue ("NAME/0") and
// create_singlethread_workqueue ("NAME"), else today's kworker names.
void name_worker(KWorkqueue* k, unsigned flags) {
  if (flags & __WQ_LEGACY) {
    snformat(k->worker_name, sizeof k->worker_name, (flags & __WQ_ORDERED) ? "%s" : "%s/0",
             k->core.name);
  } else {
    unsigned id;
    {
      InterruptDisabler guard;
      id = next_worker_id++;
    }
    snformat(k->worker_name, sizeof k->worker_name, "kworker/%s:%u",
             (flags & WQ_UNBOUND) ? "u" : "0", id);
  }
}

// Starts k's worker thread. False (nothing changed) if there is no thread for it.
bool start_worker(KWorkqueue* k) {
  Thread* t = thread_create(k->worker_name, worker_main, k);
  if (!t) return false;
  InterruptDisabler guard;
  k->worker = t;
  // Known before the worker first runs: a flush from here on can tell it apart.
  wq::set_worker(&k->core, tq_context_of(t, 0));
  return true;
}

workqueue_struct* create(const char* name, unsigned flags, int max_active, uintptr_t owner) {
  auto* k = static_cast<KWorkqueue*>(kzalloc(sizeof(KWorkqueue)));
  if (!k) {
    kprintf("alloc_workqueue(%s): out of memory\n", name);
    return nullptr;
  }
  {
    InterruptDisabler guard;
    wq::init_queue(registry, &k->core, name, flags, max_active, owner);
  }
  __init_waitqueue_head(&k->more, k->core.name);
  name_worker(k, flags);
  if (!start_worker(k)) {
    {
      InterruptDisabler guard;
      wq::forget_queue(registry, &k->core);
    }
    kfree(k);
    kprintf("alloc_workqueue(%s): no thread for its worker\n", name);
    return nullptr;
  }
  return &k->core;
}

// system_wq is static: queue_work on it works from workqueue_init on, before its worker
// runs.
KWorkqueue system_kwq;

bool live(const workqueue_struct* q, const char* op) {
  {
    InterruptDisabler guard;
    if (q && wq::is_live(registry, q)) return true;
  }
  wq::Fault f{
      q ? wq::FaultKind::BadQueue : wq::FaultKind::NullPointer, op, nullptr, nullptr, q, 0, 0};
  if (!q) f.work = reinterpret_cast<const work_struct*>(1);  // "null workqueue"
  report(f);
  return false;
}

// Waits until every item on q queued before the call has run.
void flush_queue(KWorkqueue* k, const char* op) {
  wq::FlushTarget t;
  wq::Fault f{};
  {
    InterruptDisabler guard;
    t = wq::flush_queue_target(&k->core, context(), op, &f);
  }
  if (t.refused) {
    report(f);
    return;
  }
  wait_event(wq_flush, reached(&k->core, t.seq));
}

// Waits until w no longer runs anywhere.
void wait_not_running(const work_struct* w) {
  for (;;) {
    const workqueue_struct* q;
    {
      InterruptDisabler guard;
      q = wq::running_on(registry, w);
    }
    if (!q) return;
    wait_event(wq_flush, !still_running_on(w, q));
  }
}

// Takes every pending item off q, reporting each in one line, and waits for the one
// running. Nothing of q runs after this.
size_t abandon_items(KWorkqueue* k, const char* why) {
  size_t total = 0;
  for (;;) {
    work_struct* items[8];
    bool delayed[8];
    size_t n;
    {
      InterruptDisabler guard;
      n = wq::take_all(&k->core, items, delayed, 8);
    }
    if (!n) break;
    total += n;
    wake_up(&wq_flush);
    for (size_t i = 0; i < n && i < 8; ++i) {
      if (!delayed[i]) continue;
      // Only queue_delayed_work puts items on the delayed list: each is a delayed_work.
      del_timer(&to_delayed_work(items[i])->timer);
      char name[96];
      ksyms_describe(reinterpret_cast<uintptr_t>(items[i]->func), name, sizeof name);
      kprintf("wq: %s: delayed work %s on %s still had its timer armed: cancelled\n", why, name,
              k->core.name);
    }
  }
  wait_event(wq_flush, !is_running(k));
  return total;
}

// Stops the worker (it exits once nothing is left) and frees the queue.
void stop_and_free(KWorkqueue* k) {
  {
    InterruptDisabler guard;
    wq::stop_worker(&k->core);
  }
  wake_up(&k->more);
  wait_event(wq_flush, worker_exited(k));
  {
    InterruptDisabler guard;
    wq::forget_queue(registry, &k->core);
  }
  kfree(k);
}

void show_line(ProcFile* out, const wq::QueueInfo& i, const char* worker) {
  char running[96] = "-";
  if (i.running) ksyms_describe(reinterpret_cast<uintptr_t>(i.running), running, sizeof running);
  proc_printf(out, "%-16s %-15s %6lu %7lu %8lu %8lu  %s%s\n", i.name, worker, i.queued, i.delayed,
              i.total_queued, i.items_run, running, i.draining ? " (draining)" : "");
}

// Every live queue: its worker, pending and delayed items, counts, the function running
// now; then its pending items by function. Copied under the guard, printed after.
void show_workqueues(ProcFile* out, void*) {
  proc_printf(out, "%-16s %-15s %6s %7s %8s %8s  %s\n", "WORKQUEUE", "WORKER", "QUEUED", "DELAYED",
              "TOTAL", "RUN", "RUNNING");
  constexpr size_t kMaxQ = 16, kMaxItems = 16;
  workqueue_struct* qs[kMaxQ];
  size_t nq = 0, more_q = 0;
  {
    InterruptDisabler guard;
    for (workqueue_struct* q = registry.head; q; q = q->next_wq) {
      if (nq < kMaxQ)
        qs[nq++] = q;
      else
        ++more_q;
    }
  }
  for (size_t i = 0; i < nq; ++i) {
    wq::QueueInfo info;
    wq::ItemInfo items[kMaxItems];
    size_t n;
    char worker[16];
    {
      InterruptDisabler guard;
      if (!wq::is_live(registry, qs[i])) continue;  // destroyed since
      info = wq::queue_info(qs[i]);
      n = wq::copy_items(qs[i], items, kMaxItems);
      str_copy(worker, kwq(qs[i])->worker_name, sizeof worker);
    }
    show_line(out, info, worker);
    for (size_t j = 0; j < n; ++j) {
      char fname[96];
      ksyms_describe(reinterpret_cast<uintptr_t>(items[j].func), fname, sizeof fname);
      proc_printf(out, "  %p %s%s\n", static_cast<const void*>(items[j].work), fname,
                  items[j].delayed ? " (timer armed)" : "");
    }
    const unsigned long total = info.queued + info.delayed;
    if (total > n) proc_printf(out, "  ... and %lu more\n", total - n);
  }
  if (more_q) proc_printf(out, "... and %u more workqueues\n", unsigned(more_q));
}

int cmd_wq(int argc, char**) {
  if (argc != 1) return shell_usage("wq");
  return proc_cat("workqueues");
}

}  // namespace

SHELL_COMMAND(wq, "",
              "workqueues: worker thread, pending items (by function), items run, running now",
              cmd_wq);

void workqueue_init() {
  {
    InterruptDisabler guard;
    wq::init_queue(registry, &system_kwq.core, "events", 0, 0, 0);
  }
  __init_waitqueue_head(&system_kwq.more, system_kwq.core.name);
  str_copy(system_kwq.worker_name, "kworker/0:0", sizeof system_kwq.worker_name);
  system_wq = &system_kwq.core;
  proc_create("workqueues", show_workqueues, nullptr, nullptr);
}

void workqueue_start_workers() {
  if (!start_worker(&system_kwq)) panic("workqueue: no thread for system_wq's worker");
}

workqueue_struct* wq_create_for(const char* name, unsigned flags, uintptr_t owner) {
  return create(name, flags, 1, owner);
}

size_t wq_find_in_range(uintptr_t lo, uintptr_t hi, wq::RangeFn fn, void* ctx) {
  InterruptDisabler guard;
  return wq::find_in_range(registry, lo, hi, fn, ctx);
}

namespace {
struct Collect {
  uintptr_t lo, hi;
  unsigned what;
  work_struct* out[8];
  size_t n;
};
void collect_hit(void* vctx, const wq::RangeHit& h) {
  auto* c = static_cast<Collect*>(vctx);
  if (!(h.what & c->what) || !h.work || c->n == 8) return;
  const auto a = reinterpret_cast<uintptr_t>(h.work);
  // kfree: only items whose memory is in the block (a function in it is no free).
  if (c->what == (wq::kHitWork | wq::kHitRunning) && (a < c->lo || a >= c->hi)) return;
  c->out[c->n++] = const_cast<work_struct*>(h.work);
}
}  // namespace

size_t wq_free_items_in_range(uintptr_t lo, uintptr_t hi) {
  if (!wq_any_active()) return 0;
  size_t total = 0;
  for (int round = 0; round < 64; ++round) {
    Collect c{lo, hi, wq::kHitWork | wq::kHitRunning, {}, 0};
    wq::Fault faults[8];
    bool reported[8], delayed[8];
    {
      InterruptDisabler guard;
      wq::find_in_range(registry, lo, hi, collect_hit, &c);
      for (size_t i = 0; i < c.n; ++i) {
        delayed[i] = (c.out[i]->wk_flags & WORK_FLAG_DELAYED) != 0;
        reported[i] = wq::poison(registry, c.out[i], context(), &faults[i]);
      }
    }
    for (size_t i = 0; i < c.n; ++i) {
      if (delayed[i]) del_timer(&to_delayed_work(c.out[i])->timer);  // before the timer's check
      if (reported[i]) report(faults[i]);
    }
    total += c.n;
    if (c.n) wake_up(&wq_flush);  // a flush may have waited for an item taken off
    // A running item stays found until it returns: poisoned once is enough.
    bool pending_left = false;
    for (size_t i = 0; i < c.n; ++i)
      if (faults[i].kind == wq::FaultKind::FreeActive) pending_left = true;
    if (c.n < 8 && !pending_left) break;
    if (c.n == 0) break;
  }
  return total;
}

size_t wq_undo_in_range(uintptr_t lo, uintptr_t hi, const char* who) {
  size_t total = 0;
  // Items first (a module's item may sit on system_wq): cancelled, never run again.
  for (int round = 0; round < 64; ++round) {
    Collect c{lo, hi, wq::kHitWork | wq::kHitFunc, {}, 0};
    {
      InterruptDisabler guard;
      wq::find_in_range(registry, lo, hi, collect_hit, &c);
    }
    if (!c.n) break;
    for (size_t i = 0; i < c.n; ++i) {
      kprintf("  %s: cancelling a work item its init_module left pending\n", who);
      cancel_work_sync(c.out[i]);
    }
    total += c.n;
  }
  // Then its queues: torn down without running what is left on them.
  for (;;) {
    KWorkqueue* k = nullptr;
    {
      InterruptDisabler guard;
      for (workqueue_struct* q = registry.head; q && !k; q = q->next_wq)
        if (q->owner >= lo && q->owner < hi && !q->draining) k = kwq(q);
      if (k) k->core.draining = true;  // nobody else queues on it from here
    }
    if (!k) break;
    const size_t n = abandon_items(k, who);
    kprintf("  %s: destroying workqueue %s its init_module left (%u item%s dropped)\n", who,
            k->core.name, unsigned(n), n == 1 ? "" : "s");
    stop_and_free(k);
    ++total;
  }
  return total;
}

}  // namespace quartz

using namespace quartz;

namespace {
// cancel_work_sync and cancel_delayed_work_sync: take it off (disarming its timer), then
// wait until it runs nowhere; queue_work refuses it meanwhile.
bool cancel_sync(work_struct* w, const char* op) {
  wq::Fault f{};
  wq::CancelBegin cb;
  {
    InterruptDisabler guard;
    cb = wq::cancel_begin(registry, w, context(), op, &f);
  }
  if (cb.refused) {
    report(f);
    return false;
  }
  if (cb.was_delayed) del_timer(&to_delayed_work(w)->timer);
  if (cb.was_pending) wake_up(&wq_flush);
  wait_not_running(w);
  {
    InterruptDisabler guard;
    wq::cancel_end(w);
  }
  return cb.was_pending;
}
// Takes a pending item off (its timer disarmed): Linux's try_to_grab_pending. True if it
// was pending. Never waits.
bool grab_pending(struct delayed_work* dw, const char* op) {
  wq::Fault f{};
  bool was = false, delayed = false, ok;
  {
    InterruptDisabler guard;
    ok = dw && wq::check_work(&dw->work, op, &f);
    if (ok) was = wq::take_pending(&dw->work, &delayed);
  }
  if (!ok) {
    if (!dw) f = wq::Fault{wq::FaultKind::NullPointer, op, nullptr, nullptr, nullptr, 0, 0};
    report(f);
    return false;
  }
  if (delayed) del_timer(&dw->timer);
  if (was) wake_up(&wq_flush);  // a flush may have waited for its ticket
  return was;
}

}  // namespace

extern "C" {

struct workqueue_struct* system_wq = nullptr;

struct workqueue_struct* alloc_workqueue(const char* fmt, unsigned int flags, int max_active, ...) {
  const void* caller = __builtin_return_address(0);
  might_sleep("alloc_workqueue", caller);
  char name[sizeof(workqueue_struct::name)];
  va_list ap;
  va_start(ap, max_active);
  vsnformat(name, sizeof name, fmt ? fmt : "(null)", ap);
  va_end(ap);
  if (flags & ~wq::kKnownFlags) {
    kprintf("alloc_workqueue(%s): unknown flags %#x; refused\n", name, flags & ~wq::kKnownFlags);
    return nullptr;
  }
  if (max_active < 0 || max_active > WQ_MAX_ACTIVE) {
    // Linux's wq_clamp_max_active: a warning, then the nearest valid value.
    const int clamped = max_active < 0 ? 1 : WQ_MAX_ACTIVE;
    kprintf(
        "workqueue: max_active %d requested for %s is out of range, clamping between 1 and %d\n",
        max_active, name, WQ_MAX_ACTIVE);
    max_active = clamped;
  }
  return create(name, flags, max_active, reinterpret_cast<uintptr_t>(caller));
}

void destroy_workqueue(struct workqueue_struct* q) {
  might_sleep("destroy_workqueue", __builtin_return_address(0));
  if (!live(q, "destroy_workqueue")) return;
  if (q == system_wq) {
    kprintf("destroy_workqueue: system_wq belongs to the kernel; refused\n");
    return;
  }
  KWorkqueue* k = kwq(q);
  wq::Fault f{};
  bool ok;
  {
    InterruptDisabler guard;
    ok = wq::begin_drain(q, context(), &f);
  }
  if (!ok) {
    report(f);  // from its own work item: panics
    return;
  }
  // Linux's drain_workqueue: flush until nothing is left; work queued by the queue's own
  // items meanwhile still runs (and is waited for), up to kDrainRounds rounds.
  bool empty = false;
  for (int round = 0; round < wq::kDrainRounds && !empty; ++round) {
    flush_queue(k, "destroy_workqueue");
    InterruptDisabler guard;
    empty = wq::drained(q);
  }
  work_func_t culprit = nullptr;
  {
    InterruptDisabler guard;
    if (q->head) culprit = q->head->func;
  }
  const size_t left = abandon_items(k, "destroy_workqueue");
  if (!empty && left) {
    wq::Fault limit{wq::FaultKind::DrainLimit, "destroy_workqueue", nullptr, culprit, q, left, 0};
    report(limit);
  }
  stop_and_free(k);
}

bool queue_work(struct workqueue_struct* q, struct work_struct* w) {
  wq::Fault f{};
  int r;
  {
    InterruptDisabler guard;
    r = wq::queue(registry, q, w, context(), &f);
  }
  if (r < 0) {
    report(f);
    return false;
  }
  if (r > 0) wake_up(&kwq(q)->more);
  return r > 0;
}

bool schedule_work(struct work_struct* w) { return queue_work(system_wq, w); }

bool cancel_work_sync(struct work_struct* w) {
  might_sleep("cancel_work_sync", __builtin_return_address(0));
  return cancel_sync(w, "cancel_work_sync");
}

bool cancel_delayed_work_sync(struct delayed_work* dw) {
  might_sleep("cancel_delayed_work_sync", __builtin_return_address(0));
  return cancel_sync(dw ? &dw->work : nullptr, "cancel_delayed_work_sync");
}

void delayed_work_timer_fn(struct timer_list* t) {
  delayed_work* dw = from_timer(dw, t, timer);
  workqueue_struct* q;
  bool fired;
  {
    InterruptDisabler guard;
    q = dw->work.wk_wq;
    fired = wq::fire(&dw->work);  // false: cancelled (or moved) since it was armed
  }
  if (fired) wake_up(&kwq(q)->more);
}

bool queue_delayed_work(struct workqueue_struct* q, struct delayed_work* dw, unsigned long delay) {
  return quartz::wq_queue_delayed(q, dw, delay, false);
}
}  // extern "C"

bool quartz::wq_queue_delayed(workqueue_struct* q, delayed_work* dw, unsigned long delay,
                              bool timer_for_zero) {
  if (!dw) return queue_work(q, nullptr);
  if (delay == 0 && !timer_for_zero) return queue_work(q, &dw->work);  // Linux: no timer
  wq::Fault f{};
  int r;
  {
    InterruptDisabler guard;
    r = wq::queue_delayed(registry, q, &dw->work, context(), &f);
  }
  if (r < 0) {
    report(f);
    return false;
  }
  // Armed after the core marked it: a cancel in between finds it pending, and the timer,
  // if it still fires, finds it no longer delayed and does nothing.
  if (r > 0) mod_timer(&dw->timer, jiffies + delay);
  return r > 0;
}

bool quartz::wq_cancel_timer(delayed_work* dw, const char* op) {
  wq::Fault f{};
  bool taken = false, ok;
  {
    InterruptDisabler guard;
    ok = dw && wq::check_work(&dw->work, op, &f);
    if (ok) taken = wq::take_delayed(&dw->work);
  }
  if (!ok) {
    if (!dw) f = wq::Fault{wq::FaultKind::NullPointer, op, nullptr, nullptr, nullptr, 0, 0};
    report(f);
    return false;
  }
  if (taken) del_timer(&dw->timer);
  return taken;
}

extern "C" {

bool schedule_delayed_work(struct delayed_work* dw, unsigned long delay) {
  return queue_delayed_work(system_wq, dw, delay);
}

bool cancel_delayed_work(struct delayed_work* dw) {
  return grab_pending(dw, "cancel_delayed_work");
}

bool mod_delayed_work(struct workqueue_struct* q, struct delayed_work* dw, unsigned long delay) {
  const bool was = grab_pending(dw, "mod_delayed_work");
  if (dw) queue_delayed_work(q, dw, delay);
  return was;
}

bool flush_delayed_work(struct delayed_work* dw) {
  might_sleep("flush_delayed_work", __builtin_return_address(0));
  if (!dw) return flush_work(nullptr);
  workqueue_struct* q = nullptr;
  bool fired = false;
  {
    InterruptDisabler guard;
    if (dw->work.wk_magic == WORK_MAGIC_PENDING && (dw->work.wk_flags & WORK_FLAG_DELAYED)) {
      q = dw->work.wk_wq;
      fired = wq::fire(&dw->work);  // queued now, for immediate execution
    }
  }
  if (fired) {
    del_timer(&dw->timer);
    wake_up(&kwq(q)->more);
  }
  return flush_work(&dw->work);
}

bool flush_work(struct work_struct* w) {
  might_sleep("flush_work", __builtin_return_address(0));
  wq::Fault f{};
  wq::FlushTarget t;
  {
    InterruptDisabler guard;
    t = wq::flush_work_target(registry, w, context(), &f);
  }
  if (t.refused) {
    report(f);
    return false;
  }
  if (!t.wq) return false;
  wait_event(wq_flush, reached(t.wq, t.seq));
  return true;
}

void flush_workqueue(struct workqueue_struct* q) {
  might_sleep("flush_workqueue", __builtin_return_address(0));
  if (!live(q, "flush_workqueue")) return;
  flush_queue(kwq(q), "flush_workqueue");
}

}  // extern "C"

EXPORT_SYMBOL(system_wq);
EXPORT_SYMBOL(alloc_workqueue);
EXPORT_SYMBOL(destroy_workqueue);
EXPORT_SYMBOL(queue_work);
EXPORT_SYMBOL(schedule_work);
EXPORT_SYMBOL(cancel_work_sync);
EXPORT_SYMBOL(flush_work);
EXPORT_SYMBOL(flush_workqueue);
EXPORT_SYMBOL(delayed_work_timer_fn);
EXPORT_SYMBOL(queue_delayed_work);
EXPORT_SYMBOL(schedule_delayed_work);
EXPORT_SYMBOL(mod_delayed_work);
EXPORT_SYMBOL(cancel_delayed_work);
EXPORT_SYMBOL(cancel_delayed_work_sync);
EXPORT_SYMBOL(flush_delayed_work);
