// The initial stack of a new user program, laid out as Linux i386 does (create_elf_tables
// in fs/binfmt_elf.c): what execve leaves for the program's _start to find argc, argv, envp
// and the auxiliary vector.
//
// From the stack pointer up (user addresses grow to the right):
//
//   sp -> argc | argv[0] .. argv[argc-1] | NULL | envp[0] .. envp[envc-1] | NULL |
//         AT_PAGESZ 4096 | AT_ENTRY entry | AT_NULL 0 | zero padding |
//         argv strings | envp strings (each with its NUL) | 4 zero bytes | <- stack_top
//
// sp is 16-byte aligned (the i386 psABI's alignment at a process's entry, which Linux's
// STACK_ROUND keeps); every pointer in the table is a user address pointing into the
// strings above it. Four zero bytes end the stack, as Linux's end marker does.
//
// Contract:
//   - Callers: execve (thread context) and host tests. No allocation, no state, a few dozen
//     bytes of stack; argv and envp strings are read once each.
//   - buf (buf_size bytes, 4-byte aligned size) stands for the user addresses
//     [stack_top - buf_size, stack_top): the caller copies it there, or builds it in place
//     through a mapping. Only [sp, stack_top) is written; the bytes below stay as they were.
//   - Strings are (pointer, length) pairs in kernel memory, without their NUL (it is added).
//   - Returns 0 and *sp, or -E2BIG when the strings (with their NULs) and the argv and envp
//     pointers together exceed QUARTZ_ARG_MAX, or the layout does not fit in buf; -EINVAL
//     when stack_top is not 16-byte aligned or buf_size exceeds stack_top. On error buf is
//     unchanged.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

struct UserString {
  const char* ptr;
  uint32_t len;  // bytes, not counting a NUL
};

int user_stack_build(uint8_t* buf, uint32_t buf_size, uint32_t stack_top, const UserString* argv,
                     uint32_t argc, const UserString* envp, uint32_t envc, uint32_t entry,
                     uint32_t* sp);

}  // namespace quartz
