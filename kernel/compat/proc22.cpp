// Linux 2.2's /proc calls for --linux 2.2 modules: proc_root, proc_register (and
// proc_register_dynamic, the same) of a struct proc_dir_entry in the module's memory,
// proc_unregister by inode number (Linux 2.2.1 include/linux/proc_fs.h).
#include "kernel/compat/proc.h"
#include "kernel/console.h"
#include <quartz/export.h>

#define QUARTZ_LINUX 0x020200
#include "modules/compat/linux/proc_fs.h"

extern "C" {
// /proc itself: only its address matters (the parent every entry must have).
struct proc_dir_entry proc_root = {};
}

namespace quartz {
namespace {
using compat::ProcFns;

const proc_dir_entry* entry(const void* pde) { return static_cast<const proc_dir_entry*>(pde); }
ProcReadKind kind(const void* pde) {
  if (entry(pde)->get_info) return ProcReadKind::GetInfo;
  return entry(pde)->read_proc ? ProcReadKind::ReadProc : ProcReadKind::None;
}
// 2.2's proc_file_read passes get_info a fifth argument, (f_flags & O_ACCMODE) == O_RDWR:
// 0 for a reader.
int call(const void* pde, char* page, char** start, long off, int count, int* eof) {
  const proc_dir_entry* e = entry(pde);
  if (e->get_info) return e->get_info(page, start, off, count, 0);
  return e->read_proc(page, start, off, count, eof, e->data);
}
uintptr_t code(const void* pde) {
  const proc_dir_entry* e = entry(pde);
  return e->get_info ? reinterpret_cast<uintptr_t>(e->get_info)
                     : reinterpret_cast<uintptr_t>(e->read_proc);
}
const ProcFns fns{kind, call, code};
}  // namespace
}  // namespace quartz

using namespace quartz;

extern "C" {
// proc_register(&proc_root, &entry): 0, or a negative errno (one line says why). Thread
// context. low_ino 0 is given a number (4096 and up), as 2.2's dynamic registration did.
int linux22_proc_register(struct proc_dir_entry* dir, struct proc_dir_entry* dp,
                          struct module* owner) {
  if (dir != &proc_root) {
    kprintf("proc_register: only /proc itself (&proc_root) can be the parent in Quartz\n");
    return -22;
  }
  if (!dp || S_ISDIR(dp->mode) || dp->ops) {
    kprintf("proc_register: %s: directories and inode operations are not supported by Quartz\n",
            dp && dp->name ? dp->name : "(null)");
    return -22;
  }
  unsigned short ino = dp->low_ino;
  const int rc = compat::proc_add("proc_register", dp->name, dp->namelen, dp, &fns, owner, &ino);
  if (rc == 0) dp->low_ino = ino;
  return rc;
}

// proc_unregister(&proc_root, entry.low_ino): 0, or -EINVAL if no such entry.
int linux22_proc_unregister(struct proc_dir_entry* dir, int ino) {
  (void)dir;
  const void* pde = compat::proc_del_ino(unsigned(ino), &fns);
  if (!pde) return -22;
  const_cast<proc_dir_entry*>(static_cast<const proc_dir_entry*>(pde))->low_ino = 0;
  return 0;
}
}

EXPORT_SYMBOL(proc_root);
EXPORT_SYMBOL(linux22_proc_register);
EXPORT_SYMBOL(linux22_proc_unregister);
