// jiffies, HZ and the tick: IRQ 0 increments jiffies; `uptime` and `hz` live here.
#include "kernel/timer.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/might_sleep.h"
#include "kernel/lib/pit8253.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "drivers/pit.h"

extern "C" {
volatile unsigned long jiffies = 0;
}
volatile uint64_t quartz::g_tick_tsc = 0;

namespace quartz {
namespace {
uint32_t hz = pit::kDefaultHz;

// IRQ 0, interrupts off: asserted once per tick by sched_timer_tick's tick_irqs_off
// (a second check here would only add to the tick's cost).
void timer_irq(InterruptFrame&) {
  g_tick_tsc = cpu::rdtsc();
  // LAB(1) BEGIN: count the tick: jiffies goes up by one at every IRQ 0
  jiffies = jiffies + 1;
  // LAB(1) END
  sched_timer_tick();
  mark_tick_bh();  // irq_exit drains tq_timer after the EOI, interrupts on
}

int cmd_uptime(int, char**) {
  // LAB(1) BEGIN: print "up J ticks, S.CC s at HZ=H" (J = jiffies, seconds with two decimals, truncated)
  const unsigned long j = jiffies;
  const uint32_t h = hz;
  kprintf("up %lu ticks, %lu.%02lu s at HZ=%u\n", j, j / h, (j % h) * 100 / h, h);
  return 0;
  // LAB(1) STUB: kprintf("uptime: not implemented yet\n");
  // LAB(1) STUB: return 1;
  // LAB(1) END
}

int cmd_hz(int argc, char** argv) {
  if (argc == 2 && str_eq(argv[1], "--measure")) {
    // TSC units between ticks: under -icount shift=0 these are virtual nanoseconds,
    // so this checks what the PIT was really told.
    constexpr unsigned kTicks = 10;
    wait_ticks(1);
    const uint64_t start = cpu::rdtsc();
    wait_ticks(kTicks);
    const uint64_t per_tick = (cpu::rdtsc() - start) / kTicks;
    kprintf("HZ=%u: measured %llu TSC per tick over %u ticks\n", hz,
            static_cast<unsigned long long>(per_tick), kTicks);
    return 0;
  }
  if (argc == 1) {
    kprintf("HZ=%u\n", hz);
    return 0;
  }
  long long v;
  if (argc != 2 || !parse_int(argv[1], &v)) return shell_usage("hz");
  if (!timer_set_hz(v)) {
    kprintf("hz: %s is out of range (%u..%u)\n", argv[1], pit::kMinHz, pit::kMaxHz);
    return 1;
  }
  kprintf("HZ=%u\n", hz);
  return 0;
}

int cmd_sleep(int argc, char** argv) {
  long long ms;
  // Any value msleep takes (its unsigned int): 4294967295 ms is 49.7 days.
  if (argc != 2 || !parse_int(argv[1], &ms) || ms < 0 || ms > 0xFFFFFFFFll)
    return shell_usage("sleep");
  msleep(unsigned(ms));
  return 0;
}
}  // namespace

SHELL_COMMAND(sleep, "MS", "wait MS milliseconds (0..4294967295)", cmd_sleep);
SHELL_COMMAND(uptime, "", "ticks and seconds since boot", cmd_uptime);
SHELL_COMMAND(hz, "[N | --measure]", "show, set (19..1000) or measure the tick rate", cmd_hz);

uint32_t timer_hz() { return hz; }

void timer_init(uint32_t rate) {
  assert_irqs_off("timer_init");  // boot: no tick may come before the handler exists
  hz = rate;
  pit_set_hz(hz);
  irq_register(0, timer_irq);
}

void wait_ticks(unsigned long n) {
  might_sleep("wait_ticks", __builtin_return_address(0));
  const unsigned long target = jiffies + n;
  while (long(jiffies - target) < 0) cpu::sti_and_hlt();
}

bool timer_set_hz(long long rate) {
  if (!pit::hz_valid(rate)) return false;
  InterruptDisabler guard;
  hz = uint32_t(rate);
  pit_set_hz(hz);
  return true;
}

}  // namespace quartz
