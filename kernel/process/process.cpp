// The process table and a process's life: start (from the kernel or by fork), exit,
// zombies and waitpid, reparenting, signals with their default actions, the faults of
// user code, and /proc/processes.
#include "kernel/process/process.h"
#include <new>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/uaccess.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/procfs.h"
#include "kernel/shell.h"
#include "kernel/process/exec.h"
#include "kernel/trace.h"
#include "kernel/uapi/quartz/errno.h"

extern "C" [[noreturn]] void enter_user_frame(quartz::InterruptFrame* frame);

namespace quartz {
namespace {}  // namespace

// The process table (interrupts off). In namespace quartz, by this name, for the GDB
// helpers (tools/gdb/quartz.py: `processes`).
Process* g_processes[kMaxProcesses];

namespace {
int last_pid = 0;              // interrupts off
Process* init_proc = nullptr;  // interrupts off; started by init= (Linux's pid 1)
void (*init_exit_hook)() = nullptr;
DECLARE_WAIT_QUEUE_HEAD(kernel_child_exit);  // children of the kernel exit here

constexpr uint32_t bit(int sig) { return 1u << sig; }
// Signals whose default action is to do nothing (the rest terminate).
constexpr uint32_t kIgnoredByDefault = bit(SIGCHLD);

Process* find_locked(int pid) {
  for (Process* p : g_processes)
    if (p && p->pid == pid) return p;
  return nullptr;
}

// Takes a slot and a pid (Linux's pid allocation: the next unused number, wrapping at
// 32768). -EAGAIN if the table is full.
int publish(Process* p) {
  InterruptDisabler guard;
  for (Process*& slot : g_processes) {
    if (slot) continue;
    int pid = last_pid;
    do pid = pid >= 32767 ? 1 : pid + 1;
    while (find_locked(pid));
    last_pid = pid;
    p->pid = pid;
    slot = p;
    return pid;
  }
  return -EAGAIN;
}

void unpublish(Process* p) {
  InterruptDisabler guard;
  for (Process*& slot : g_processes)
    if (slot == p) slot = nullptr;
}

void release_resources(Process* p) {
  for (File*& f : p->fds) {
    if (f) file_put(f);
    f = nullptr;
  }
  p->cwd = nullptr;
}

// A new process's thread starts here: it becomes the process's thread, loads the address
// space and the kernel stack for user-mode entries, and enters user mode.
void user_thread_start(void* arg) {
  auto* p = static_cast<Process*>(arg);
  InterruptFrame frame = p->fork_frame;
  cpu::raw_cli();
  Thread* self = current_thread();
  self->process = p;
  p->thread = self;
  gdt_set_kernel_stack(self->stack_high);
  as_activate(p->as);
  enter_user_frame(&frame);
}

bool start_thread(Process* p) {
  Thread* t = thread_create(p->name, user_thread_start, p);
  if (!t) return false;
  InterruptDisabler guard;
  if (!p->thread) p->thread = t;
  return true;
}

Process* new_process(const char* name) {
  auto* p = new (static_cast<Process*>(kzalloc(sizeof(Process)))) Process;
  if (!p) return nullptr;
  str_copy(p->name, name, sizeof p->name);
  __init_waitqueue_head(&p->child_exit, "child_exit");
  return p;
}

void delete_process(Process* p) {
  p->~Process();
  kfree(p);
}

char state_letter(const Process* p) {
  if (p->state == ProcState::Zombie) return 'Z';
  if (p->thread && p->thread->sched.state == ThreadState::Blocked) return 'S';
  return 'R';
}

void show_processes(ProcFile* out, void*) {
  static ProcessInfo info[kMaxProcesses];  // serialised by the show call's caller
  const size_t n = process_snapshot(info, kMaxProcesses);
  proc_printf(out, "  PID  PPID S  PAGES COMMAND          WAITING ON\n");
  for (size_t i = 0; i < n; ++i)
    proc_printf(out, "%5d %5d %c %6u %-16s %s\n", info[i].pid, info[i].ppid, info[i].state,
                unsigned(info[i].pages), info[i].name, info[i].waiting_on);
}

const char* trap_name(uint32_t vector) {
  switch (vector) {
    case 0:
      return "divide error";
    case 3:
      return "int3";
    case 4:
      return "overflow";
    case 5:
      return "bounds";
    case 6:
      return "invalid opcode";
    case 13:
      return "general protection";
    default:
      return exception_name(vector);
  }
}

int signal_for_fault(uint32_t vector) {
  switch (vector) {
    case 0:
    case 16:
    case 19:
      return SIGFPE;
    case 1:
    case 3:
      return SIGTRAP;
    case 6:
      return SIGILL;
    case 17:
      return SIGBUS;
    default:
      return SIGSEGV;
  }
}

// A fault in user code: one line as Linux prints it (show_signal_msg), then the signal,
// which ends the process on its way back to user mode. The kernel is not affected.
void user_fault(InterruptFrame& f) {
  Process* p = current_process();
  if (!p) return;  // cannot happen: only processes run in user mode
  // The stack grows on demand: a first touch of a page of the stack area maps it (as
  // Linux's stack VMA grows); past the area, the fault is the program's.
  constexpr uint32_t kPfPresent = 1;
  const uintptr_t addr = cpu::read_cr2();
  if (f.vector == 14 && !(f.error_code & kPfPresent) && addr >= kUserStackTop - kUserStackSize &&
      addr < kUserStackTop &&
      as_map_fresh(p->as, addr & ~(kPageSize - 1), kPageSize, pte::kWritable))
    return;
  if (f.vector == 14)
    kprintf("%s[%d]: segfault at %x ip %08x sp %08x error %x in %s\n", p->name, p->pid,
            cpu::read_cr2(), f.eip, f.user_esp, f.error_code, p->name);
  else
    kprintf("%s[%d]: trap %s ip %08x sp %08x error %x in %s\n", p->name, p->pid,
            trap_name(f.vector), f.eip, f.user_esp, f.error_code, p->name);
  p->sig_pending |= bit(signal_for_fault(f.vector));  // forced: even if ignored
}

}  // namespace

void process_name_from_path(Process* p, const char* path) {
  const char* base = path;
  for (const char* s = path; *s; ++s)
    if (*s == '/' && s[1]) base = s + 1;
  str_copy(p->name, base, sizeof p->name);
  if (p->thread) str_copy(p->thread->name, base, sizeof p->thread->name);
}

bool signal_pending(const Process* p) { return p && p->sig_pending != 0; }

int wait_interruptible(wait_queue_head_t* wq, bool (*cond)(void*), void* ctx,
                       const unsigned long* deadline) {
  Thread* self = current_thread();
  Process* p = self->process;
  for (;;) {
    self->interruptible = true;  // before the queue: a kill in between wakes us or is seen
    if (deadline)
      prepare_to_wait_timeout(wq, *deadline);
    else
      prepare_to_wait(wq);
    if (cond(ctx) || signal_pending(p)) break;
    schedule();
  }
  self->interruptible = false;
  finish_wait(wq);
  return cond(ctx) ? 0 : -EINTR;
}

int process_spawn(const char* path, const char* const* argv, bool detached) {
  Process* p = new_process("");
  if (!p) return -ENOMEM;
  p->detached = detached;
  process_name_from_path(p, path);
  p->cwd = vfs_root();
  File* console = vfs_open_console();
  for (int fd = 0; fd < 3; ++fd) p->fds[fd] = fd ? file_get(console) : console;
  static const char* const kNoEnv[] = {"PATH=/bin:/sbin", "HOME=/", nullptr};
  ExecImage img;
  int r = exec_load(p->cwd, path, argv, kNoEnv, &img);
  if (r < 0) {
    release_resources(p);
    delete_process(p);
    return r;
  }
  p->as = img.as;
  p->brk_start = p->brk = img.brk;
  p->fork_frame = user_entry_frame(img.entry, img.esp);
  r = publish(p);
  if (r < 0 || !start_thread(p)) {
    if (r >= 0) unpublish(p);
    as_destroy(p->as);
    release_resources(p);
    delete_process(p);
    kprintf("exec: %s: %s\n", path, r < 0 ? "too many processes" : "out of memory");
    return r < 0 ? r : -ENOMEM;
  }
  trace(TraceType::Exec, uint32_t(p->pid), 0);
  return p->pid;
}

void process_set_init_exit_hook(void (*hook)()) { init_exit_hook = hook; }

int process_start_init(const char* path) {
  const char* argv[] = {path, nullptr};
  const int pid = process_spawn(path, argv, true);
  if (pid < 0) return pid;
  InterruptDisabler guard;
  init_proc = find_locked(pid);
  return pid;
}

int process_wait_kernel_child(int pid) {
  struct Ctx {
    int pid;
    Process* zombie;
    bool exists;
  } c{pid, nullptr, false};
  auto check = [](void* arg) {
    auto* c = static_cast<Ctx*>(arg);
    InterruptDisabler guard;
    Process* p = find_locked(c->pid);
    c->exists = p && p->ppid == 0;
    c->zombie = c->exists && p->state == ProcState::Zombie ? p : nullptr;
    return c->zombie != nullptr || !c->exists;
  };
  wait_interruptible(&kernel_child_exit, check, &c);
  if (!c.zombie) return -ECHILD;
  const int status = c.zombie->exit_status;
  unpublish(c.zombie);
  delete_process(c.zombie);
  return status;
}

int sys_fork(InterruptFrame& f) {
  Process* parent = current_process();
  Process* child = new_process(parent->name);
  if (!child) return -ENOMEM;
  child->as = as_clone(parent->as);
  if (!child->as) {
    delete_process(child);
    return -ENOMEM;
  }
  child->ppid = parent->pid;
  child->brk_start = parent->brk_start;
  child->brk = parent->brk;
  child->sig_ignored = parent->sig_ignored;  // dispositions are inherited (POSIX fork)
  child->cwd = parent->cwd;
  for (int fd = 0; fd < kMaxFds; ++fd)
    if (parent->fds[fd]) child->fds[fd] = file_get(parent->fds[fd]);
  child->fork_frame = f;
  child->fork_frame.eax = 0;  // fork returns 0 in the child
  const int pid = publish(child);
  if (pid < 0 || !start_thread(child)) {
    if (pid >= 0) unpublish(child);
    as_destroy(child->as);
    release_resources(child);
    delete_process(child);
    return pid < 0 ? -EAGAIN : -ENOMEM;
  }
  trace(TraceType::Fork, uint32_t(parent->pid), uint32_t(pid));
  return pid;
}

[[noreturn]] void process_exit(int wait_status) {
  Thread* self = current_thread();
  Process* p = self->process;
  trace(TraceType::Exit, uint32_t(p->pid), uint32_t(wait_status));
  release_resources(p);
  AddressSpace* as;
  {
    InterruptDisabler guard;
    as = p->as;
    p->as = nullptr;
  }
  as_activate(nullptr);
  as_destroy(as);
  Process* init = nullptr;
  bool free_now = false;
  bool wake_init = false;
  bool was_init = false;
  Process* reap[kMaxProcesses];
  size_t nreap = 0;
  {
    InterruptDisabler guard;
    init = init_proc;
    was_init = init == p;
    if (was_init) init_proc = nullptr;
    if (init == p || (init && init->state == ProcState::Zombie)) init = nullptr;
    // Orphans go to init (pid 1), as on Linux; with no init, to the kernel, which frees
    // them when they exit.
    for (Process* q : g_processes) {
      if (!q || q->ppid != p->pid) continue;
      q->ppid = init ? 1 : 0;
      q->detached = !init;
      if (q->state != ProcState::Zombie) continue;
      if (init)
        wake_init = true;
      else
        reap[nreap++] = q;
    }
    p->state = ProcState::Zombie;
    p->exit_status = wait_status;
    p->thread = nullptr;
    self->process = nullptr;
    free_now = p->detached;
  }
  for (size_t i = 0; i < nreap; ++i) {
    unpublish(reap[i]);
    delete_process(reap[i]);
  }
  if (was_init) {
    kprintf("init exited (status 0x%x); starting the kernel shell\n", unsigned(wait_status));
    if (init_exit_hook) init_exit_hook();
  }
  if (wake_init) wake_up(&init->child_exit);
  if (free_now) {
    unpublish(p);
    delete_process(p);
  } else if (p->ppid == 0) {
    wake_up(&kernel_child_exit);
  } else {
    InterruptDisabler guard;
    if (Process* parent = find_locked(p->ppid)) wake_up(&parent->child_exit);
  }
  thread_exit();
}

int sys_waitpid(int pid, uintptr_t user_status, int options) {
  Process* self = current_process();
  if (options & ~WNOHANG) return -EINVAL;
  if (pid == 0 || pid < -1) return -EINVAL;  // process groups: not in Quartz
  // LAB(6) BEGIN: find a zombie child (pid, or any if pid == -1), sleeping on self->child_exit until one exits unless WNOHANG; copy its status out, free it, return its pid; -ECHILD if there is no such child
  struct Ctx {
    Process* self;
    int pid;
    Process* zombie;
    bool any;
  } c{self, pid, nullptr, false};
  auto check = [](void* arg) {
    auto* c = static_cast<Ctx*>(arg);
    InterruptDisabler guard;
    c->any = false;
    c->zombie = nullptr;
    for (Process* q : g_processes) {
      if (!q || q->ppid != c->self->pid || (c->pid > 0 && q->pid != c->pid)) continue;
      c->any = true;
      if (q->state == ProcState::Zombie) {
        c->zombie = q;
        break;
      }
    }
    return c->zombie != nullptr || !c->any;
  };
  if (!check(&c)) {
    if (options & WNOHANG) return 0;
    if (wait_interruptible(&self->child_exit, check, &c) < 0) return -EINTR;
  }
  if (!c.zombie) return -ECHILD;
  if (user_status) {
    const int r = copy_to_user(user_status, &c.zombie->exit_status, sizeof(int));
    if (r < 0) return r;  // the child stays a zombie
  }
  const int child = c.zombie->pid;
  unpublish(c.zombie);
  delete_process(c.zombie);
  return child;
  // LAB(6) STUB: (void)self; (void)user_status;
  // LAB(6) STUB: return -ECHILD;
  // LAB(6) END
}

int process_kill(int pid, int sig) {
  if (sig < 0 || sig >= QUARTZ_NSIG) return -EINVAL;
  InterruptDisabler guard;
  Process* p = find_locked(pid);
  if (!p) return -ESRCH;
  if (sig == 0 || p->state == ProcState::Zombie) return 0;
  // init gets only the signals it asked for (Linux): with default actions only, none.
  if (p == init_proc) return 0;
  if (sig != SIGKILL && ((p->sig_ignored | kIgnoredByDefault) & bit(sig))) return 0;
  p->sig_pending |= bit(sig);
  if (p->thread && p->thread->interruptible) sched_wake_thread(p->thread);
  return 0;
}

int sys_kill(int pid, int sig) {
  if (pid <= 0) return -EINVAL;  // process groups and "everyone": not in Quartz
  return process_kill(pid, sig);
}

int sys_signal(int sig, uintptr_t handler) {
  Process* p = current_process();
  if (sig <= 0 || sig >= QUARTZ_NSIG || sig == SIGKILL || sig == 19 /* SIGSTOP */) return -EINVAL;
  if (handler != SIG_DFL && handler != SIG_IGN) return -EINVAL;  // no handlers in Quartz
  InterruptDisabler guard;
  const int old = (p->sig_ignored & bit(sig)) ? SIG_IGN : SIG_DFL;
  if (handler == SIG_IGN) {
    p->sig_ignored |= bit(sig);
    p->sig_pending &= ~bit(sig);
  } else {
    p->sig_ignored &= ~bit(sig);
  }
  return old;
}

void exit_to_user_mode(InterruptFrame&) {
  for (;;) {
    if (*g_need_resched) {
      sched_preempt_on_irq_exit();
      continue;
    }
    Process* p = current_process();
    if (p && p->sig_pending) [[unlikely]] {
      const int sig = __builtin_ctz(p->sig_pending);
      cpu::raw_sti();
      process_exit(W_EXITCODE(0, sig));
    }
    return;
  }
}

size_t process_snapshot(ProcessInfo* out, size_t cap) {
  InterruptDisabler guard;
  size_t n = 0;
  for (const Process* p : g_processes) {
    if (!p || n == cap) continue;
    ProcessInfo& i = out[n++];
    i.pid = p->pid;
    i.ppid = p->ppid;
    i.state = state_letter(p);
    str_copy(i.name, p->name, sizeof i.name);
    const wait_queue_head* wq = p->thread ? p->thread->sched.waiting_on : nullptr;
    str_copy(i.waiting_on, i.state == 'S' && wq && wq->name ? wq->name : "", sizeof i.waiting_on);
    i.pages = p->as ? p->as->pages : 0;
  }
  // By pid, as ps lists them.
  for (size_t a = 1; a < n; ++a)
    for (size_t b = a; b > 0 && out[b - 1].pid > out[b].pid; --b) {
      ProcessInfo t = out[b];
      out[b] = out[b - 1];
      out[b - 1] = t;
    }
  return n;
}

namespace {
const char* error_text(int err) {
  switch (-err) {
    case ENOENT:
      return "No such file or directory";
    case EACCES:
      return "Permission denied";
    case ENOEXEC:
      return "Exec format error";
    case ENOMEM:
      return "Cannot allocate memory";
    case E2BIG:
      return "Argument list too long";
    case EAGAIN:
      return "Resource temporarily unavailable";
    case ENOTDIR:
      return "Not a directory";
    case ENAMETOOLONG:
      return "File name too long";
    case EFBIG:
      return "File too large";
    default:
      return "error";
  }
}

// `exec PATH [ARGS]`: runs a program in the foreground and waits for it.
int cmd_exec(int argc, char** argv) {
  if (argc < 2) return shell_usage(argv[0]);
  const int pid = process_spawn(argv[1], argv + 1);
  if (pid < 0) {
    kprintf("exec: %s: %s\n", argv[1], error_text(pid));
    return 1;
  }
  const int status = process_wait_kernel_child(pid);
  if (status < 0) return 1;
  if (WIFSIGNALED(status)) {
    kprintf("exec: %s (pid %d) killed by signal %d\n", argv[1], pid, WTERMSIG(status));
    return 1;
  }
  if (WEXITSTATUS(status))
    kprintf("exec: %s (pid %d) exited with status %d\n", argv[1], pid, WEXITSTATUS(status));
  return WEXITSTATUS(status) ? 1 : 0;
}
SHELL_COMMAND(exec, "PATH [ARGS]", "run a user program in the foreground and wait for it",
              cmd_exec);

// Ctrl-C on the console: SIGINT to every user process but init (each ignores it or ends,
// as its disposition says). True if there was a process to send it to.
bool console_interrupt() {
  bool any = false;
  for (Process* p : g_processes) {
    if (!p || p == init_proc || p->state == ProcState::Zombie) continue;
    any = true;
    if (p->sig_ignored & bit(SIGINT)) continue;
    p->sig_pending |= bit(SIGINT);
    if (p->thread && p->thread->interruptible) sched_wake_thread(p->thread);
  }
  return any;
}
}  // namespace

void process_init() {
  console_set_interrupt_handler(console_interrupt);
  fault_set_user_handler(user_fault);
  proc_create("processes", show_processes, nullptr, nullptr);
}

}  // namespace quartz

// isr.asm's way back to user mode from an interrupt or exception.
extern "C" void exit_to_user_mode_c(quartz::InterruptFrame* f) { quartz::exit_to_user_mode(*f); }
