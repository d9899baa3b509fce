// Kernel threads and the scheduler instance: stacks with guard pages, the context
// switch hook, preemption on interrupt exit, the sleep_on watchdog, the wait-queue C API,
// and the `ps`, `slice` commands and /proc/threads.
#include "kernel/sched.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/format.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/interrupt_frame.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/might_sleep.h"
#include "kernel/kheap.h"
#include "kernel/panic.h"
#include "kernel/procfs.h"
#include "kernel/process/process.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include "kernel/trace.h"

extern "C" void switch_context(uint32_t* save_esp, uint32_t next_esp);
extern "C" void thread_start();
extern "C" char isr_call_return[];                      // isr.asm: where interrupt_dispatch returns
extern "C" char boot_stack_bottom[], boot_stack_top[];  // boot/boot.asm: the idle thread's

namespace quartz {
namespace {

Thread* thread_of(SchedThread* s) { return reinterpret_cast<Thread*>(s); }

unsigned long watchdog_releases = 0;

struct KernelSchedHooks : SchedHooksBase {
  static void switch_to(SchedThread* from, SchedThread* to) {
    Thread* next = thread_of(to);
    trace(TraceType::Switch, thread_of(from)->id, next->id);
    // An interrupt or system call from user mode lands on the next thread's kernel
    // stack, in the next thread's address space (the kernel's own for kernel threads).
    gdt_set_kernel_stack(next->stack_high);
    as_activate(process_address_space(next->process));
    switch_context(&thread_of(from)->saved_esp, next->saved_esp);
  }
  static unsigned long now() { return jiffies; }
  static void watchdog_fired(SchedThread* s, unsigned long asleep) {
    Thread* t = thread_of(s);
    ++watchdog_releases;
    kprintf(
        "watchdog: thread %s has slept %lu ticks in sleep_on(%s) and no wake_up came: "
        "a lost wakeup? Releasing it.\n",
        t->name, asleep, s->waiting_on && s->waiting_on->name ? s->waiting_on->name : "?");
  }
  static void assert_guard_held(const char* where) { InterruptDisabler::assert_held(where); }
};

SchedCore<InterruptDisabler, KernelSchedHooks> core;
Thread idle_thread;
IntrusiveList<Thread, &Thread::all_node> all_threads;  // interrupts off
uint32_t next_id = 0;                                  // interrupts off
int reap_holds = 0;  // interrupts off; while > 0, exited threads are not freed (a scan's fn runs)

// Thread stacks live in their own virtual area: slot i holds an unmapped guard page and
// then the stack, so running off the bottom faults instead of corrupting a neighbour.
constexpr int kMaxThreads = 256;
constexpr uintptr_t kSlotSize = kThreadStackSize + kPageSize;
bool slot_used[kMaxThreads];  // interrupts off

void free_stack(Thread* t) {
  // A task or queue left on the exited thread's stack must not be reached after the
  // pages go: take them off their queues and out of the registry first.
  if (size_t n = tq_cancel_in_range(t->stack_low, t->stack_high))
    kprintf("thread %s exited with %u task%s queued on its stack: taken off\n", t->name,
            unsigned(n), n == 1 ? "" : "s");
  tq_forget_queues_in_range(t->stack_low, t->stack_high);
  paging_unmap_free(t->stack_low, t->stack_high);
  InterruptDisabler guard;
  slot_used[t->stack_slot] = false;
}

bool alloc_stack(Thread* t) {
  int slot = -1;
  {
    InterruptDisabler guard;
    for (int i = 0; i < kMaxThreads && slot < 0; ++i)
      if (!slot_used[i]) slot_used[i] = true, slot = i;
  }
  if (slot < 0) return false;
  t->stack_slot = slot;
  t->stack_low = kStackAreaBase + uintptr_t(slot) * kSlotSize + kPageSize;
  t->stack_high = t->stack_low + kThreadStackSize;
  if (paging_map_fresh(t->stack_low, kThreadStackSize, pte::kWritable, false)) return true;
  InterruptDisabler guard;
  slot_used[slot] = false;
  return false;
}

// The double-fault path asks whose guard page an address is in.
const char* stack_owner(uintptr_t addr) {
  static char label[32];
  if (addr < kStackAreaBase || addr >= kStackAreaBase + kMaxThreads * kSlotSize) return nullptr;
  const uintptr_t slot_base = addr - (addr - kStackAreaBase) % kSlotSize;
  if (addr >= slot_base + kPageSize) return nullptr;  // in the stack itself, not the guard
  for (Thread& t : all_threads) {
    if (t.stack_low == slot_base + kPageSize) {
      snformat(label, sizeof label, "thread %s", t.name);
      return label;
    }
  }
  return "an exited thread";
}

// Copies what ps shows under the guard; prints afterwards.
struct ThreadInfo {
  uint32_t id;
  char name[16];
  ThreadState state;
  char waiting_on[19];  // copied: the queue's name may live in a module freed meanwhile
  bool timed;
  unsigned long ticks, switches;
};

size_t snapshot(ThreadInfo* out, size_t cap) {
  InterruptDisabler guard;
  size_t n = 0;
  for (Thread& t : all_threads) {
    if (n == cap) break;
    ThreadInfo& i = out[n++];
    i.id = t.id;
    __builtin_memcpy(i.name, t.name, sizeof i.name);
    i.state = t.sched.state;
    i.waiting_on[0] = 0;
    if (t.sched.waiting_on)
      str_copy(i.waiting_on, t.sched.waiting_on->name ? t.sched.waiting_on->name : "?",
               sizeof i.waiting_on);
    i.timed = t.sched.timer_node.is_linked();
    i.ticks = t.sched.ticks_run;
    i.switches = t.sched.switches;
  }
  return n;
}

void show_threads(ProcFile* out, void*) {
  static ThreadInfo info[kMaxThreads + 1];  // under show_lock: `ps` may run in many threads
  static DEFINE_MUTEX(show_lock);
  mutex_lock(&show_lock);
  const size_t n = snapshot(info, kMaxThreads + 1);
  proc_printf(out, "%4s %-15s %-9s %-20s %8s %8s\n", "ID", "NAME", "STATE", "WAITING ON", "TICKS",
              "SWITCHES");
  for (size_t k = 0; k < n; ++k) {
    const ThreadInfo& i = info[k];
    char wait[19] = "-";  // the column is 20 wide: longer names are cut
    if (i.waiting_on[0])
      str_copy(wait, i.waiting_on, sizeof wait);
    else if (i.timed)
      str_copy(wait, "(timer)", sizeof wait);
    proc_printf(out, "%4u %-15s %-9s %-20s %8lu %8lu\n", i.id, i.name, thread_state_name(i.state),
                wait, i.ticks, i.switches);
  }
  mutex_unlock(&show_lock);
}

int cmd_ps(int argc, char**) {
  if (argc != 1) return shell_usage("ps");
  // Threads, then the user processes (each runs on the thread of the same name).
  const int rc = proc_cat("threads");
  return rc | proc_cat("processes");
}

int cmd_slice(int argc, char** argv) {
  if (argc == 2) {
    long long v;
    if (!parse_int(argv[1], &v) || v < 1 || v > 1000) return shell_usage("slice");
    sched_set_slice(unsigned(v));
  } else if (argc != 1) {
    return shell_usage("slice");
  }
  kprintf("time slice: %u ticks\n", sched_slice());
  return 0;
}

}  // namespace

SHELL_COMMAND(ps, "", "threads (id, name, state, wait queue, ticks run), then user processes",
              cmd_ps);
SHELL_COMMAND(slice, "[TICKS 1..1000]", "show or set the round-robin time slice", cmd_slice);

void sched_init() {
  str_copy(idle_thread.name, "idle", sizeof idle_thread.name);
  idle_thread.stack_slot = -1;
  idle_thread.stack_low = reinterpret_cast<uintptr_t>(boot_stack_bottom);
  idle_thread.stack_high = reinterpret_cast<uintptr_t>(boot_stack_top);
  core.init(&idle_thread.sched);
  core.set_watchdog(2 * timer_hz());
  {
    InterruptDisabler guard;
    idle_thread.id = next_id++;
    all_threads.push_back(idle_thread);
  }
  fault_set_stack_owner_lookup(stack_owner);
  proc_create("threads", show_threads, nullptr, nullptr);
}

Thread* thread_create(const char* name, void (*entry)(void*), void* arg) {
  thread_reap();
  Thread* t = new Thread;  // operator new panics on exhaustion; stacks may still fail
  str_copy(t->name, name, sizeof t->name);
  t->entry = entry;
  t->arg = arg;
  if (!alloc_stack(t)) {
    delete t;
    return nullptr;
  }
  // The frame switch_context pops: edi, esi, ebx, ebp, then its return address.
  auto* sp = reinterpret_cast<uint32_t*>(t->stack_high);
  *--sp = 0;                                         // thread_start's fake return address
  *--sp = reinterpret_cast<uint32_t>(thread_start);  // switch_context returns here
  *--sp = 0;                                         // ebp
  *--sp = 0;                                         // ebx
  *--sp = 0;                                         // esi
  *--sp = 0;                                         // edi
  t->saved_esp = reinterpret_cast<uint32_t>(sp);
  {
    InterruptDisabler guard;
    t->id = next_id++;
    all_threads.push_back(*t);
  }
  core.start(&t->sched);
  return t;
}

[[noreturn]] void thread_exit() {
  const Thread* t = current_thread();
  if (t->sched.mutexes_held) [[unlikely]]
    kprintf("BUG: thread %s exits holding %u mutex(es); they stay locked\n", t->name,
            t->sched.mutexes_held);
  core.exit_current();
}

void thread_yield() { core.schedule(); }

bool sched_wake_thread(Thread* t) { return core.wake(&t->sched); }

Thread* current_thread() { return thread_of(core.current()); }

void thread_reap() {
  {
    InterruptDisabler guard;
    if (reap_holds) return;  // a scan's callbacks still name threads; the next reap frees them
  }
  while (SchedThread* z = core.take_zombie()) {
    Thread* t = thread_of(z);
    {
      InterruptDisabler guard;
      IntrusiveList<Thread, &Thread::all_node>::remove(*t);
    }
    free_stack(t);
    delete t;
  }
}

[[noreturn]] void sched_idle_loop() {
  for (;;) {
    thread_reap();
    core.schedule();
    // Nothing to run: halt until an interrupt. If it wakes a thread, the interrupt's
    // exit path switches to it at once. The halted time is noted (interrupts off until
    // the hlt, so the interrupt that ends it is the one that accounts it): under -icount
    // the TSC jumps across a halt, and benchmarks subtract it to count instructions.
    cpu::raw_cli();
    g_idle_halt_tsc = cpu::rdtsc();
    g_idle_halted = true;
    cpu::sti_and_hlt();
  }
}

void sleep_ticks(uint64_t ticks) {
  might_sleep("sleep_ticks", __builtin_return_address(0));
  wait_queue_head_t wq;
  __init_waitqueue_head(&wq, "sleep");
  core.sleep_ticks(&wq, ticks);
}

const volatile bool* const g_need_resched = core.need_resched_flag();
volatile bool g_idle_halted = false;
volatile uint64_t g_idle_halt_tsc = 0;
volatile uint64_t g_idle_tsc_total = 0;

uint64_t busy_tsc() { return cpu::rdtsc() - g_idle_tsc_total; }

void sched_account_idle() {
  g_idle_halted = false;
  g_idle_tsc_total = g_idle_tsc_total + (cpu::rdtsc() - g_idle_halt_tsc);
}

namespace {
// Once a second, from the tick: release sleep_on sleepers that nobody will wake. Kept
// out of line so the common tick stays short.
[[gnu::noinline, gnu::cold]] void watchdog_tick() {
  if (!core.watchdog()) return;
  static SchedThread* all[kMaxThreads + 1];  // IRQ 0 only
  size_t n = 0;
  for (Thread& t : all_threads)
    if (n < kMaxThreads + 1) all[n++] = &t.sched;
  struct Range {
    SchedThread** b;
    SchedThread** e;
    SchedThread** begin() { return b; }
    SchedThread** end() { return e; }
  } range{all, all + n};
  core.watchdog_scan(range);
}
unsigned long watchdog_countdown = 1;  // IRQ 0 only
}  // namespace

void sched_timer_tick() {
  core.tick_irqs_off();
  if (--watchdog_countdown == 0) [[unlikely]] {
    watchdog_countdown = timer_hz();
    watchdog_tick();
  }
}

bool sched_need_resched() { return core.need_resched(); }
// Not schedule(): a thread interrupted between prepare_to_wait and its own schedule()
// is marked Blocked but must keep the CPU, or a wake_up it already missed is lost.
void sched_preempt_on_irq_exit() {
  assert_irqs_off("sched_preempt_on_irq_exit");
  if (Thread* t = current_thread(); t && t->preempt_off) return;  // preempt_enable will
  core.preempt();
}

namespace {
Thread* thread_level_current() {
  if (__atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) != 0) return nullptr;
  return current_thread();
}
}  // namespace

void preempt_disable() {
  if (Thread* t = thread_level_current()) {
    ++t->preempt_off;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);  // seen by an interrupt on this CPU
  }
}

void preempt_enable() {
  Thread* t = thread_level_current();
  if (!t || !t->preempt_off) return;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  if (--t->preempt_off == 0 && cpu::interrupts_enabled()) core.preempt();
}
void sched_set_slice(unsigned ticks) { core.set_slice(ticks); }
unsigned sched_slice() { return core.slice(); }
void sched_set_watchdog(unsigned long ticks) { core.set_watchdog(ticks); }
unsigned long sched_watchdog() { return core.watchdog(); }
unsigned long sched_watchdog_releases() { return watchdog_releases; }

void threads_waiting_in_range(uintptr_t lo, uintptr_t hi, void (*fn)(void* ctx, const Thread& t),
                              void* ctx) {
  constexpr size_t kMax = 32;
  const Thread* found[kMax];
  size_t n = 0;
  {
    InterruptDisabler guard;
    for (Thread& t : all_threads) {
      const auto wq = reinterpret_cast<uintptr_t>(t.sched.waiting_on);
      if (wq >= lo && wq < hi && n < kMax) found[n++] = &t;
    }
  }
  for (size_t i = 0; i < n; ++i) fn(ctx, *found[i]);
}

namespace {
// The innermost code address of t in [lo, hi), or false: its saved instruction pointer,
// then the return addresses of its call chain, following saved frame pointers (the
// kernel and modules keep them), and across an interrupt frame to the interrupted EIP.
// Registers and stale stack words are not looked at, so a pointer a thread merely holds
// (a callback it once called) does not count. Interrupts off: t is not running, so its
// saved context and everything above it stay put.
bool first_word_in_range(const Thread& t, uintptr_t lo, uintptr_t hi, uintptr_t* found) {
  assert_irqs_off("first_word_in_range");
  const uintptr_t esp = t.saved_esp;
  if (esp < t.stack_low || esp + 20 > t.stack_high) return false;  // never switched away from
  auto in = [&](uintptr_t a) {
    if (a < lo || a >= hi) return false;
    *found = a;
    return true;
  };
  // switch_context's frame: edi, esi, ebx, ebp, then its return address.
  const auto* saved = reinterpret_cast<const uint32_t*>(esp);
  if (in(saved[4])) return true;
  uintptr_t ebp = saved[3], prev = esp;
  const auto call_return = reinterpret_cast<uintptr_t>(isr_call_return);
  for (int depth = 0; depth < 64; ++depth) {
    if (ebp <= prev || (ebp & 3) || ebp + 8 > t.stack_high) return false;
    const auto* frame = reinterpret_cast<const uint32_t*>(ebp);
    const uintptr_t ret = frame[1];
    if (in(ret)) return true;
    prev = ebp;
    if (ret == call_return && ebp + 12 + sizeof(InterruptFrame) <= t.stack_high) {
      // interrupt_dispatch's frame: above it isr_common pushed the InterruptFrame*, and
      // the frame itself follows: the interrupted code's EIP and frame pointer.
      const auto* f = reinterpret_cast<const InterruptFrame*>(ebp + 12);
      if (frame[2] != ebp + 12) return false;
      if (in(f->eip)) return true;
      ebp = f->ebp;
      continue;
    }
    ebp = frame[0];
  }
  return false;
}
}  // namespace

size_t threads_executing_in_range(uintptr_t lo, uintptr_t hi,
                                  void (*fn)(void* ctx, const Thread& t, uintptr_t addr),
                                  void* ctx) {
  struct Found {
    const Thread* t;
    uintptr_t addr;
  };
  static Found found[kMaxThreads + 1];  // under scan_lock
  static DEFINE_MUTEX(scan_lock);
  mutex_lock(&scan_lock);
  size_t n = 0;
  {
    InterruptDisabler guard;
    const Thread* self = current_thread();
    for (Thread& t : all_threads) {
      if (&t == self || t.sched.state == ThreadState::Dead || n == kMaxThreads + 1) continue;
      uintptr_t addr;
      if (first_word_in_range(t, lo, hi, &addr)) found[n++] = {&t, addr};
    }
    ++reap_holds;
  }
  if (fn)
    for (size_t i = 0; i < n; ++i) fn(ctx, *found[i].t, found[i].addr);
  {
    InterruptDisabler guard;
    --reap_holds;
  }
  mutex_unlock(&scan_lock);
  return n;
}

void thread_names_for_trace(void (*fn)(void* ctx, uint32_t id, const char* name), void* ctx) {
  static struct {
    uint32_t id;
    char name[16];
  } copy[kMaxThreads + 1];  // the shell thread only
  size_t n = 0;
  {
    InterruptDisabler guard;
    for (Thread& t : all_threads) {
      if (n == kMaxThreads + 1) break;
      copy[n].id = t.id;
      __builtin_memcpy(copy[n].name, t.name, sizeof t.name);
      ++n;
    }
  }
  for (size_t i = 0; i < n; ++i) fn(ctx, copy[i].id, copy[i].name);
}

MutexResult sched_mutex_lock(mutex* m) { return mutex_lock_on(core, m); }
bool sched_mutex_trylock(mutex* m) { return mutex_trylock_on(core, m); }
MutexResult sched_mutex_unlock(mutex* m, Thread** holder) {
  SchedThread* h = nullptr;
  const MutexResult r = mutex_unlock_on(core, m, &h);
  *holder = h ? thread_of(h) : nullptr;
  return r;
}

bool mutex_held_by_current(const mutex* m) {
  InterruptDisabler guard;
  return m->owner == core.current();
}

bool mutex_release_after_fault(mutex* m) {
  if (!mutex_held_by_current(m)) return false;
  Thread* holder = nullptr;
  return sched_mutex_unlock(m, &holder) == MutexResult::Ok;
}

WakeReason sleep_on_reason(wait_queue_head_t* wq) {
  might_sleep("sleep_on", __builtin_return_address(0));
  if (g_trace_enabled)
    trace_event(TraceType::Sleep, trace_ptr(trace_intern(wq->name)), current_thread()->id);
  return core.block_on(wq);
}

WakeReason sleep_on_linked(wait_queue_head_t* wq, void (*linked)(void*), void* ctx,
                           const void* caller) {
  might_sleep("sleep_on", caller);
  if (g_trace_enabled)
    trace_event(TraceType::Sleep, trace_ptr(trace_intern(wq->name)), current_thread()->id);
  return core.block_on(wq, linked, ctx);
}

namespace {
bool cleanup_race_on = false;
Thread* cleanup_race_thread = nullptr;  // the rmmod thread in cleanup_module, or null
const char* cleanup_race_module = nullptr;

// The tick between a test and the sleep: the lost-wakeup window, widened to a whole tick.
void cleanup_race_window(const char* call, const wait_queue_head_t* wq) {
  if (!cleanup_race_thread || cleanup_race_thread != current_thread() || !cpu::interrupts_enabled())
    return;
  const unsigned long j = jiffies;
  while (jiffies == j) cpu::sti_and_hlt();  // irq_exit has drained tq_timer when we are back
  kprintf("cleanup_race: %s: tick %lu ran before cleanup_module's %s(%s) queued it\n",
          cleanup_race_module, jiffies, call, wq->name ? wq->name : "?");
}
}  // namespace

void sched_set_cleanup_race(bool on) { cleanup_race_on = on; }
void sched_cleanup_race(Thread* t, const char* module) {
  if (!cleanup_race_on) return;
  cleanup_race_module = module;
  cleanup_race_thread = t;
}

}  // namespace quartz

using namespace quartz;

extern "C" {

[[noreturn]] void thread_bootstrap() {
  Thread* t = current_thread();
  cpu::raw_sti();  // switched to with the scheduler's guard held by the previous thread
  t->entry(t->arg);
  thread_exit();
}

void __init_waitqueue_head(wait_queue_head_t* wq, const char* name) {
  sched_detail::wq_init(wq);
  wq->name = name;
}

void wake_up(wait_queue_head_t* wq) {
  // The name is read first: once woken, a sleeper may free the memory holding wq (a job
  // woken by its thread's last wake_up frees the job) while this thread is preempted.
  const char* name = wq->name;
  const int n = core.wake_up(wq);
  if (g_trace_enabled) trace_event(TraceType::WakeUp, trace_ptr(trace_intern(name)), uint32_t(n));
}

void sleep_on(wait_queue_head_t* wq) {
  might_sleep("sleep_on", __builtin_return_address(0));
  cleanup_race_window("sleep_on", wq);
  if (g_trace_enabled)
    trace_event(TraceType::Sleep, trace_ptr(trace_intern(wq->name)), current_thread()->id);
  core.block_on(wq);
}
// The guide's footnote: module_sleep_on and sleep_on are the same function.
void module_sleep_on(wait_queue_head_t* wq) __attribute__((alias("sleep_on")));

void prepare_to_wait(wait_queue_head_t* wq) {
  might_sleep("wait_event", __builtin_return_address(0));
  cleanup_race_window("prepare_to_wait", wq);
  if (g_trace_enabled)
    trace_event(TraceType::Sleep, trace_ptr(trace_intern(wq->name)), current_thread()->id);
  core.prepare_to_wait(wq);
}

void prepare_to_wait_timeout(wait_queue_head_t* wq, unsigned long deadline) {
  might_sleep("wait_event_timeout", __builtin_return_address(0));
  cleanup_race_window("prepare_to_wait_timeout", wq);
  core.prepare_to_wait(wq, true, deadline);
}

void schedule(void) {
  might_sleep("schedule", __builtin_return_address(0));
  core.schedule();
}

void finish_wait(wait_queue_head_t* wq) { core.finish_wait(wq); }

}  // extern "C"
