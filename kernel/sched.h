// Kernel threads and the scheduler: the instance of kernel/lib/sched_core.h with the real
// context switch, thread stacks with guard pages, preemption on interrupt exit, the
// sleep_on watchdog, and the wait-queue C API (quartz/wait.h).
//
// Contract: thread_create/thread_exit/thread_yield/sleep functions from thread context;
// sched_timer_tick from IRQ 0; sched_preempt_on_irq_exit from the outermost interrupt exit.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/lib/mutex_core.h"
#include "kernel/lib/sched_core.h"
#include <quartz/wait.h>

namespace quartz {
struct JmpBuf;
struct Process;

struct Thread {
  SchedThread sched;  // first: Thread* and SchedThread* convert by static_cast
  IntrusiveListNode all_node;
  uint32_t id = 0;
  char name[16] = {};
  uint32_t saved_esp = 0;    // while not running
  uintptr_t stack_low = 0;   // lowest mapped stack byte; the guard page is below it
  uintptr_t stack_high = 0;  // one past the highest (idle: the boot stack's bounds)
  int stack_slot = -1;       // -1: the boot stack (the idle thread)
  void (*entry)(void*) = nullptr;
  void* arg = nullptr;
  JmpBuf* fault_recovery = nullptr;  // the shell arms it around each command
  uint32_t preempt_off = 0;          // preempt_disable depth: not preempted while > 0
  Process* process = nullptr;        // the user process this thread runs (null: kernel)
  bool interruptible = false;        // its sleep may be ended by a signal (sched_wake_thread)
};

constexpr size_t kThreadStackSize = 16 * 1024;

// Boot: the running context becomes the idle thread "idle".
void sched_init();
// Creates a thread that runs entry(arg) and exits when it returns. Null if out of memory.
Thread* thread_create(const char* name, void (*entry)(void*), void* arg);
[[noreturn]] void thread_exit();
void thread_yield();
Thread* current_thread();
// Frees the stacks of exited threads (idle loop, thread_create).
void thread_reap();
// The idle loop: halts the CPU until an interrupt, forever.
[[noreturn]] void sched_idle_loop();
// Sleeps the current thread for exactly `ticks` ticks (any number: beyond the deadline
// horizon, QUARTZ_TIMEOUT_HORIZON, it sleeps in chunks). Thread context.
void sleep_ticks(uint64_t ticks);

void sched_timer_tick();  // IRQ 0, interrupts off (not `sched_tick`: that is the module's routine)
extern const volatile bool* const g_need_resched;  // read by the interrupt exit path
// TSC units spent halted in the idle thread (accounted by the interrupt that ends each
// halt): benchmarks subtract it so that, under -icount, they count only instructions.
extern volatile bool g_idle_halted;
extern volatile uint64_t g_idle_halt_tsc;
extern volatile uint64_t g_idle_tsc_total;
void sched_account_idle();  // interrupt entry, when g_idle_halted
// The TSC minus the time spent halted: under -icount, the instructions executed so far.
uint64_t busy_tsc();
bool sched_need_resched();
void sched_preempt_on_irq_exit();  // outermost interrupt exit, interrupts off
// Linux's preempt_disable/preempt_enable, for the current thread at thread level: while
// disabled, an interrupt's exit does not switch it away (a wakeup's reschedule waits for
// preempt_enable, which does it). It never blocks and interrupts stay on: the console
// uses it so that one kprintf's text is not cut by another thread's. Nests. Calls at
// interrupt level, or before the scheduler runs, do nothing.
void preempt_disable();
void preempt_enable();
void sched_set_slice(unsigned ticks);
unsigned sched_slice();
// Ticks a sleep_on sleeper may wait before the watchdog releases it (0: never).
void sched_set_watchdog(unsigned long ticks);
unsigned long sched_watchdog();
unsigned long sched_watchdog_releases();
// cleanup_race=1 on the command line (docs/labs/lab5.md): while thread `t` runs module
// `module`'s cleanup_module, every sleep it starts through the module API (sleep_on,
// module_sleep_on, prepare_to_wait, prepare_to_wait_timeout) first waits, interrupts on,
// for the next tick and that tick's tq_timer drain, and says so: a tick lands between
// any test cleanup_module made and its sleep, every time (the lost-wakeup window of
// `lostwakeup sleep_on`, made to happen in a module). t == nullptr ends it. Off: nothing.
void sched_set_cleanup_race(bool on);
void sched_cleanup_race(Thread* t, const char* module);
// Calls fn for each thread sleeping on a wait queue that lies in [lo, hi): what a module
// about to be freed must not leave behind. Thread context.
void threads_waiting_in_range(uintptr_t lo, uintptr_t hi, void (*fn)(void* ctx, const Thread& t),
                              void* ctx);
// Which threads may still execute code in [lo, hi) (a module's text, before it is freed):
// for every thread but the caller that has not exited, looks at its saved instruction
// pointer and the return addresses of its call chain (following saved frame pointers,
// and through interrupt frames to the interrupted EIP) and calls fn(ctx, thread, addr)
// once per thread found, with the innermost such address; fn may be null (just count).
// Returns how many were found. The scan runs with interrupts off into an array; fn runs
// after, with interrupts on, and may print or sleep; the threads it is given are not
// freed before the scan returns (reaping waits). Saved registers and stale stack words
// are not looked at: a thread that merely holds a pointer into the range is not found.
// Thread context (it takes a mutex); not reentrant from fn.
size_t threads_executing_in_range(uintptr_t lo, uintptr_t hi,
                                  void (*fn)(void* ctx, const Thread& t, uintptr_t addr),
                                  void* ctx);
// Calls fn(ctx, id, name) for every thread (for the trace dump's row names).
void thread_names_for_trace(void (*fn)(void* ctx, uint32_t id, const char* name), void* ctx);
// Wakes `t` if it is sleeping (on any queue, or in a timed sleep): what a signal does to
// a process in an interruptible sleep. Any context. Returns whether it woke it.
bool sched_wake_thread(Thread* t);
// Like sleep_on, but says why it returned (the lost-wakeup demonstration uses it).
WakeReason sleep_on_reason(wait_queue_head_t* wq);
// sleep_on that runs linked(ctx) with interrupts off once the caller is queued on wq,
// before it sleeps (Linux 2.2's `struct wait_queue *` is made non-NULL there, so a
// wake_up that sees it always finds the sleeper). `caller` names it for might_sleep.
WakeReason sleep_on_linked(wait_queue_head_t* wq, void (*linked)(void*), void* ctx,
                           const void* caller);

// The mutex logic (kernel/lib/mutex_core.h) on the scheduler's core, for kernel/mutex.cpp
// only, which adds might_sleep and the reports (quartz/mutex.h has the contract).
MutexResult sched_mutex_lock(mutex* m);
bool sched_mutex_trylock(mutex* m);
// *holder: the thread that held m (null if none), for the report of a bad unlock.
MutexResult sched_mutex_unlock(mutex* m, Thread** holder);
// Whether the current thread holds m. Any context.
bool mutex_held_by_current(const mutex* m);
// For fault recovery hooks (kernel/arch/x86/fault.h), which run in the fault path on
// behalf of the faulting thread, where mutex_unlock refuses to act: releases m if that
// thread holds it, handing it to the next waiter. Returns whether it did.
bool mutex_release_after_fault(mutex* m);
}  // namespace quartz
