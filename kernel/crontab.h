// The kernel's crontab (kernel/crontab.cpp, the `every` command): periodic jobs, each a
// thread that sleeps its period and runs a shell command line.
//
// Contract: thread context; any thread may start or stop jobs (the table is under a mutex).
#pragma once

namespace quartz {
struct CronJob;
constexpr int kMaxCronJobs = 8;
// Starts a job running `line` every `period_ticks` ticks (at least 1). Null if the table
// is full (kMaxCronJobs) or memory is short.
CronJob* crontab_start(unsigned long period_ticks, const char* line);
// How many times the job has run its line so far.
unsigned long crontab_runs(const CronJob* job);
// Stops a job this thread started, waiting until its thread is done; frees it.
void crontab_stop(CronJob* job);
}  // namespace quartz
