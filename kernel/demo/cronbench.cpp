// `cronbench`: puts numbers on the guide's two ways of running a module periodically: a
// crontab job reading its /proc file (the first way), or a tq_timer task (the second).
// A benchmark, not part of the mechanism.
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/crontab.h"
#include "kernel/module/module.h"
#include "kernel/sched.h"
#include "kernel/shell.h"

namespace quartz {
namespace {
// Instructions the CPU spends (idle excluded) while `ticks` ticks pass.
uint64_t busy_window(unsigned long ticks) {
  const uint64_t t0 = busy_tsc();
  sleep_ticks(ticks);
  return busy_tsc() - t0;
}

int cmd_cronbench(int argc, char** argv) {
  long long ticks = 100;
  if (argc > 2 || (argc == 2 && (!parse_int(argv[1], &ticks) || ticks < 10 || ticks > 10000)))
    return shell_usage("cronbench");
  const unsigned long n = (unsigned long)ticks;
  if (module_load("cronwork") != 0) return 1;
  const uint64_t base = busy_window(n);
  // The first way: a job (a thread of its own, like cron's process) reads /proc/cronwork
  // at every tick.
  CronJob* job = crontab_start(1, "read /proc/cronwork");
  if (!job) {
    kprintf(
        "cronbench: cannot start the job that reads /proc/cronwork (%d jobs at most, "
        "or out of memory)\n",
        kMaxCronJobs);
    module_unload("cronwork");
    return 1;
  }
  sleep_ticks(2);
  const unsigned long runs0 = crontab_runs(job);
  const uint64_t cron = busy_window(n);
  const unsigned long cron_acts = crontab_runs(job) - runs0;
  crontab_stop(job);
  module_unload("cronwork");
  // The second way: a task requeuing itself on tq_timer.
  if (module_load("tqwork") != 0) return 1;
  uintptr_t runs_addr = 0;
  if (!module_symbol("tqwork", "tqwork_work", &runs_addr)) {
    kprintf("cronbench: module tqwork has no symbol tqwork_work; not measured\n");
    module_unload("tqwork");
    return 1;
  }
  auto* tq_runs = reinterpret_cast<volatile int*>(runs_addr);
  sleep_ticks(2);
  const int tq0 = *tq_runs;
  const uint64_t tq = busy_window(n);
  const unsigned long tq_acts = unsigned(*tq_runs - tq0);
  module_unload("tqwork");
  if (!cron_acts || !tq_acts) {
    kprintf("cronbench: no activations measured\n");
    return 1;
  }
  const uint64_t per_cron = (cron - base) / cron_acts, per_tq = (tq - base) / tq_acts;
  // key=value for tools/bench.py and the tests, then words for people.
  kprintf("cronbench: ticks=%lu idle_instructions=%llu (the system alone)\n", n,
          static_cast<unsigned long long>(base));
  kprintf(
      "cronbench: every_activations=%lu every_instructions=%llu (the guide's first way: "
      "every + /proc, per activation)\n",
      cron_acts, static_cast<unsigned long long>(per_cron));
  kprintf(
      "cronbench: tq_activations=%lu tq_instructions=%llu (the second way: a tq_timer task, "
      "per activation)\n",
      tq_acts, static_cast<unsigned long long>(per_tq));
  kprintf("cronbench: the first way costs %llu.%llu times the second\n",
          static_cast<unsigned long long>(per_cron / (per_tq ? per_tq : 1)),
          static_cast<unsigned long long>((per_cron * 10 / (per_tq ? per_tq : 1)) % 10));
  return 0;
}
}  // namespace

SHELL_COMMAND(cronbench, "[TICKS]", "the guide's two ways of periodic module work, measured",
              cmd_cronbench);
}  // namespace quartz
