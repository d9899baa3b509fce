// Loading a program: an ELF executable from the file tree into a new address space, with
// argv and envp on its stack (what execve and the kernel's process_spawn share).
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/fs/vfs.h"

namespace quartz {

struct ExecImage {
  AddressSpace* as = nullptr;  // the new space, not yet active
  uintptr_t entry = 0;         // where user mode starts
  uintptr_t esp = 0;           // the initial stack pointer (at argc)
  uintptr_t brk = 0;           // the initial program break
};

// Loads `path` (relative to cwd) with argv and envp (null-terminated arrays of kernel
// strings). 0, or a negative errno (-ENOENT, -EACCES for a file that is not a regular
// file, -ENOEXEC with the reason printed, -E2BIG, -ENOMEM); nothing is left allocated
// on failure.
int exec_load(Node* cwd, const char* path, const char* const* argv, const char* const* envp,
              ExecImage* out);
// The first user context of a program: at entry with the stack at esp, interrupts on,
// every other register zero (as Linux's start_thread leaves them).
InterruptFrame user_entry_frame(uintptr_t entry, uintptr_t esp);
// execve(2): replaces the calling process's program. On success the frame is the new
// program's first user context; on failure the old program goes on.
int sys_execve(InterruptFrame& f);

}  // namespace quartz
