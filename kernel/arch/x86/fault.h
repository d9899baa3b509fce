// CPU exceptions: the register dump, the symbolized backtrace, the return to the shell
// after a fault in a command, and the double-fault task that reports stack overflows.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"

namespace quartz {

struct JmpBuf {
  uint32_t ebx, esi, edi, ebp, esp, eip;
};
extern "C" int arch_setjmp(JmpBuf* buf);
extern "C" [[noreturn]] void arch_longjmp(JmpBuf* buf, int value);

// Called by interrupt_dispatch for vectors 0-31, interrupts off. A fault in user mode
// goes to the user-fault handler; a page fault in a user-memory copy resumes at the
// copy's fixup (uaccess.h); everything else is the kernel's own fault.
void fault_handle(InterruptFrame& frame);
// Who handles faults of user code (the process subsystem: it reports the fault and ends
// the process on its way back to user mode). Boot only.
using UserFaultFn = void (*)(InterruptFrame& frame);
void fault_set_user_handler(UserFaultFn fn);
// The shell arms a recovery point around each command; nullptr disarms it.
void fault_set_recovery(JmpBuf* buf);
// Boot only, after paging: installs the double-fault task gate and its stack.
void fault_init_double_fault();
// Prints "Backtrace:", `first_pc` (if not 0), then up to 16 callers found by following
// the saved EBPs from `ebp` (the kernel keeps frame pointers for this).
void print_backtrace(uintptr_t ebp, uintptr_t first_pc = 0);
// Calls fn(ctx, return_address) for up to 16 callers found by following the saved EBPs
// from `ebp`, only through frames that are mapped, aligned and moving up the stack, until
// fn returns false or a zero return address ends the chain. Any context; never faults.
using FrameFn = bool (*)(void* ctx, uintptr_t return_address);
void walk_frames(uintptr_t ebp, FrameFn fn, void* ctx);
// Prints "0x00101234 <name+0x12>" (or just the address) for a code address.
void print_symbol(uintptr_t addr, bool is_return_address = false);
const char* exception_name(uint32_t vector);

// Code that owns a stack region tells the double-fault path about its guard page, so
// an overflow is reported by name ("kernel stack overflow in thread shell").
using StackOwnerFn = const char* (*)(uintptr_t addr);
// Names an address outside the kernel image (in a module, loaded or not) into buf, e.g.
// "sched_tick+0x12 [sched]" or "in unloaded module sched: sched_tick+0x12".
using AddressNameFn = bool (*)(uintptr_t addr, char* buf, size_t len);
void fault_set_address_namer(AddressNameFn fn);
bool fault_name_address(uintptr_t addr, char* buf, size_t len);
void fault_set_stack_owner_lookup(StackOwnerFn fn);

// A fault in a thread that armed a recovery point returns the thread there (the shell
// around each command, the module loader around init_module). Before it jumps, the
// fault path calls every recovery hook, so that each subsystem can undo what the thread
// had in progress inside it (a task-queue drain, a module operation, a /proc read).
// Hooks run in the fault path: interrupts off, still on the faulting thread
// (current_thread()), which is at thread level again once the jump is made. They must
// not sleep, allocate or fault. `frame` is the faulting context (EIP, EBP for a
// backtrace). Registered at boot; at most kMaxFaultRecoveryHooks.
using FaultRecoveryHook = void (*)(const InterruptFrame& frame);
// Runs fn(arg) in the current thread with a recovery point of its own: a fault inside
// returns here (after the recovery hooks) instead of to the shell, and the result is
// false. The thread's previous recovery point is restored either way. Thread context,
// interrupts on. For calls into module code the kernel must survive: init_module,
// cleanup_module, constructors, /proc show functions.
bool fault_call_recoverable(void (*fn)(void* arg), void* arg);
constexpr int kMaxFaultRecoveryHooks = 4;
void fault_add_recovery_hook(FaultRecoveryHook hook);

}  // namespace quartz
