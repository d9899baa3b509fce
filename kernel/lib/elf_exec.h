// Validation of a static ELF32 i386 executable held in memory, and the load plan execve()
// follows: which bytes of the file go to which user pages with which rights, the entry point
// and the initial program break.
//
// The model is Linux's load_elf_binary() (fs/binfmt_elf.c) restricted to what Quartz runs:
// ET_EXEC, EM_386, no PT_INTERP (static executables only), every PT_LOAD inside the user
// window [QUARTZ_USER_BASE, QUARTZ_USER_LIMIT). See docs/user-space-lib.md.
//
// Contract:
//   - Callers: execve in thread context, host tests, the fuzzer. elf_exec_plan keeps no
//     state, never allocates and uses well under 1 KiB of stack (ExecPlan is ~340 bytes).
//   - Every field is checked before it is used; the image may be any bytes at any
//     alignment. The image is only read, never written.
//   - Returns 0 and fills *plan, or -ENOEXEC and writes one line (no newline) naming the
//     field and its value to err->msg (err may be null); *plan is then left empty (count 0).
//   - After success, for every segment s of the plan:
//       QUARTZ_USER_BASE <= page_down(s.vaddr) and page_up(s.vaddr + s.memsz) <= QUARTZ_USER_LIMIT
//       s.filesz <= s.memsz, [s.offset, s.offset + s.filesz) lies inside the image,
//       s.vaddr % 4096 == s.offset % 4096,
//     segments are sorted by vaddr and no two touch the same page, so each user page gets
//     the rights of exactly one segment. The entry lies in a segment with PF_X, and brk is
//     the page-aligned end of the highest segment.
//   - Loading a plan: for each segment map [page_down(vaddr), page_up(vaddr + memsz)) with
//     its rights, copy filesz bytes from image + offset to vaddr, zero the rest of those
//     pages (the bytes before vaddr in its first page and from vaddr + filesz on).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/elf32.h"

namespace quartz {

// At most this many PT_LOAD segments (ld makes 2 to 5 for a static program).
inline constexpr uint32_t kExecMaxSegments = 16;
// The pages all segments cover together, at most (bss included): refuses a 2 GiB .bss up
// front instead of failing half-way through mapping it.
inline constexpr uint32_t kExecMaxMemory = 256u << 20;
// Linux reads at most one page of program headers (load_elf_phdrs: size <= ELF_MIN_ALIGN).
inline constexpr uint32_t kExecMaxPhnum = 4096 / sizeof(Elf32_Phdr);

struct ExecError {
  char msg[160];
};

// One PT_LOAD segment, as the file states it (vaddr and offset are not page-aligned in
// general; they share their offset within the page).
struct ExecSegment {
  uint32_t vaddr;   // p_vaddr: where the segment's first byte goes
  uint32_t memsz;   // p_memsz: bytes in memory (> 0)
  uint32_t offset;  // p_offset: where the bytes come from in the file
  uint32_t filesz;  // p_filesz: bytes copied from the file (<= memsz); the rest is zero
  uint32_t flags;   // p_flags: PF_R | PF_W | PF_X
};

struct ExecPlan {
  uint32_t entry = 0;  // e_entry
  uint32_t brk = 0;    // initial program break: page_up(end of the highest segment)
  uint32_t count = 0;  // segments used, 1..kExecMaxSegments after success
  ExecSegment segments[kExecMaxSegments] = {};  // sorted by vaddr
};

// Validates the executable image[0, size) and writes its load plan. 0 or -ENOEXEC.
int elf_exec_plan(const uint8_t* image, size_t size, ExecPlan* plan, ExecError* err);

// The pages a segment covers: [*start, *end), both page-aligned.
void elf_exec_pages(const ExecSegment& seg, uint32_t* start, uint32_t* end);

}  // namespace quartz
