// The kernel's mutexes (quartz/mutex.h): the logic of kernel/lib/mutex_core.h on the
// scheduler's core, plus what only the kernel can do: might_sleep in mutex_lock, the
// "deadlock" panic, the one-line BUG reports of a bad unlock naming the caller, and the
// exports that let modules use them.
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/console.h"
#include "kernel/might_sleep.h"
#include <quartz/export.h>
#include "kernel/lib/format.h"
#include "kernel/kallsyms.h"
#include <quartz/mutex.h>
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/tq_kernel.h"

namespace quartz {
namespace {

const char* mutex_name(const mutex* m) { return m->wait.name ? m->wait.name : "(unnamed)"; }

// "function+0xoff" for a return address in the kernel or a module, else the address.
void name_caller(const void* caller, char* buf, size_t len) {
  const auto addr = reinterpret_cast<uintptr_t>(caller);
  const char* sym;
  uint32_t off;
  if (ksyms_lookup(addr, &sym, &off))
    snformat(buf, len, "%s+0x%x", sym, off);
  else if (!fault_name_address(addr, buf, len))
    snformat(buf, len, "%p", caller);
}

// mutex_trylock and mutex_unlock never sleep, but "the holder" is a thread: from an
// interrupt handler or a task-queue routine they would act for whichever thread was
// interrupted. Refused with a report, like a bad unlock.
bool refuse_outside_thread(const char* what, const mutex* m, const void* caller) {
  if (!in_interrupt() && !tq_current_routine()) [[likely]]
    return false;
  char where[64];
  name_caller(caller, where, sizeof where);
  kprintf("BUG: %s(%s) from interrupt context (called from %s); refused\n", what, mutex_name(m),
          where);
  return true;
}

}  // namespace
}  // namespace quartz

using namespace quartz;

extern "C" {

void __mutex_init(struct mutex* m, const char* name) {
  if (name && name[0] == '&') ++name;  // mutex_init(&lock) names it "lock"
  __init_waitqueue_head(&m->wait, name);
  m->owner = nullptr;
}

void mutex_lock(struct mutex* m) {
  const void* caller = __builtin_return_address(0);
  might_sleep("mutex_lock", caller);
  if (sched_mutex_lock(m) == MutexResult::Deadlock) [[unlikely]] {
    char where[64];
    name_caller(caller, where, sizeof where);
    panic("mutex_lock: deadlock: thread %s locks mutex %s, which it already holds (from %s)",
          current_thread()->name, mutex_name(m), where);
  }
}

int mutex_trylock(struct mutex* m) {
  if (refuse_outside_thread("mutex_trylock", m, __builtin_return_address(0))) return 0;
  return sched_mutex_trylock(m) ? 1 : 0;
}

void mutex_unlock(struct mutex* m) {
  const void* caller = __builtin_return_address(0);
  if (refuse_outside_thread("mutex_unlock", m, caller)) return;
  Thread* holder = nullptr;
  const MutexResult r = sched_mutex_unlock(m, &holder);
  if (r == MutexResult::Ok) [[likely]]
    return;
  char where[64];
  name_caller(caller, where, sizeof where);
  if (r == MutexResult::NotLocked)
    kprintf("BUG: mutex_unlock(%s) of an unlocked mutex by thread %s (from %s); nothing changed\n",
            mutex_name(m), current_thread()->name, where);
  else
    kprintf(
        "BUG: mutex_unlock(%s) by thread %s, which does not hold it (thread %s does; from "
        "%s); nothing changed\n",
        mutex_name(m), current_thread()->name, holder ? holder->name : "?", where);
}

int mutex_is_locked(struct mutex* m) { return mutex_is_locked_now(m) ? 1 : 0; }

}  // extern "C"

EXPORT_SYMBOL(__mutex_init);
EXPORT_SYMBOL(mutex_lock);
EXPORT_SYMBOL(mutex_trylock);
EXPORT_SYMBOL(mutex_unlock);
EXPORT_SYMBOL(mutex_is_locked);
