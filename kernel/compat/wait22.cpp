// Linux 2.2's wait queues for --linux 2.2 modules: `struct wait_queue *q` kept exactly as
// 2.2 kept it (NULL, then the sleepers' circular list closed by a sentinel), and behind
// each such pointer a Quartz wait queue (a proxy) named after the module's variable, on
// which the sleeper really sleeps: ps, GDB's `threads`, the watchdog and the unloader see
// it like any other.
#include "kernel/compat/compat.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/kallsyms.h"
#include "kernel/lib/linux_compat.h"
#include "kernel/sched.h"
#include <quartz/export.h>

#define QUARTZ_LINUX 0x020200
#include "modules/compat/linux/wait.h"

namespace quartz {
namespace {
// One proxy per 2.2 queue someone sleeps on; freed when its last sleeper leaves.
struct Proxy {
  struct wait_queue** key = nullptr;  // the module's pointer
  wait_queue_head_t head{};
  char name[24] = {};
  int sleepers = 0;
};
constexpr int kMaxProxies = 16;
Proxy proxies[kMaxProxies];  // interrupts off

Proxy* find_locked(struct wait_queue** q) {
  for (Proxy& p : proxies)
    if (p.key == q) return &p;
  return nullptr;
}

Proxy* get_locked(struct wait_queue** q) {
  if (Proxy* p = find_locked(q)) return p;
  for (Proxy& p : proxies) {
    if (p.key) continue;
    p.key = q;
    // "WaitQ+0x0 [sched22]" names it; ps shows "WaitQ".
    ksyms_describe(reinterpret_cast<uintptr_t>(q), p.name, sizeof p.name);
    for (char* c = p.name; *c; ++c)
      if (*c == '+' || *c == ' ') *c = 0;
    __init_waitqueue_head(&p.head, p.name);
    return &p;
  }
  return nullptr;
}

struct Link {
  struct wait_queue** q;
  struct wait_queue* wait;
};
// Under the scheduler's guard, once the sleeper is queued on the proxy: 2.2's
// __add_wait_queue makes *q non-NULL.
void link_22(void* ctx) {
  auto* l = static_cast<Link*>(ctx);
  wq22_add(l->q, l->wait);
}
}  // namespace

void linux22_waiters_in_range(uintptr_t lo, uintptr_t hi, void (*fn)(void*, const Thread&),
                              void* ctx) {
  uintptr_t heads[kMaxProxies];
  int n = 0;
  {
    InterruptDisabler guard;
    for (Proxy& p : proxies) {
      const auto key = reinterpret_cast<uintptr_t>(p.key);
      if (p.key && p.sleepers && key >= lo && key < hi)
        heads[n++] = reinterpret_cast<uintptr_t>(&p.head);
    }
  }
  for (int i = 0; i < n; ++i) threads_waiting_in_range(heads[i], heads[i] + 1, fn, ctx);
}
}  // namespace quartz

using namespace quartz;

extern "C" {
// 2.2's sleep_on (and interruptible_sleep_on): thread context. Queued and linked in one
// interrupts-off step, then asleep until a wake_up on q (or the watchdog).
void linux22_sleep_on(struct wait_queue** q) {
  struct wait_queue wait = {reinterpret_cast<struct task_struct*>(current_thread()), nullptr};
  Proxy* p;
  {
    InterruptDisabler guard;
    p = get_locked(q);
    if (p) ++p->sleepers;
  }
  if (!p) {
    kprintf("sleep_on: more than %d Linux 2.2 wait queues in use; not sleeping\n", kMaxProxies);
    return;
  }
  Link link{q, &wait};
  sleep_on_linked(&p->head, link_22, &link, __builtin_return_address(0));
  InterruptDisabler guard;
  wq22_remove(&wait);  // 2.2's __remove_wait_queue: *q ends at the sentinel
  if (--p->sleepers == 0) *p = Proxy{};
}

// 2.2's wake_up (and wake_up_interruptible): wakes every sleeper on q. Any context.
void linux22_wake_up(struct wait_queue** q) {
  InterruptDisabler guard;
  if (Proxy* p = find_locked(q)) (wake_up)(&p->head);
}
}

EXPORT_SYMBOL(linux22_sleep_on);
EXPORT_SYMBOL(linux22_wake_up);
