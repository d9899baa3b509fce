// User processes: each is one kernel thread that runs a program in ring 3 in its own
// address space, with a process id, a parent, open files, a working directory, a program
// break, pending signals and, once it has exited, an exit status its parent collects
// (Linux's task_struct, cut down to what the system calls need).
//
// Contract: everything here from thread context (system calls, the kernel shell), except
// exit_to_user_mode (interrupts off, on the way back to user mode), process_fault (the
// fault path) and process_signal_console (the console's interrupt handler). The process
// table is changed with interrupts off.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/fs/vfs.h"
#include "kernel/sched.h"

namespace quartz {

constexpr int kMaxProcesses = 64;  // a fork past this gets -EAGAIN (fork bombs stop here)
constexpr int kMaxFds = 32;        // open files per process (-EMFILE past it)
constexpr uintptr_t kUserStackTop = kUserLimit;
constexpr size_t kUserStackSize = 128 * 1024;  // mapped at exec; running past it faults
constexpr size_t kUserArgBytes = 16 * 4096;    // argv and envp strings and pointers

enum class ProcState : uint8_t { Running, Zombie };

struct Process {
  int pid = 0;
  int ppid = 0;  // 0: the kernel (started by the shell's `exec`, or init)
  ProcState state = ProcState::Running;
  char name[16] = {};                // the program's file name, as Linux's comm
  AddressSpace* as = nullptr;        // null once it has exited
  Thread* thread = nullptr;          // null once it has exited
  uintptr_t brk_start = 0, brk = 0;  // the program break: [brk_start, brk) is the heap
  File* fds[kMaxFds] = {};
  Node* cwd = nullptr;           // holds a reference
  uint32_t sig_pending = 0;      // bit n: signal n is pending
  uint32_t sig_ignored = 0;      // bit n: signal n is set to SIG_IGN
  int exit_status = 0;           // the wait status word (W_EXITCODE), once a zombie
  wait_queue_head_t child_exit;  // the process waits here for a child to exit
  bool detached = false;         // nobody will wait for it (init, orphans without init):
                                 // freed when it exits
  InterruptFrame fork_frame;     // a new process's first user context
};

// Boot: the process table, /proc/processes, the `exec` and `ps`-related commands, the
// user-fault handler and the console's Ctrl-C.
void process_init();
// The process the running thread belongs to (null in a kernel thread).
inline Process* current_process() { return current_thread()->process; }
inline AddressSpace* process_address_space(const Process* p) { return p ? p->as : nullptr; }

// Starts `path` with `argv` (null-terminated; argv[0] names it) as a new process whose
// parent is the kernel, with the console as files 0, 1 and 2. Returns its pid, or a
// negative errno with a one-line reason printed.
int process_spawn(const char* path, const char* const* argv, bool detached = false);
// Starts the first user program (init= on the command line) as Linux's pid 1: orphans
// are given to it, and signals from other processes do not reach it.
int process_start_init(const char* path);
// Called (in the exiting init's thread) when init exits: the kernel starts its shell.
void process_set_init_exit_hook(void (*hook)());
// Waits until process `pid` (a child of the kernel) exits and frees it; returns its wait
// status, or -ECHILD. Thread context; a kernel thread.
int process_wait_kernel_child(int pid);

// The program's file name (the last component of path) becomes the process's name, as
// Linux's comm, and its thread's (what ps and the traces show).
void process_name_from_path(Process* p, const char* path);

// System calls that manage processes (kernel/process/syscall.cpp dispatches to them).
int sys_fork(InterruptFrame& f);
[[noreturn]] void process_exit(int wait_status);
int sys_waitpid(int pid, uintptr_t user_status, int options);
int sys_kill(int pid, int sig);
int sys_signal(int sig, uintptr_t handler);
// Sends `sig` to process `pid` from the kernel (SIGKILL cannot be ignored). -ESRCH if none.
int process_kill(int pid, int sig);

// Interrupts off, on every return to user mode: runs the scheduler if a switch is due
// and ends the process if a signal whose action is to terminate is pending.
void exit_to_user_mode(InterruptFrame& f);
// Sleep helpers for system calls: like wait_event, but a pending signal ends the wait.
// Returns 0 when cond() is true, -EINTR when a signal came first. With a deadline (in
// jiffies) the sleep also ends then, for cond to see.
int wait_interruptible(wait_queue_head_t* wq, bool (*cond)(void*), void* ctx,
                       const unsigned long* deadline = nullptr);
bool signal_pending(const Process* p);

// Calls fn for each process (for ps, /proc/processes): a snapshot, taken with
// interrupts off, printed after.
struct ProcessInfo {
  int pid, ppid;
  char state;  // R running, S sleeping, Z zombie
  char name[16];
  char waiting_on[24];
  size_t pages;
};
size_t process_snapshot(ProcessInfo* out, size_t cap);

}  // namespace quartz
