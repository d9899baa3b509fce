// Self-tests of the --linux emulation's kernel side (kernel/compat/): a thread asleep on a
// Linux 2.2 wait queue is seen where the unloader looks, and the queue pointer goes NULL
// -> entry -> sentinel as in 2.2; 2.2's tq_timer runs tasks after the next tick, last
// queued first.
#include "kernel/compat/compat.h"
#include "kernel/lib/kstring.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/timer.h"

#define QUARTZ_LINUX 0x020200
#include "modules/compat/linux/sched.h"
#include "modules/compat/linux/tqueue.h"

namespace quartz {
namespace {
struct wait_queue* g_selftest_wq22 = nullptr;
volatile bool g_sleeper_done = false;

void sleeper22(void*) {
  linux22_sleep_on(&g_selftest_wq22);
  g_sleeper_done = true;
}

struct Found {
  int n = 0;
  char queue[24] = {};
};
void found(void* ctx, const Thread& t) {
  auto* f = static_cast<Found*>(ctx);
  ++f->n;
  if (t.sched.waiting_on && t.sched.waiting_on->name)
    str_copy(f->queue, t.sched.waiting_on->name, sizeof f->queue);
}
}  // namespace

SELFTEST(linux22_wait_queue_sleeper_is_found_by_range) {
  g_selftest_wq22 = nullptr;
  g_sleeper_done = false;
  const auto lo = reinterpret_cast<uintptr_t>(&g_selftest_wq22);
  ST_EXPECT(thread_create("sleeper22", sleeper22, nullptr) != nullptr);
  sleep_ticks(3);
  ST_EXPECT(g_selftest_wq22 != nullptr && !g_sleeper_done);
  Found f;
  linux22_waiters_in_range(lo, lo + sizeof g_selftest_wq22, found, &f);
  ST_EXPECT(f.n == 1);
  // Named by ksyms_describe: a module's variable by its name (ps shows "WaitQ" for the
  // guide's modules, tests/qemu/test_guide.py); kernel data by its address.
  ST_EXPECT(f.queue[0] != 0);
  Found outside;
  linux22_waiters_in_range(lo + sizeof g_selftest_wq22, lo + 64, found, &outside);
  ST_EXPECT(outside.n == 0);
  linux22_wake_up(&g_selftest_wq22);
  sleep_ticks(3);
  ST_EXPECT(g_sleeper_done);
  // 2.2's circular list: the pointer now points at the sentinel, one word before it.
  ST_EXPECT(reinterpret_cast<uintptr_t>(g_selftest_wq22) == lo - sizeof(void*));
  Found after;
  linux22_waiters_in_range(lo, lo + sizeof g_selftest_wq22, found, &after);
  ST_EXPECT(after.n == 0);
  return true;
}

namespace {
volatile int g_order[3];
volatile int g_runs = 0;
void record22(void* data) {
  if (g_runs < 3) g_order[g_runs] = int(reinterpret_cast<intptr_t>(data));
  g_runs = g_runs + 1;
}
}  // namespace

SELFTEST(linux22_tq_timer_runs_after_the_tick_last_queued_first) {
  static struct tq_struct a = {nullptr, 0, record22, reinterpret_cast<void*>(1)};
  static struct tq_struct b = {nullptr, 0, record22, reinterpret_cast<void*>(2)};
  g_runs = 0;
  ST_EXPECT(linux22_queue_task(&a, &linux22_tq_timer) == 1);
  ST_EXPECT(linux22_queue_task(&b, &linux22_tq_timer) == 1);
  ST_EXPECT(linux22_queue_task(&a, &linux22_tq_timer) == 0);  // already pending
  sleep_ticks(2);
  ST_EXPECT(g_runs == 2);
  ST_EXPECT(g_order[0] == 2 && g_order[1] == 1);
  ST_EXPECT(a.sync == 0 && b.sync == 0 && linux22_tq_timer == nullptr);
  return true;
}
}  // namespace quartz
