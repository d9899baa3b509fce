// The kernel's crontab: `every MS COMMAND` periodic jobs, each a thread that sleeps MS
// and runs a shell command (the guide's "process run off crontab", as a kernel thread).
//
// Contract: every and the crontab_* calls run in any thread (the shell, `bg`, another job: a job's
// command may be `every ...` too); the job table is under jobs_lock. A job sleeps on its
// own wait queue between runs, so `every stop` wakes it at once and then sleeps until the
// job thread says it is done: no polling.
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/crontab.h"
#include <quartz/mutex.h>
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/lib/time_conv.h"
#include "kernel/timer.h"

namespace quartz {
struct CronJob {
  int id;
  unsigned long period;  // ticks
  Thread* thread;        // the job's thread, until it is done
  volatile bool stop;
  volatile bool done;
  volatile unsigned long runs;
  wait_queue_head_t sleep;  // the job waits its period here; stop_job wakes it early
  wait_queue_head_t exit;   // stop_job waits here for `done`
  char line[kShellLineMax + 1];
  char copy[kShellLineMax + 1];
};

namespace {

constexpr int kMaxJobs = kMaxCronJobs;
DEFINE_MUTEX(jobs_lock);
CronJob* jobs[kMaxJobs];  // under jobs_lock
int next_job_id = 1;      // under jobs_lock

void job_thread(void* arg) {
  auto* job = static_cast<CronJob*>(arg);
  for (;;) {
    wait_event_timeout(job->sleep, job->stop, job->period);
    if (job->stop) break;
    __builtin_memcpy(job->copy, job->line, sizeof job->copy);  // run_line splits in place
    shell_run_line(job->copy);
    job->runs = job->runs + 1;
  }
  job->done = true;
  wake_up(&job->exit);  // stop_job may free the job as soon as this wakes it
}

CronJob* start_job(unsigned long period, const char* line) {
  auto* job = static_cast<CronJob*>(kzalloc(sizeof(CronJob)));
  if (!job) return nullptr;
  job->period = period ? period : 1;
  __init_waitqueue_head(&job->sleep, "every");
  __init_waitqueue_head(&job->exit, "every_stop");
  size_t n = __builtin_strlen(line);
  if (n > kShellLineMax) n = kShellLineMax;
  __builtin_memcpy(job->line, line, n);
  mutex_lock(&jobs_lock);
  int slot = -1;
  for (int i = 0; i < kMaxJobs && slot < 0; ++i)
    if (!jobs[i]) slot = i;
  // The thread is created under the lock: it cannot be stopped before job->thread is set.
  if (slot >= 0) job->thread = thread_create("every", job_thread, job);
  if (slot < 0 || !job->thread) {
    mutex_unlock(&jobs_lock);
    kfree(job);
    return nullptr;
  }
  job->id = next_job_id++;
  jobs[slot] = job;
  mutex_unlock(&jobs_lock);
  return job;
}

// Under jobs_lock: takes the job in slot i out of the table if it matches (all, or its
// id), unless the caller is that job's own thread (it would wait for its own end).
// *matched: a job matched, taken or not.
CronJob* take_job_locked(int i, bool all, long long id, bool* matched) {
  CronJob* job = jobs[i];
  if (!job || (!all && job->id != id)) return nullptr;
  *matched = true;
  if (job->thread == current_thread()) {
    kprintf("every: job %d cannot stop itself; stop it from another thread\n", job->id);
    return nullptr;
  }
  jobs[i] = nullptr;
  return job;
}

// A job out of the table: wakes it from its period, sleeps until its thread is done,
// frees it. Returns how many times it ran.
unsigned long finish_job(CronJob* job) {
  job->stop = true;
  wake_up(&job->sleep);
  wait_event(job->exit, job->done);
  const unsigned long runs = job->runs;
  kfree(job);
  return runs;
}

// Stops a job this thread started (crontab_stop).
void stop_job(CronJob* job) {
  bool taken = false;
  mutex_lock(&jobs_lock);
  for (CronJob*& j : jobs)
    if (j == job) j = nullptr, taken = true;
  mutex_unlock(&jobs_lock);
  if (taken) finish_job(job);
}

int cmd_every(int argc, char** argv) {
  if (argc == 1) {
    mutex_lock(&jobs_lock);
    for (CronJob* j : jobs)
      if (j)
        kprintf("job %d: every %lu ticks: %s (%lu runs)\n", j->id, j->period, j->line, j->runs);
    mutex_unlock(&jobs_lock);
    return 0;
  }
  if (__builtin_strcmp(argv[1], "stop") == 0) {
    long long id = 0;
    const bool all = argc == 3 && __builtin_strcmp(argv[2], "all") == 0;
    if (argc != 3 || (!all && !parse_int(argv[2], &id))) return shell_usage("every");
    bool found = false;
    for (int i = 0; i < kMaxJobs; ++i) {
      mutex_lock(&jobs_lock);
      CronJob* job = take_job_locked(i, all, id, &found);
      mutex_unlock(&jobs_lock);
      if (!job) continue;
      const int job_id = job->id;
      kprintf("every: job %d stopped after %lu runs\n", job_id, finish_job(job));
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
  CronJob* job = start_job(static_cast<unsigned long>(ms_to_ticks(uint32_t(ms), timer_hz())), line);
  if (!job) {
    kprintf("every: no room for another job (max %d)\n", kMaxJobs);
    return 1;
  }
  kprintf("every: job %d runs '%s' every %lld ms\n", job->id, line, ms);
  return 0;
}

}  // namespace

SHELL_COMMAND(every, "[MS COMMAND... | stop ID|all]", "run a command periodically in a thread",
              cmd_every);

CronJob* crontab_start(unsigned long period_ticks, const char* line) {
  return start_job(period_ticks, line);
}
unsigned long crontab_runs(const CronJob* job) { return job->runs; }
void crontab_stop(CronJob* job) { stop_job(job); }

}  // namespace quartz
