// `deferbench`: the same periodic job (modules/periodic_work.h) driven by each of Linux's
// deferred-work mechanisms, measured side by side: instructions per activation, how late
// activations come while a CPU-bound thread runs, and how long rmmod takes; then the unload
// latency of the guide's module in each edition. A benchmark, not part of the mechanisms.
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/console.h"
#include "kernel/crontab.h"
#include "kernel/module/module.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {
// modules/periodic_work.h's struct periodic_work, as the kernel reads it.
struct PeriodicWork {
  volatile int runs;
  volatile unsigned long last;
  volatile unsigned long late_max;
  volatile unsigned long late_total;
  unsigned int state;
};

struct Mechanism {
  const char* key;        // the name in the output (and in tools/bench.py's rows)
  const char* module;     // the boot module that does the job
  const char* symbol;     // its struct periodic_work
  const char* cron_line;  // non-null: driven by a crontab job (a kernel thread) running this
};

// The mechanisms, oldest first. A module that is not among the boot modules is reported
// as not available and skipped.
constexpr Mechanism kMechanisms[] = {
    {"tq_timer", "tqwork", "tqwork_work", nullptr},
    {"timer", "timerwork", "timerwork_work", nullptr},
    {"tasklet", "taskletwork", "taskletwork_work", nullptr},
    {"workqueue", "workwork", "workwork_work", nullptr},
    {"cron_thread", "cronwork", "cronwork_work", "read /proc/cronwork"},
};

// The guide's module in each edition, with the unload protocol of its time: Quartz's own
// versions, then the guide's examples built with --linux (modules/guide), whose counter of
// activations (one per tick) is read to measure what one activation costs.
struct Edition {
  const char* module;
  const char* counter;  // its int count of activations, or null (not measured)
};
constexpr Edition kEditions[] = {{"sched", nullptr},       {"sched_legacy", nullptr},
                                 {"sched_timer", nullptr}, {"sched_tasklet", nullptr},
                                 {"sched_wq26", nullptr},  {"sched_work", nullptr},
                                 {"sched_dwork", nullptr}, {"sched22", "TickCount"},
                                 {"sched24", "TickCount"}, {"sched26", "WorkRuns"}};

// Instructions the CPU spends (idle excluded) while `ticks` ticks pass.
uint64_t busy_window(unsigned long ticks) {
  const uint64_t t0 = busy_tsc();
  sleep_ticks(ticks);
  return busy_tsc() - t0;
}

// The load: a kernel thread that never sleeps, until told to stop.
volatile bool spin_stop = false;
volatile bool spin_done = true;
void spinner(void*) {
  while (!spin_stop) {
  }  // no `pause`: under TCG it leaves the translated code at each turn (slow)
  spin_done = true;
}

// Loads m's module (and starts its cron job); null if it is not available.
PeriodicWork* start(const Mechanism& m, CronJob** job) {
  *job = nullptr;
  const int r = module_load(m.module);
  if (r == -ENOENT) {
    kprintf("deferbench: mechanism=%s not available (no boot module %s.ko)\n", m.key, m.module);
    return nullptr;
  }
  if (r != 0) return nullptr;
  uintptr_t addr = 0;
  if (!module_symbol(m.module, m.symbol, &addr)) {
    kprintf("deferbench: module %s has no symbol %s; not measured\n", m.module, m.symbol);
    module_unload(m.module);
    return nullptr;
  }
  if (m.cron_line && !(*job = crontab_start(1, m.cron_line))) {
    kprintf("deferbench: cannot start the job '%s'\n", m.cron_line);
    module_unload(m.module);
    return nullptr;
  }
  return reinterpret_cast<PeriodicWork*>(addr);
}

// Under load: w's late counters start again while a thread spins for n ticks. False if
// the spinning thread could not be created.
struct Load {
  int activations;
  unsigned long late_max, late_total;
};
bool under_load(PeriodicWork* w, unsigned long n, Load* out) {
  {
    InterruptDisabler guard;
    w->late_max = 0;
    w->late_total = 0;
  }
  const int runs1 = w->runs;
  spin_stop = false;
  spin_done = false;
  const bool loaded = thread_create("spin", spinner, nullptr) != nullptr;
  if (!loaded) spin_done = true;
  sleep_ticks(n);
  spin_stop = true;
  while (!spin_done) sleep_ticks(1);
  *out = {w->runs - runs1, w->late_max, w->late_total};
  return loaded;
}

void measure(const Mechanism& m, unsigned long n, uint64_t base) {
  CronJob* job;
  PeriodicWork* w = start(m, &job);
  if (!w) return;
  sleep_ticks(2);  // past the first activation
  const int runs0 = w->runs;
  const uint64_t busy = busy_window(n);
  const int acts = w->runs - runs0;

  Load load;
  const bool loaded = under_load(w, n, &load);
  const int load_acts = load.activations;
  const unsigned long late_max = load.late_max, late_total = load.late_total;

  if (job) crontab_stop(job);
  const unsigned long t0 = jiffies;
  module_unload(m.module);
  const unsigned long unload_ticks = jiffies - t0;
  if (acts <= 0 || load_acts <= 0 || !loaded) {
    kprintf("deferbench: mechanism=%s: no activations measured\n", m.key);
    return;
  }
  const uint64_t per = busy > base ? (busy - base) / unsigned(acts) : 0;
  kprintf(
      "deferbench: mechanism=%s activations=%d instructions=%llu load_activations=%d "
      "late_max=%lu late_mean_x100=%lu unload_ticks=%lu\n",
      m.key, acts, static_cast<unsigned long long>(per), load_acts, late_max,
      late_total * 100 / unsigned(load_acts), unload_ticks);
}

// The guide's module in one edition: load, let it count, unload; the ticks cleanup_module
// took, as the unloader measures them (rmmod's line), are what the edition's protocol costs.
// With a counter: the busy instructions over n ticks above the idle system's (`base`),
// divided by the activations counted meanwhile.
void edition(const Edition& e, unsigned long n, uint64_t base) {
  const char* name = e.module;
  const int r = module_load(name);
  if (r == -ENOENT) {
    kprintf("deferbench: edition=%s not available\n", name);
    return;
  }
  if (r != 0) return;
  sleep_ticks(10);
  char measured[96] = "";
  uintptr_t addr = 0;
  if (e.counter && module_symbol(name, e.counter, &addr)) {
    const volatile int* count = reinterpret_cast<const volatile int*>(addr);
    const int runs0 = *count;
    const uint64_t busy = busy_window(n);
    const int acts = *count - runs0;
    if (acts > 0)
      snformat(measured, sizeof measured, " activations=%d instructions=%llu", acts,
               static_cast<unsigned long long>(busy > base ? (busy - base) / unsigned(acts) : 0));
  }
  const unsigned long t0 = jiffies;
  const int u = module_unload(name);
  kprintf("deferbench: edition=%s unload_ticks=%lu%s%s\n", name, jiffies - t0, measured,
          u == 0 ? "" : " (not unloaded)");
}

// `deferbench watch MODULE [TICKS]`: MODULE's job is driven from outside (crond running
// `cat /proc/cronwork` as a process): its activations over TICKS quiet ticks, then how late
// they come while a kernel thread spins, as for the mechanisms above.
int watch(int argc, char** argv) {
  long long ticks = 100;
  if (argc < 3 || argc > 4 ||
      (argc == 4 && (!parse_int(argv[3], &ticks) || ticks < 10 || ticks > 10000)))
    return shell_usage("deferbench");
  const unsigned long n = static_cast<unsigned long>(ticks);
  char symbol[64];
  snformat(symbol, sizeof symbol, "%s_work", argv[2]);
  uintptr_t addr = 0;
  if (!module_symbol(argv[2], symbol, &addr)) {
    kprintf("deferbench: module %s is not loaded or has no symbol %s\n", argv[2], symbol);
    return 1;
  }
  auto* w = reinterpret_cast<PeriodicWork*>(addr);
  {
    InterruptDisabler guard;
    w->late_max = 0;
  }
  const int runs0 = w->runs;
  sleep_ticks(n);
  const int acts = w->runs - runs0;
  const unsigned long quiet_late_max = w->late_max;
  Load load;
  if (!under_load(w, n, &load) || acts <= 0 || load.activations <= 0) {
    kprintf("deferbench: watch %s: no activations measured (is something driving it?)\n", argv[2]);
    return 1;
  }
  kprintf(
      "deferbench: watched=%s activations=%d quiet_late_max=%lu load_activations=%d "
      "late_max=%lu late_mean_x100=%lu\n",
      argv[2], acts, quiet_late_max, load.activations, load.late_max,
      load.late_total * 100 / unsigned(load.activations));
  return 0;
}

int cmd_deferbench(int argc, char** argv) {
  if (argc >= 2 && __builtin_strcmp(argv[1], "watch") == 0) return watch(argc, argv);
  long long ticks = 100;
  if (argc > 2 || (argc == 2 && (!parse_int(argv[1], &ticks) || ticks < 10 || ticks > 10000)))
    return shell_usage("deferbench");
  const unsigned long n = static_cast<unsigned long>(ticks);
  const uint64_t base = busy_window(n);
  kprintf("deferbench: ticks=%lu idle_instructions=%llu (the system alone)\n", n,
          static_cast<unsigned long long>(base));
  for (const Mechanism& m : kMechanisms) measure(m, n, base);
  for (const Edition& e : kEditions) edition(e, n, base);
  return 0;
}
}  // namespace

SHELL_COMMAND(deferbench, "[TICKS] | watch MODULE [TICKS]",
              "one periodic job driven by each deferred-work mechanism, measured side by side",
              cmd_deferbench);
}  // namespace quartz
