// Reading and writing user memory from a system call: every pointer and length is checked
// against the user window, and a fault on an unmapped or read-only user page makes the copy
// return -EFAULT instead of stopping the kernel (the exception table in uaccess.asm).
//
// Contract: thread context of a process, its address space active (the system call's),
// interrupts on or off. Never call with a kernel pointer as the user side: that is what
// the range check refuses (-EFAULT).
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"

extern "C" int uaccess_copy(void* dst, const void* src, uint32_t n);
extern "C" int uaccess_strncpy(char* dst, const char* src, uint32_t cap);
extern "C" int uaccess_clear(void* dst, uint32_t n);

namespace quartz {

// 0 or -EFAULT (bad range or a fault part-way; what was copied before the fault stays).
int copy_from_user(void* dst, uintptr_t user_src, size_t n);
int copy_to_user(uintptr_t user_dst, const void* src, size_t n);
int clear_user(uintptr_t user_dst, size_t n);
// Copies a NUL-terminated user string of at most cap - 1 characters into dst (cap bytes).
// Returns its length, -EFAULT, or -ENAMETOOLONG if no NUL came within cap bytes.
int strncpy_from_user(char* dst, uintptr_t user_src, size_t cap);

// The page-fault handler asks this first: a fault at one of the copy routines' listed
// instructions (kernel mode) resumes at its fixup. True if it did.
bool uaccess_fixup(InterruptFrame& frame);

}  // namespace quartz
