// The system-call table: int $0x80 with Linux i386's numbers and registers (eax = number;
// ebx, ecx, edx, esi, edi, ebp = arguments; eax = result or -errno). Unknown numbers give
// -ENOSYS. The calls themselves live with what they manage (process.cpp, exec.cpp,
// file_calls.cpp); docs/system-calls.md lists them with their arguments and errors.
#pragma once
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"

namespace quartz {

using SyscallFn = long (*)(InterruptFrame& f);
constexpr uint32_t kSyscallCount = 288;  // above the highest number Quartz implements (265)
// The name of a system call number ("getpid"), or "?" (traces, strace-like lines).
const char* syscall_name(uint32_t nr);
// Prints each system call of processes as it returns (`strace on|off`), like strace.
void syscall_set_strace(bool on);

// File calls (kernel/process/file_calls.cpp).
long sys_read(InterruptFrame& f);
long sys_write(InterruptFrame& f);
long sys_open(InterruptFrame& f);
long sys_close(InterruptFrame& f);
long sys_lseek(InterruptFrame& f);
long sys_stat64(InterruptFrame& f);
long sys_fstat64(InterruptFrame& f);
long sys_getdents64(InterruptFrame& f);
long sys_chdir(InterruptFrame& f);
long sys_getcwd(InterruptFrame& f);
long sys_mkdir(InterruptFrame& f);
long sys_unlink(InterruptFrame& f);

// Module calls (kernel/process/module_calls.cpp).
long sys_init_module(InterruptFrame& f);
long sys_delete_module(InterruptFrame& f);

}  // namespace quartz

// isr.asm's int $0x80 entry calls this with interrupts off; it returns with them off.
extern "C" void syscall_dispatch(quartz::InterruptFrame* f);
