// In-kernel self-tests of kernel timers under real ticks: expiry at the right jiffy,
// self re-arming, del_timer_sync, shutdown, the bottom-half order (timers before
// tq_timer), bh_disable, interrupt context, and kfree of an armed timer.
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/bottom_half.h"
#include "kernel/kheap.h"
#include "kernel/ktimer.h"
#include "kernel/selftest.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"

namespace quartz {
namespace {

struct Probe {
  timer_list timer;
  volatile unsigned long fired_at = 0;
  volatile int count = 0;
  volatile int rearm = 0;  // re-arm for jiffies + 1 this many more times
  volatile bool irq_ctx = false, irqs_on = false;
  volatile unsigned long order = 0;
};
volatile unsigned long g_order = 0;

void probe_fn(timer_list* t) {
  Probe* p = from_timer(p, t, timer);
  p->fired_at = jiffies;
  p->count = p->count + 1;
  p->irq_ctx = in_interrupt();
  p->irqs_on = cpu::interrupts_enabled();
  g_order = g_order + 1;
  p->order = g_order;
  if (p->rearm > 0) {
    p->rearm = p->rearm - 1;
    mod_timer(t, jiffies + 1);
  }
}

SELFTEST(timer_fires_at_its_jiffy_in_interrupt_context) {
  static Probe p;
  timer_setup(&p.timer, probe_fn, 0);
  wait_ticks(1);
  const unsigned long at = jiffies + 5;
  ST_EXPECT(mod_timer(&p.timer, at) == 0);
  ST_EXPECT(timer_pending(&p.timer));
  wait_ticks(3);
  ST_EXPECT(p.count == 0);
  wait_ticks(4);
  ST_EXPECT(p.count == 1);
  ST_EXPECT(p.fired_at == at);
  ST_EXPECT(p.irq_ctx && p.irqs_on);
  ST_EXPECT(!timer_pending(&p.timer));
  return true;
}

SELFTEST(timer_rearms_itself_each_tick_and_del_sync_stops_it) {
  static Probe p;
  timer_setup(&p.timer, probe_fn, 0);
  p.rearm = 1000;
  p.timer.expires = jiffies + 1;
  add_timer(&p.timer);
  wait_ticks(10);
  ST_EXPECT(p.count >= 8);
  ST_EXPECT(del_timer_sync(&p.timer) == 1);
  const int frozen = p.count;
  wait_ticks(3);
  ST_EXPECT(p.count == frozen);
  ST_EXPECT(del_timer_sync(&p.timer) == 0);
  return true;
}

SELFTEST(timer_mod_moves_and_del_disarms) {
  static Probe p;
  timer_setup(&p.timer, probe_fn, 0);
  ST_EXPECT(mod_timer(&p.timer, jiffies + 100) == 0);
  ST_EXPECT(mod_timer(&p.timer, jiffies + 2) == 1);
  wait_ticks(4);
  ST_EXPECT(p.count == 1);
  ST_EXPECT(mod_timer(&p.timer, jiffies + 2) == 0);
  ST_EXPECT(del_timer(&p.timer) == 1);
  ST_EXPECT(del_timer(&p.timer) == 0);
  wait_ticks(4);
  ST_EXPECT(p.count == 1);
  return true;
}

SELFTEST(timer_shutdown_refuses_later_arming) {
  static Probe p;
  timer_setup(&p.timer, probe_fn, 0);
  mod_timer(&p.timer, jiffies + 50);
  ST_EXPECT(timer_shutdown_sync(&p.timer) == 1);
  ST_EXPECT(mod_timer(&p.timer, jiffies + 1) == 0);  // refused (said once)
  add_timer(&p.timer);                               // refused quietly
  ST_EXPECT(!timer_pending(&p.timer));
  timer_setup(&p.timer, probe_fn, 0);  // usable again
  ST_EXPECT(mod_timer(&p.timer, jiffies + 50) == 0 && timer_pending(&p.timer));
  ST_EXPECT(del_timer_sync(&p.timer) == 1);
  return true;
}

// Linux's order: TIMER_BH before TQUEUE_BH within one tick.
volatile unsigned long g_tq_order = 0;
void order_routine(void*) {
  g_order = g_order + 1;
  g_tq_order = g_order;
}

SELFTEST(timer_runs_before_tq_timer_in_one_tick) {
  static Probe p;
  static tq_struct task;
  INIT_TQUEUE(&task, order_routine, nullptr);
  timer_setup(&p.timer, probe_fn, 0);
  wait_ticks(1);
  {
    InterruptDisabler guard;  // both become due at the same tick
    mod_timer(&p.timer, jiffies + 1);
    queue_task(&task, &tq_timer);
  }
  wait_ticks(3);
  ST_EXPECT(p.count == 1 && g_tq_order != 0);
  ST_EXPECT(p.order < g_tq_order);
  return true;
}

SELFTEST(timer_held_off_by_bh_disable) {
  static Probe p;
  timer_setup(&p.timer, probe_fn, 0);
  bh_disable();
  mod_timer(&p.timer, jiffies + 1);
  wait_ticks(4);
  const int while_held = p.count;
  bh_enable();
  wait_ticks(2);
  ST_EXPECT(while_held == 0);
  ST_EXPECT(p.count == 1);
  return true;
}

SELFTEST(timer_kfree_of_an_armed_timer_disarms_it) {
  auto* p = static_cast<Probe*>(kzalloc(sizeof(Probe)));
  ST_EXPECT(p != nullptr);
  timer_setup(&p->timer, probe_fn, 0);
  mod_timer(&p->timer, jiffies + 2);
  const unsigned long before = timer_stats().armed;
  kfree(p);  // reports "free of an active timer"
  ST_EXPECT(timer_stats().armed == before - 1);
  wait_ticks(4);  // nothing runs from freed memory
  return true;
}

}  // namespace
}  // namespace quartz
