// In-kernel self-tests of tasklets and tq_immediate under real interrupts: a scheduled
// tasklet runs once at the next irq_exit in interrupt context, disable/enable, kill,
// hi before normal, the bottom-half order, mark_bh(IMMEDIATE_BH), kfree of a scheduled one.
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/bottom_half.h"
#include "kernel/kheap.h"
#include "kernel/ktasklet.h"
#include "kernel/ktimer.h"
#include "kernel/selftest.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"
#include <quartz/interrupt.h>

namespace quartz {
namespace {

volatile unsigned long g_seq = 0;
unsigned long next_seq() {
  g_seq = g_seq + 1;
  return g_seq;
}

struct TProbe {
  tasklet_struct tl;
  volatile int count = 0;
  volatile unsigned long at = 0, seq = 0;
  volatile bool irq_ctx = false, irqs_on = false;
  volatile int reschedule = 0;
};

void tprobe_fn(tasklet_struct* t) {
  TProbe* p = from_tasklet(p, t, tl);
  p->count = p->count + 1;
  p->at = jiffies;
  p->seq = next_seq();
  p->irq_ctx = in_interrupt();
  p->irqs_on = cpu::interrupts_enabled();
  if (p->reschedule > 0) {
    p->reschedule = p->reschedule - 1;
    tasklet_schedule(t);
  }
}

volatile unsigned long g_old_data = 0;
volatile int g_old_count = 0;
void old_fn(unsigned long data) {
  g_old_data = data;
  g_old_count = g_old_count + 1;
}

SELFTEST(tasklet_runs_once_at_the_next_irq_exit_in_interrupt_context) {
  static TProbe p;
  tasklet_setup(&p.tl, tprobe_fn);
  {
    InterruptDisabler guard;  // three schedules before it can run: it runs once
    tasklet_schedule(&p.tl);
    tasklet_schedule(&p.tl);
    tasklet_schedule(&p.tl);
  }
  const unsigned long at = jiffies;
  wait_ticks(2);
  ST_EXPECT(p.count == 1);
  ST_EXPECT(p.at - at <= 1);
  ST_EXPECT(p.irq_ctx && p.irqs_on);
  return true;
}

SELFTEST(tasklet_old_form_gets_its_data) {
  static DECLARE_TASKLET_OLD(old, old_fn);
  g_old_count = 0;
  tasklet_schedule(&old);
  wait_ticks(2);
  ST_EXPECT(g_old_count == 1 && g_old_data == 0);
  static tasklet_struct t2;
  tasklet_init(&t2, old_fn, 0x77);
  tasklet_hi_schedule(&t2);
  wait_ticks(2);
  ST_EXPECT(g_old_count == 2 && g_old_data == 0x77);
  return true;
}

SELFTEST(tasklet_disabled_stays_scheduled_and_runs_once_enabled) {
  static TProbe p;
  tasklet_setup(&p.tl, tprobe_fn);
  tasklet_disable(&p.tl);
  tasklet_disable(&p.tl);  // nests
  tasklet_schedule(&p.tl);
  wait_ticks(3);
  ST_EXPECT(p.count == 0);
  tasklet_enable(&p.tl);
  wait_ticks(2);
  ST_EXPECT(p.count == 0);
  tasklet_enable(&p.tl);
  wait_ticks(2);
  ST_EXPECT(p.count == 1);
  return true;
}

SELFTEST(tasklet_kill_waits_until_neither_scheduled_nor_running) {
  static TProbe p;
  tasklet_setup(&p.tl, tprobe_fn);
  p.reschedule = 5;  // reschedules itself five times
  tasklet_schedule(&p.tl);
  tasklet_kill(&p.tl);  // the scheduled run happens first (Linux)
  ST_EXPECT(p.count >= 1);
  ST_EXPECT(!(p.tl.state & TASKLET_STATE_SCHED) || p.reschedule > 0);
  while (p.reschedule > 0) tasklet_kill(&p.tl);
  tasklet_kill(&p.tl);
  const int frozen = p.count;
  wait_ticks(2);
  ST_EXPECT(p.count == frozen && frozen == 6);
  return true;
}

SELFTEST(tasklet_hi_runs_before_normal) {
  static TProbe lo, hi;
  tasklet_setup(&lo.tl, tprobe_fn);
  tasklet_setup(&hi.tl, tprobe_fn);
  {
    InterruptDisabler guard;
    tasklet_schedule(&lo.tl);
    tasklet_hi_schedule(&hi.tl);
  }
  wait_ticks(2);
  ST_EXPECT(lo.count == 1 && hi.count == 1);
  ST_EXPECT(hi.seq < lo.seq);
  return true;
}

// The bottom-half order of one irq_exit: timers, tq_timer, tq_immediate, tasklets.
volatile unsigned long g_timer_seq = 0, g_tq_seq = 0, g_imm_seq = 0;
TProbe g_order_tasklet;
void order_timer_fn(timer_list*) { g_timer_seq = next_seq(); }
void order_tq_fn(void*) { g_tq_seq = next_seq(); }
void order_imm_fn(void*) { g_imm_seq = next_seq(); }

SELFTEST(tasklet_runs_after_timers_tq_timer_and_tq_immediate) {
  static timer_list t;
  static tq_struct tq, imm;
  timer_setup(&t, order_timer_fn, 0);
  INIT_TQUEUE(&tq, order_tq_fn, nullptr);
  INIT_TQUEUE(&imm, order_imm_fn, nullptr);
  tasklet_setup(&g_order_tasklet.tl, tprobe_fn);
  wait_ticks(1);
  {
    // All four pending for the next interrupt's irq_exit, which is the tick (nothing
    // else interrupts a self-test): the timer is due at that tick.
    InterruptDisabler guard;
    mod_timer(&t, jiffies + 1);
    queue_task(&tq, &tq_timer);
    queue_task(&imm, &tq_immediate);
    mark_bh(IMMEDIATE_BH);
    tasklet_schedule(&g_order_tasklet.tl);
  }
  wait_ticks(3);
  ST_EXPECT(g_timer_seq && g_tq_seq && g_imm_seq && g_order_tasklet.seq);
  ST_EXPECT(g_timer_seq < g_tq_seq);
  ST_EXPECT(g_tq_seq < g_imm_seq);
  ST_EXPECT(g_imm_seq < g_order_tasklet.seq);
  return true;
}

volatile int g_imm_count = 0;
volatile bool g_imm_irq = false;
void imm_count_fn(void*) {
  g_imm_count = g_imm_count + 1;
  g_imm_irq = in_interrupt();
}

SELFTEST(tq_immediate_runs_at_the_next_irq_exit_after_mark_bh) {
  static tq_struct imm;
  INIT_TQUEUE(&imm, imm_count_fn, nullptr);
  g_imm_count = 0;
  queue_task(&imm, &tq_immediate);
  wait_ticks(3);
  ST_EXPECT(g_imm_count == 0);  // queued, not marked: not run
  mark_bh(IMMEDIATE_BH);
  wait_ticks(2);
  ST_EXPECT(g_imm_count == 1 && g_imm_irq);
  mark_bh(42);  // refused with one line, nothing marked
  return true;
}

// Scheduled from a bottom half (a tq_timer routine, a timer function): later in the same
// bottom half, not an irq_exit later (Linux's softirq restart).
TProbe g_same_pass;
volatile unsigned long g_routine_at = 0, g_timer_at = 0;
void scheduling_routine(void*) {
  g_routine_at = jiffies;
  tasklet_schedule(&g_same_pass.tl);
}
void scheduling_timer(timer_list*) {
  g_timer_at = jiffies;
  tasklet_schedule(&g_same_pass.tl);
}

SELFTEST(tasklet_scheduled_from_a_bottom_half_runs_in_the_same_pass) {
  static tq_struct task;
  static timer_list t;
  tasklet_setup(&g_same_pass.tl, tprobe_fn);
  INIT_TQUEUE(&task, scheduling_routine, nullptr);
  queue_task(&task, &tq_timer);
  wait_ticks(3);
  ST_EXPECT(g_same_pass.count == 1 && g_same_pass.at == g_routine_at);
  timer_setup(&t, scheduling_timer, 0);
  mod_timer(&t, jiffies + 2);
  wait_ticks(4);
  ST_EXPECT(g_same_pass.count == 2 && g_same_pass.at == g_timer_at);
  return true;
}

SELFTEST(tasklet_held_off_by_bh_disable) {
  static TProbe p;
  tasklet_setup(&p.tl, tprobe_fn);
  bh_disable();
  tasklet_schedule(&p.tl);
  wait_ticks(3);
  const int held = p.count;
  bh_enable();
  wait_ticks(2);
  ST_EXPECT(held == 0 && p.count == 1);
  return true;
}

SELFTEST(tasklet_kfree_of_a_scheduled_tasklet_takes_it_off) {
  auto* p = static_cast<TProbe*>(kzalloc(sizeof(TProbe)));
  ST_EXPECT(p != nullptr);
  tasklet_setup(&p->tl, tprobe_fn);
  tasklet_disable(&p->tl);  // scheduled and held, so it is still scheduled at the kfree
  tasklet_schedule(&p->tl);
  const unsigned long before = g_tasklet_base.scheduled;
  kfree(p);  // reports "free of a scheduled tasklet"
  ST_EXPECT(g_tasklet_base.scheduled == before - 1);
  wait_ticks(2);
  return true;
}

}  // namespace
}  // namespace quartz
