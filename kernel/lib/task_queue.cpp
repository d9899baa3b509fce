// Task queues: the guard-free list surgery, debug-objects checks, views and fault messages
// shared by every TaskQueue<Guard, Hooks> instantiation. Every function here runs with the
// caller's guard held (interrupts off in the kernel); see task_queue.h for the contract.
#include "kernel/lib/task_queue.h"

#include "kernel/lib/format.h"

namespace quartz {
namespace tq_detail {
namespace {

// Known debug states. 0x6b is the slab "freed" poison byte (Linux POISON_FREE): a task in
// memory that kfree has scribbled over is reported as freed, not merely as garbage.
constexpr unsigned long kSlabPoison = static_cast<unsigned long>(0x6b6b6b6b6b6b6b6bULL);

bool fail(TqFault* fault, TqFaultKind kind, const char* op, const tq_struct* task, std::uintptr_t a,
          std::uintptr_t b) {
  // The task failed a check, so its queue pointer is not trusted (never dereferenced by
  // the message); the routine is only printed or looked up, never called.
  *fault = TqFault{kind, op, task, task->routine, nullptr, a, b};
  return false;
}

std::uintptr_t addr(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }
std::uintptr_t addr(void (*f)(void*)) { return reinterpret_cast<std::uintptr_t>(f); }

}  // namespace

bool check_task(const tq_struct* task, const char* op, TqFault* fault) {
  const unsigned long magic = task->tq_magic;
  if (magic == TQ_MAGIC_FREED || magic == kSlabPoison ||
      magic == static_cast<unsigned long>(0x6b6b6b6bUL)) {
    return fail(fault, TqFaultKind::UseAfterFree, op, task, magic, 0);
  }
  if (magic != TQ_MAGIC_NONE && magic != TQ_MAGIC_IDLE && magic != TQ_MAGIC_PENDING) {
    return fail(fault, TqFaultKind::BadMagic, op, task, magic, 0);
  }
  const unsigned long sync = task->sync;
  if (sync & ~(TQ_SYNC_PENDING | TQ_SYNC_CANCEL_MASK)) {
    return fail(fault, TqFaultKind::BadSync, op, task, sync, 0);
  }
  const bool pending = (sync & TQ_SYNC_PENDING) != 0;
  if (pending != (magic == TQ_MAGIC_PENDING)) {
    return fail(fault, TqFaultKind::BadState, op, task, sync, magic);
  }
  if (!pending && (task->tq_next || task->tq_prev || task->tq_queue)) {
    return fail(fault, TqFaultKind::BadLink, op, task, addr(task->tq_next), addr(task->tq_prev));
  }
  if (pending && !task->tq_queue) {
    return fail(fault, TqFaultKind::BadLink, op, task, addr(task->tq_next), addr(task->tq_prev));
  }
  return true;
}

bool check_links(const tq_struct* task, const char* op, TqFault* fault) {
  const task_queue* q = task->tq_queue;
  const tq_struct* prev = task->tq_prev;
  const tq_struct* next = task->tq_next;
  const bool prev_ok = prev ? prev->tq_next == task : (q->head == task || q->batch == task);
  // A task without a successor is the tail of the queue or the last of the batch.
  const bool next_ok =
      next ? next->tq_prev == task : (q->tail == task || (q->batch && q->batch_tail == task));
  if (!prev_ok || !next_ok) {
    return fail(fault, TqFaultKind::BadLink, op, task, addr(next), addr(prev));
  }
  return true;
}

void link_tail(task_queue* queue, tq_struct* task) {
  task->tq_next = nullptr;
  task->tq_prev = queue->tail;
  task->tq_queue = queue;
  if (queue->tail) {
    queue->tail->tq_next = task;
  } else {
    queue->head = task;
  }
  queue->tail = task;
  ++queue->queued;
  task->tq_magic = TQ_MAGIC_PENDING;
  task->sync |= TQ_SYNC_PENDING;
}

void unlink(tq_struct* task) {
  task_queue* q = task->tq_queue;
  tq_struct* prev = task->tq_prev;
  tq_struct* next = task->tq_next;
  if (prev) {
    prev->tq_next = next;
  } else if (q->head == task) {
    q->head = next;
  } else {  // first of the batch being drained
    q->batch = next;
  }
  if (next) {
    next->tq_prev = prev;
  } else if (q->tail == task) {
    q->tail = prev;
  } else {  // last of the batch
    q->batch_tail = prev;
  }
  task->tq_next = task->tq_prev = nullptr;
  task->tq_queue = nullptr;
  --q->queued;
  task->tq_magic = TQ_MAGIC_IDLE;
  task->sync &= ~TQ_SYNC_PENDING;
}

namespace {
// A task the walk back from batch_tail may step onto: pending on this very queue, and
// (for a task inside the batch) linked forward to where the walk came from.
bool batch_member_ok(const task_queue* queue, const tq_struct* t, const tq_struct* next) {
  return t->tq_magic == TQ_MAGIC_PENDING && t->tq_queue == queue && t->tq_next == next;
}

// Fills *fault for a task found bad in the batch of `queue`, which drops it.
void report_batch_task(const task_queue* queue, const tq_struct* task, TqFault* fault) {
  const unsigned long magic = task->tq_magic;
  if (magic == TQ_MAGIC_NONE || magic == TQ_MAGIC_IDLE) {
    fail(fault, TqFaultKind::Reinitialised, "run_task_queue", task, magic, 0);
  } else if (check_task(task, "run_task_queue", fault)) {  // looks fine alone: its links lie
    fail(fault, TqFaultKind::BadLink, "run_task_queue", task, addr(task->tq_next),
         addr(task->tq_prev));
  }
  fault->queue = queue;  // trusted: the queue being drained, which drops the task
}

unsigned long count_list(const tq_struct* t, unsigned long bound) {
  unsigned long n = 0;
  for (; t && n <= bound; t = t->tq_next) ++n;
  return n;
}
}  // namespace

unsigned drop_corrupt_batch(task_queue* queue, TqFault faults[2]) {
  tq_struct* const bad = queue->batch;
  unsigned nfaults = 1;
  report_batch_task(queue, bad, &faults[0]);
  // bad->tq_next cannot be trusted (its memory is garbage, or INIT_TQUEUE zeroed it), but
  // batch_tail can: walk back from it through tq_prev, validating each step, to the task
  // whose prev is `bad`. That task heads the rest of the batch. Bounded by `queued`, so a
  // cycle of stray links cannot hold the walk.
  tq_struct* first = nullptr;  // the rest of the batch, once found
  unsigned long rest = 0;
  tq_struct* t = queue->batch_tail;
  const tq_struct* after = nullptr;  // the task the walk came from (t's successor)
  const unsigned long bound = queue->queued;
  while (t && t != bad) {
    if (!batch_member_ok(queue, t, after) || rest > bound) {
      // Another bad task: report it too; the batch restarts after it. What lies between
      // the two cannot be reached without trusting a bad link: it is lost (not counted).
      report_batch_task(queue, t, &faults[nfaults++]);
      break;
    }
    first = t;
    ++rest;
    after = t;
    t = t->tq_prev;
  }
  queue->batch = first;
  if (first) {
    first->tq_prev = nullptr;
  } else {
    queue->batch_tail = nullptr;
  }
  queue->queued = rest + count_list(queue->head, queue->queued);
  return nfaults;
}

unsigned long requeue_batch_front(task_queue* queue) {
  tq_struct* first = queue->batch;
  if (!first) return 0;
  tq_struct* last = queue->batch_tail;
  // Counted for the report only, following links only out of tasks that check out (this
  // runs in the fault path, where a second fault would be fatal).
  unsigned long n = 0;
  for (const tq_struct* t = first; t && t->tq_magic == TQ_MAGIC_PENDING && t->tq_queue == queue;
       t = t->tq_next) {
    ++n;
    if (t == last || n > queue->queued) break;
  }
  last->tq_next = queue->head;
  if (queue->head) {
    queue->head->tq_prev = last;
  } else {
    queue->tail = last;
  }
  queue->head = first;
  queue->batch = nullptr;
  queue->batch_tail = nullptr;
  return n;
}

unsigned long unlink_all(task_queue* queue) {
  unsigned long n = 0;
  tq_struct** const lists[2] = {&queue->batch, &queue->head};
  for (tq_struct** list : lists) {
    // unlink() pops the first of a list each time; a task that is not what it should be
    // ends the walk (its links cannot be trusted) and the list is cut there.
    while (tq_struct* t = *list) {
      if (t->tq_magic != TQ_MAGIC_PENDING || t->tq_queue != queue) {
        *list = nullptr;
        break;
      }
      unlink(t);
      ++n;
    }
  }
  queue->head = queue->tail = queue->batch = queue->batch_tail = nullptr;
  queue->queued = 0;
  return n;
}

std::size_t unlink_in_range(task_queue* queue, std::uintptr_t lo, std::uintptr_t hi) {
  std::size_t n = 0;
  tq_struct** const lists[2] = {&queue->batch, &queue->head};
  for (tq_struct** list : lists) {
    for (tq_struct *t = *list, *next; t; t = next) {
      if (t->tq_magic != TQ_MAGIC_PENDING || t->tq_queue != queue) break;  // untrusted
      next = t->tq_next;
      auto in = [lo, hi](std::uintptr_t a) { return a >= lo && a < hi; };
      if (in(addr(t)) || in(addr(t->routine)) || in(addr(t->data))) {
        unlink(t);
        ++n;
      }
    }
  }
  return n;
}

std::size_t copy_tasks(const task_queue* queue, TqTaskInfo* out, std::size_t cap) {
  std::size_t n = 0;
  const tq_struct* lists[2] = {queue->batch, queue->head};
  for (int l = 0; l < 2; ++l) {
    for (const tq_struct* t = lists[l]; t && n < cap; t = t->tq_next, ++n) {
      out[n] = TqTaskInfo{t, t->routine, t->data, l == 0};
    }
  }
  return n;
}

TqStats read_stats(const task_queue* queue) {
  return TqStats{queue->name,
                 queue->queued,
                 queue->drains,
                 queue->tasks_run,
                 queue->delayed,
                 queue->skipped,
                 queue->longest_drain,
                 queue->draining != 0,
                 load_running(queue) ? queue->running_routine : nullptr};
}

std::size_t scan_range(const task_queue* queue, std::uintptr_t lo, std::uintptr_t hi, TqRangeFn fn,
                       void* ctx) {
  auto in = [lo, hi](std::uintptr_t a) { return a >= lo && a < hi; };
  std::size_t hits = 0;
  auto report = [&](const TqRangeHit& hit) {
    ++hits;
    if (fn) fn(ctx, hit);
  };
  // An idle, empty queue holds nothing: it is no leftover (forget_queues_in_range).
  if (in(addr(queue)) && !idle_and_empty(queue))
    report(TqRangeHit{queue, nullptr, nullptr, nullptr, kTqHitQueue});
  const tq_struct* lists[2] = {queue->batch, queue->head};
  for (const tq_struct* first : lists) {
    for (const tq_struct* t = first; t; t = t->tq_next) {
      unsigned what = 0;
      if (in(addr(t))) what |= kTqHitTask;
      if (in(addr(t->routine))) what |= kTqHitRoutine;
      if (in(addr(t->data))) what |= kTqHitData;
      if (what) report(TqRangeHit{queue, t, t->routine, t->data, what});
    }
  }
  if (const tq_struct* running = load_running(queue)) {
    unsigned what = 0;
    if (in(addr(running))) what |= kTqHitTask | kTqHitRunning;
    if (in(addr(queue->running_routine))) what |= kTqHitRoutine | kTqHitRunning;
    if (what) report(TqRangeHit{queue, running, queue->running_routine, nullptr, what});
  }
  return hits;
}

}  // namespace tq_detail

const char* tq_fault_kind_name(TqFaultKind kind) {
  switch (kind) {
    case TqFaultKind::NullPointer:
      return "null pointer";
    case TqFaultKind::UseAfterFree:
      return "use after free";
    case TqFaultKind::BadMagic:
      return "uninitialised or corrupted";
    case TqFaultKind::BadSync:
      return "corrupted sync word";
    case TqFaultKind::BadState:
      return "inconsistent state";
    case TqFaultKind::BadLink:
      return "corrupted links";
    case TqFaultKind::OwnRoutine:
      return "deadlock";
    case TqFaultKind::FreeActive:
      return "free of an active task";
    case TqFaultKind::FreeRunning:
      return "free of a running task";
    case TqFaultKind::QueueBusy:
      return "queue busy";
    case TqFaultKind::Reinitialised:
      return "re-initialised or overwritten while pending";
    case TqFaultKind::FreeActiveQueue:
      return "free of an active queue";
  }
  return "?";
}

int format_tq_fault(const TqFault& f, const char* routine_name, char* buf, std::size_t size) {
  char routine_buf[24];
  const char* routine = routine_name;
  if (!routine) {
    snformat(routine_buf, sizeof routine_buf, "%p", reinterpret_cast<void*>(f.routine));
    routine = routine_buf;
  }
  const char* qname = f.queue ? (f.queue->name ? f.queue->name : "(unnamed)") : "(none)";
  const char* op = f.op ? f.op : "task queue";
  const void* task = f.task;
  const unsigned long a = static_cast<unsigned long>(f.a);
  const unsigned long b = static_cast<unsigned long>(f.b);
  // A task that failed a check with its queue known was dropped by a drain.
  char dropped[64] = "";
  if (f.queue) snformat(dropped, sizeof dropped, "; dropped from the drain of %s", qname);
  switch (f.kind) {
    case TqFaultKind::NullPointer:
      return snformat(buf, size, "%s: null %s", op, f.task ? "queue" : "task");
    case TqFaultKind::UseAfterFree:
      return snformat(buf, size,
                      "%s: task %p (routine %s) was freed (debug state %#lx): use after free%s", op,
                      task, routine, a, dropped);
    case TqFaultKind::BadMagic:
      return snformat(buf, size,
                      "%s: task %p (routine %s) is uninitialised or corrupted (debug state %#lx)%s",
                      op, task, routine, a, dropped);
    case TqFaultKind::BadSync:
      return snformat(buf, size, "%s: task %p (routine %s) has a corrupted sync word %#lx%s", op,
                      task, routine, a, dropped);
    case TqFaultKind::BadState:
      return snformat(
          buf, size,
          "%s: task %p (routine %s) is corrupted: sync %#lx disagrees with debug state %#lx%s", op,
          task, routine, a, b, dropped);
    case TqFaultKind::BadLink:
      return snformat(buf, size,
                      "%s: task %p (routine %s) has corrupted links (next %#lx, prev %#lx)%s", op,
                      task, routine, a, b, dropped);
    case TqFaultKind::Reinitialised:
      return snformat(buf, size,
                      "%s: task %p (routine %s) was re-initialised or overwritten while pending "
                      "(debug state %#lx)%s",
                      op, task, routine, a, dropped);
    case TqFaultKind::OwnRoutine:
      return snformat(buf, size,
                      "cancel_task_sync called from its own routine %s (task %p): deadlock",
                      routine, task);
    case TqFaultKind::FreeActive:
      return snformat(buf, size, "%s: free of an active task %p (routine %s) still pending on %s",
                      op, task, routine, qname);
    case TqFaultKind::FreeRunning:
      return snformat(buf, size, "%s: free of task %p while its routine %s is running (queue %s)",
                      op, task, routine, qname);
    case TqFaultKind::QueueBusy:
      return snformat(buf, size, "%s: queue %s still has %lu pending tasks or a drain in progress",
                      op, qname, a);
    case TqFaultKind::FreeActiveQueue:
      if (b)
        return snformat(buf, size,
                        "%s: free of an active queue %s (%lu pending tasks, draining, routine %s "
                        "running): its tasks were taken off",
                        op, qname, a, f.routine ? routine : "none");
      return snformat(
          buf, size, "%s: free of an active queue %s (%lu pending tasks): its tasks were taken off",
          op, qname, a);
  }
  return snformat(buf, size, "%s: task queue fault", op);
}

namespace tq_detail {
int format_queue_line(const TqStats& s, char* buf, std::size_t size) {
  return snformat(buf, size,
                  "%s: %lu queued, %lu drains, %lu tasks run, longest drain %llu tsc, %lu delayed, "
                  "%lu skipped ticks%s",
                  s.name ? s.name : "(unnamed)", s.queued, s.drains, s.tasks_run,
                  static_cast<unsigned long long>(s.longest_drain), s.delayed, s.skipped,
                  s.draining ? " (draining)" : "");
}

int format_task_line(const TqTaskInfo& t, const char* routine_name, char* buf, std::size_t size) {
  char routine_buf[24];
  if (!routine_name) {
    snformat(routine_buf, sizeof routine_buf, "%p", reinterpret_cast<void*>(t.routine));
    routine_name = routine_buf;
  }
  return snformat(buf, size, "  %p %s data=%p%s", static_cast<const void*>(t.task), routine_name,
                  t.data, t.in_batch ? " (in this drain)" : "");
}

int format_more_line(unsigned long more, bool queues, char* buf, std::size_t size) {
  return queues ? snformat(buf, size, "... and %lu more queues", more)
                : snformat(buf, size, "  ... and %lu more", more);
}
}  // namespace tq_detail

}  // namespace quartz
