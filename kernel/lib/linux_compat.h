// The pure logic behind the <linux/...> headers of tools/build-module.sh --linux (the
// kernel side is kernel/compat/): printk's level prefix, Linux 2.2's task queue and wait
// queue list operations, and the /proc read loop of Linux 2.2/2.4 (proc_file_read).
//
// Contract: no locking here. The task-queue and wait-queue operations must be called with
// the caller's guard held (interrupts off in the kernel), except run_tq22_batch, which
// calls routines and must run with it released; linux_proc_read runs in thread context
// and calls the entry's function through `call`.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quartz {

// printk("<1>text"): the text after a leading "<N>" level (N = 0..7), or fmt itself.
const char* printk_skip_level(const char* fmt);

// ---- Linux 2.2's task queue (include/linux/tqueue.h, 2.2.19-pre15) ----------------------
// Task is any struct with 2.2's fields: next, sync (bit 0 = pending), routine, data. A
// queue is a Task* (NULL: empty). Guard held.
template <class Task>
int tq22_queue(Task* task, Task** list, bool* was_empty) {
  if (task->sync & 1) return 0;  // test_and_set_bit(0, &bh_pointer->sync)
  task->sync |= 1;
  *was_empty = *list == nullptr;
  task->next = *list;  // at the front: the last queued runs first
  *list = task;
  return 1;
}
// The takeover of 2.2's run_task_queue: the whole list, the queue left empty. Guard held.
template <class Task>
Task* tq22_take(Task** list) {
  Task* p = *list;
  *list = nullptr;
  return p;
}
// The walk of 2.2's run_task_queue over a taken list, guard RELEASED: for each task,
// data, routine and next are read, then sync is cleared (after a barrier) and the
// routine called, so a routine may queue its own task again (it lands on the live
// queue, for the next drain) or free it. before(routine) and after() bracket each call
// (the kernel records the running routine). Returns how many routines ran.
template <class Task, class Before, class After>
unsigned tq22_run_batch(Task* p, Before&& before, After&& after) {
  unsigned n = 0;
  while (p) {
    void* arg = p->data;
    void (*f)(void*) = p->routine;
    Task* save_p = p;
    p = p->next;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);  // smp_mb()
    save_p->sync = 0;
    if (f) {
      before(f);
      f(arg);
      after();
      ++n;
    }
  }
  return n;
}
// Calls fn(task) for each queued task (guard held).
template <class Task, class Fn>
void tq22_for_each(Task* list, Fn&& fn) {
  for (Task* p = list; p; p = p->next) fn(p);
}
// Unlinks every queued task for which pred(task) holds, clearing its pending bit. Returns
// how many. Guard held.
template <class Task, class Pred>
unsigned tq22_remove_if(Task** list, Pred&& pred) {
  unsigned n = 0;
  for (Task** link = list; *link;) {
    Task* t = *link;
    if (pred(t)) {
      *link = t->next;
      t->next = nullptr;
      t->sync &= ~1UL;
      ++n;
    } else {
      link = &t->next;
    }
  }
  return n;
}

// ---- Linux 2.2's wait queue list (include/linux/sched.h, 2.2.1) -------------------------
// Entry is any struct { task; next; } with next the second word, as 2.2's struct
// wait_queue. The queue is an Entry* that is NULL until the first sleeper; the list is
// circular and closed by the sentinel WAIT_QUEUE_HEAD(q), the fake entry whose `next`
// field IS the queue pointer. Guard held.
// The address arithmetic goes through integers: the sentinel is not an object of its own
// (only its `next` field exists), which the compiler's bounds checks would flag.
template <class Entry>
Entry* wq22_sentinel(Entry** q) {
  return reinterpret_cast<Entry*>(reinterpret_cast<uintptr_t>(q) - offsetof(Entry, next));
}
template <class Entry>
Entry** wq22_link(Entry* e) {  // &e->next, the sentinel's included (it is the queue)
  return reinterpret_cast<Entry**>(reinterpret_cast<uintptr_t>(e) + offsetof(Entry, next));
}
// __add_wait_queue: the new entry in front, linked to the old first one or, the first
// time, to the sentinel.
template <class Entry>
void wq22_add(Entry** q, Entry* wait) {
  wait->next = *q ? *q : wq22_sentinel(q);
  *q = wait;
}
// __remove_wait_queue: walks the circle from the entry's successor to its predecessor
// and unlinks it; the queue pointer is left at the sentinel when the last one leaves.
template <class Entry>
void wq22_remove(Entry* wait) {
  Entry* next = wait->next;
  Entry* head = next;
  Entry* tmp;
  while ((tmp = *wq22_link(head)) != wait) head = tmp;
  *wq22_link(head) = next;
}
// Whether anyone is linked: the pointer is neither NULL nor the sentinel.
template <class Entry>
bool wq22_has_sleepers(Entry** q) {
  return *q && *q != wq22_sentinel(q);
}

// ---- The /proc read loop of Linux 2.2 and 2.4 (fs/proc/generic.c, proc_file_read) -------
// Which function the entry has: 2.2's get_info (eof when it returns less than asked),
// a read_proc (it sets *eof itself), or none (nothing to read).
enum class ProcReadKind : uint8_t { None, GetInfo, ReadProc };
struct ProcReadFn {
  ProcReadKind kind;
  // Calls the entry's function: (page, start, offset, count, eof); get_info ignores eof.
  int (*call)(void* ctx, char* page, char** start, long offset, int count, int* eof);
  void* ctx;
};
constexpr int kProcBlockSize = 3 * 1024;  // PROC_BLOCK_SIZE: a page less some slack
constexpr size_t kProcPageSize = 4096;
// Reads the file from *pos, at most nbytes, with `page` (kProcPageSize bytes) as the
// buffer, handing the bytes to emit(ctx, bytes, n) in order. Returns the bytes read, or
// the function's negative error if it failed before anything was read; *pos advances
// as Linux's did (by a small-number *start, which must be below `page`, else by n).
long linux_proc_read(const ProcReadFn& fn, char* page, long* pos, long nbytes,
                     void (*emit)(void* ctx, const char* bytes, size_t n), void* ectx);

}  // namespace quartz
