// The system-call dispatcher and table, and the calls small enough to live here: exit,
// getpid, getppid, brk, nanosleep, sched_yield, and the wrappers around process.cpp's.
#include "kernel/process/syscall.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/uaccess.h"
#include "kernel/console.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/kstring.h"
#include "kernel/process/exec.h"
#include "kernel/process/process.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/trace.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/uapi/quartz/syscalls.h"

namespace quartz {
namespace {

bool strace_on = false;
constexpr uintptr_t kMaxHeap = 256 << 20;  // a program break at most this far past its start

long sys_exit(InterruptFrame& f) { process_exit(W_EXITCODE(f.ebx, 0)); }
long sys_getpid(InterruptFrame&) { return current_process()->pid; }
long sys_getppid(InterruptFrame&) { return current_process()->ppid; }
long sys_fork_call(InterruptFrame& f) { return sys_fork(f); }
long sys_execve_call(InterruptFrame& f) { return sys_execve(f); }
long sys_waitpid_call(InterruptFrame& f) { return sys_waitpid(int(f.ebx), f.ecx, int(f.edx)); }
long sys_kill_call(InterruptFrame& f) { return sys_kill(int(f.ebx), int(f.ecx)); }
long sys_signal_call(InterruptFrame& f) { return sys_signal(int(f.ebx), f.ecx); }
long sys_sched_yield(InterruptFrame&) {
  thread_yield();
  return 0;
}

// brk(addr): Linux's contract: returns the new break, or the old one if the request is
// refused (out of range or out of memory); brk(0) asks for the current one.
long sys_brk(InterruptFrame& f) {
  Process* p = current_process();
  const uintptr_t want = f.ebx;
  const uintptr_t limit = kUserStackTop - kUserStackSize - kPageSize;  // a gap above the heap
  if (want < p->brk_start || want > limit || want - p->brk_start > kMaxHeap) return p->brk;
  const uintptr_t old_end = (p->brk + kPageSize - 1) & ~(kPageSize - 1);
  const uintptr_t new_end = (want + kPageSize - 1) & ~(kPageSize - 1);
  if (new_end > old_end && !as_map_fresh(p->as, old_end, new_end - old_end, pte::kWritable))
    return p->brk;
  if (new_end < old_end) as_unmap_free(p->as, new_end, old_end);
  p->brk = want;
  return want;
}

long sys_nanosleep(InterruptFrame& f) {
  quartz_timespec req;
  if (copy_from_user(&req, f.ebx, sizeof req) < 0) return -EFAULT;
  if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec > 999999999) return -EINVAL;
  const uint64_t hz = timer_hz();
  // Round up to whole ticks, plus the tick in progress: never shorter than asked.
  const uint64_t ticks =
      uint64_t(req.tv_sec) * hz + (uint64_t(req.tv_nsec) * hz + 999999999) / 1000000000 + 1;
  const unsigned long deadline =
      jiffies + (ticks > QUARTZ_TIMEOUT_HORIZON ? QUARTZ_TIMEOUT_HORIZON : ticks);
  wait_queue_head_t wq;
  __init_waitqueue_head(&wq, "nanosleep");
  auto over = [](void* d) { return long(*static_cast<const unsigned long*>(d) - jiffies) <= 0; };
  unsigned long until = deadline;
  if (wait_interruptible(&wq, over, &until, &until) == 0) return 0;
  if (f.ecx) {
    const long left = long(deadline - jiffies) > 0 ? long(deadline - jiffies) : 0;
    quartz_timespec rem{int32_t(left / hz), int32_t((left % hz) * (1000000000 / hz))};
    if (copy_to_user(f.ecx, &rem, sizeof rem) < 0) return -EFAULT;
  }
  return -EINTR;
}

// clock_gettime(clock, &ts): the time since boot, from jiffies (a tick's resolution).
long sys_clock_gettime(InterruptFrame& f) {
  if (f.ebx != CLOCK_MONOTONIC && f.ebx != CLOCK_REALTIME) return -EINVAL;
  const uint64_t hz = timer_hz();
  const uint64_t t = jiffies;  // wraps after 2^32 ticks, as Linux's 32-bit jiffies
  quartz_timespec ts{int32_t(t / hz), int32_t((t % hz) * (1000000000 / hz))};
  return copy_to_user(f.ecx, &ts, sizeof ts);
}

struct Entry {
  const char* name;
  SyscallFn fn;
};

struct Table {
  Entry e[kSyscallCount];
};
constexpr Entry make(const char* name, SyscallFn fn) { return {name, fn}; }

constexpr Table make_table() {
  Table table{};
  Entry* t = table.e;
  t[SYS_exit] = make("exit", sys_exit);
  t[SYS_fork] = make("fork", sys_fork_call);
  t[SYS_read] = make("read", sys_read);
  t[SYS_write] = make("write", sys_write);
  t[SYS_open] = make("open", sys_open);
  t[SYS_close] = make("close", sys_close);
  t[SYS_waitpid] = make("waitpid", sys_waitpid_call);
  t[SYS_unlink] = make("unlink", sys_unlink);
  t[SYS_execve] = make("execve", sys_execve_call);
  t[SYS_chdir] = make("chdir", sys_chdir);
  t[SYS_lseek] = make("lseek", sys_lseek);
  t[SYS_getpid] = make("getpid", sys_getpid);
  t[SYS_kill] = make("kill", sys_kill_call);
  t[SYS_mkdir] = make("mkdir", sys_mkdir);
  t[SYS_brk] = make("brk", sys_brk);
  t[SYS_signal] = make("signal", sys_signal_call);
  t[SYS_getppid] = make("getppid", sys_getppid);
  t[SYS_init_module] = make("init_module", sys_init_module);
  t[SYS_delete_module] = make("delete_module", sys_delete_module);
  t[SYS_sched_yield] = make("sched_yield", sys_sched_yield);
  t[SYS_nanosleep] = make("nanosleep", sys_nanosleep);
  t[SYS_getcwd] = make("getcwd", sys_getcwd);
  t[SYS_stat64] = make("stat64", sys_stat64);
  t[SYS_fstat64] = make("fstat64", sys_fstat64);
  t[SYS_getdents64] = make("getdents64", sys_getdents64);
  t[SYS_exit_group] = make("exit_group", sys_exit);
  t[SYS_clock_gettime] = make("clock_gettime", sys_clock_gettime);
  return table;
}
constexpr Table kTable = make_table();

int cmd_strace(int argc, char** argv) {
  if (argc == 2 && str_eq(argv[1], "on"))
    strace_on = true;
  else if (argc == 2 && str_eq(argv[1], "off"))
    strace_on = false;
  else if (argc != 1)
    return shell_usage(argv[0]);
  kprintf("strace: %s\n", strace_on ? "on" : "off");
  return 0;
}
SHELL_COMMAND(strace, "[on|off]", "print every system call of user processes as it returns",
              cmd_strace);

}  // namespace

const char* syscall_name(uint32_t nr) {
  return nr < kSyscallCount && kTable.e[nr].name ? kTable.e[nr].name : "?";
}

void syscall_set_strace(bool on) { strace_on = on; }

}  // namespace quartz

using namespace quartz;

extern "C" void syscall_dispatch(InterruptFrame* f) {
  const uint32_t nr = f->eax;
  // Only processes make system calls: an int $0x80 from kernel code (a module) gets ENOSYS.
  if (!f->from_user() || !current_process()) [[unlikely]] {
    f->eax = uint32_t(-ENOSYS);
    return;
  }
  cpu::raw_sti();
  long r;
  // LAB(6) BEGIN: call the table's handler for number nr with the frame; -ENOSYS if nr is past the table or has no handler
  r = nr < kSyscallCount && kTable.e[nr].fn ? kTable.e[nr].fn(*f) : -ENOSYS;
  // LAB(6) STUB: r = -ENOSYS;
  // LAB(6) END
  f->eax = uint32_t(r);
  if (strace_on || g_trace_enabled) [[unlikely]] {
    trace(TraceType::Syscall, nr, uint32_t(r));
    if (strace_on) {
      const Process* p = current_process();
      kprintf("[%d] %s(0x%x, 0x%x, 0x%x) = %ld\n", p->pid, syscall_name(nr), f->ebx, f->ecx, f->edx,
              r);
    }
  }
  cpu::raw_cli();
  exit_to_user_mode(*f);
}
