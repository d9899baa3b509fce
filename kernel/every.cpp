// `every MS COMMAND`: periodic jobs, each a thread that sleeps MS and runs a shell command
// (the kernel's crontab); and `cronbench`, which puts numbers on the guide's two ways of
// running a module periodically: a job reading its /proc file, or a tq_timer task.
#include "arch/x86/cpu.h"
#include "arch/x86/irq_guard.h"
#include "cmdline.h"
#include "console.h"
#include "kheap.h"
#include "module.h"
#include "sched.h"
#include "shell.h"
#include "timer.h"

namespace quartz {
namespace {

struct Job {
  int id;
  unsigned long period;  // ticks
  volatile bool stop;
  volatile bool done;
  volatile unsigned long runs;
  char line[kShellLineMax + 1];
  char copy[kShellLineMax + 1];
};
constexpr int kMaxJobs = 8;
Job* jobs[kMaxJobs];  // the shell thread starts and stops jobs
int next_job_id = 1;

void job_thread(void* arg) {
  auto* job = static_cast<Job*>(arg);
  while (!job->stop) {
    sleep_ticks(job->period);
    if (job->stop) break;
    __builtin_memcpy(job->copy, job->line, sizeof job->copy);  // run_line splits in place
    shell_run_line(job->copy);
    job->runs = job->runs + 1;
  }
  job->done = true;
}

Job* start_job(unsigned long period, const char* line) {
  int slot = -1;
  for (int i = 0; i < kMaxJobs && slot < 0; ++i)
    if (!jobs[i]) slot = i;
  if (slot < 0) return nullptr;
  auto* job = static_cast<Job*>(kzalloc(sizeof(Job)));
  if (!job) return nullptr;
  job->id = next_job_id++;
  job->period = period ? period : 1;
  size_t n = __builtin_strlen(line);
  if (n > kShellLineMax) n = kShellLineMax;
  __builtin_memcpy(job->line, line, n);
  if (!thread_create("every", job_thread, job)) {
    kfree(job);
    return nullptr;
  }
  jobs[slot] = job;
  return job;
}

void stop_job(int slot) {
  Job* job = jobs[slot];
  job->stop = true;
  while (!job->done) sleep_ticks(1);
  jobs[slot] = nullptr;
  kfree(job);
}

unsigned long ms_to_ticks(long long ms) { return (unsigned long)((ms * timer_hz() + 999) / 1000); }

int cmd_every(int argc, char** argv) {
  if (argc == 1) {
    for (Job* j : jobs)
      if (j) kprintf("job %d: every %lu ticks: %s (%lu runs)\n", j->id, j->period, j->line, j->runs);
    return 0;
  }
  if (__builtin_strcmp(argv[1], "stop") == 0) {
    long long id = 0;
    const bool all = argc == 3 && __builtin_strcmp(argv[2], "all") == 0;
    if (argc != 3 || (!all && !parse_int(argv[2], &id))) return shell_usage("every");
    bool found = false;
    for (int i = 0; i < kMaxJobs; ++i) {
      if (jobs[i] && (all || jobs[i]->id == id)) {
        kprintf("every: job %d stopped after %lu runs\n", jobs[i]->id, jobs[i]->runs);
        stop_job(i);
        found = true;
      }
    }
    if (!found) kprintf("every: no such job\n");
    return found ? 0 : 1;
  }
  long long ms;
  if (argc < 3 || !parse_int(argv[1], &ms) || ms < 1 || ms > 3600000) return shell_usage("every");
  char line[kShellLineMax + 1];
  if (!shell_join(argc - 2, argv + 2, line, sizeof line)) {
    kprintf("every: command too long\n");
    return 1;
  }
  Job* job = start_job(ms_to_ticks(ms), line);
  if (!job) {
    kprintf("every: no room for another job (max %d)\n", kMaxJobs);
    return 1;
  }
  kprintf("every: job %d runs '%s' every %lld ms\n", job->id, line, ms);
  return 0;
}

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
  Job* job = start_job(1, "read /proc/cronwork");
  sleep_ticks(2);
  const unsigned long runs0 = job->runs;
  const uint64_t cron = busy_window(n);
  const unsigned long cron_acts = job->runs - runs0;
  for (int i = 0; i < kMaxJobs; ++i)
    if (jobs[i] == job) stop_job(i);
  module_unload("cronwork");
  // The second way: a task requeuing itself on tq_timer.
  if (module_load("tqwork") != 0) return 1;
  uintptr_t runs_addr = 0;
  module_symbol("tqwork", "tqwork_runs", &runs_addr);
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
  kprintf("cronbench: over %lu ticks: idle system %llu instructions\n", n,
          static_cast<unsigned long long>(base));
  kprintf("cronbench: every + /proc (the guide's first way): %lu activations, %llu instructions "
          "each\n", cron_acts, static_cast<unsigned long long>(per_cron));
  kprintf("cronbench: tq_timer task (the second way): %lu activations, %llu instructions each\n",
          tq_acts, static_cast<unsigned long long>(per_tq));
  kprintf("cronbench: the first way costs %llu.%llu times the second\n",
          static_cast<unsigned long long>(per_cron / (per_tq ? per_tq : 1)),
          static_cast<unsigned long long>((per_cron * 10 / (per_tq ? per_tq : 1)) % 10));
  return 0;
}
}  // namespace

SHELL_COMMAND(every, "[MS COMMAND... | stop ID|all]", "run a command periodically in a thread",
              cmd_every);
SHELL_COMMAND(cronbench, "[TICKS]", "the guide's two ways of periodic module work, measured",
              cmd_cronbench);

}  // namespace quartz
