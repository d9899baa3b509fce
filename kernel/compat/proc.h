// The /proc glue shared by the 2.2 and 2.4 entry points (proc22.cpp, proc24.cpp): one
// table of the <linux/proc_fs.h> entries registered in Quartz's /proc, and the show
// function that reads them with Linux's proc_file_read loop (kernel/lib/linux_compat.h).
// Thread context (module init and cleanup, readers).
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/lib/linux_compat.h"

namespace quartz {
namespace compat {
// How to read one generation's struct proc_dir_entry.
struct ProcFns {
  ProcReadKind (*kind)(const void* pde);
  int (*call)(const void* pde, char* page, char** start, long off, int count, int* eof);
  uintptr_t (*code)(const void* pde);  // the function a read will run (to pin its module)
};
// Registers /proc/NAME (namelen bytes of name) for pde, read through fns, owned by the
// module `owner`. *ino: the inode number it had, or (0) the one given (4096 and up, as
// 2.2's dynamic ones). 0, or a negative errno after printing one line naming `who`.
int proc_add(const char* who, const char* name, size_t namelen, const void* pde, const ProcFns* fns,
             const void* owner, unsigned short* ino);
// Removes the entry with that inode number / that name registered with these fns (one
// generation's); returns its pde, or null (none).
const void* proc_del_ino(unsigned ino, const ProcFns* fns);
const void* proc_del_name(const char* name, const ProcFns* fns);
}  // namespace compat
}  // namespace quartz
