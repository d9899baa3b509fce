// Linux 2.6's /proc calls for --linux 2.6 modules: create_proc_entry (an entry the
// kernel allocates; create_proc_read_entry is the header's inline on top of it) and
// remove_proc_entry (Linux 2.6.19 fs/proc/generic.c, as 2.4.0's), with 2.6's layout.
#include "kernel/compat/proc.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include <quartz/export.h>

#define QUARTZ_LINUX 0x020600
#include "modules/compat/linux/proc_fs.h"
#undef remove_proc_entry
#undef create_proc_entry

namespace quartz {
namespace {
using compat::ProcFns;

const proc_dir_entry* entry(const void* pde) { return static_cast<const proc_dir_entry*>(pde); }
ProcReadKind kind(const void* pde) {
  if (entry(pde)->get_info) return ProcReadKind::GetInfo;
  return entry(pde)->read_proc ? ProcReadKind::ReadProc : ProcReadKind::None;
}
int call(const void* pde, char* page, char** start, long off, int count, int* eof) {
  const proc_dir_entry* e = entry(pde);
  if (e->get_info) return e->get_info(page, start, off, count);  // 2.6: four arguments, as 2.4
  return e->read_proc(page, start, off, count, eof, e->data);
}
uintptr_t code(const void* pde) {
  const proc_dir_entry* e = entry(pde);
  return e->get_info ? reinterpret_cast<uintptr_t>(e->get_info)
                     : reinterpret_cast<uintptr_t>(e->read_proc);
}
const ProcFns fns{kind, call, code};

bool parent_ok(const char* who, const proc_dir_entry* parent) {
  // proc_root is 2.2's object (proc22.cpp); only its address is compared.
  if (!parent || static_cast<const void*>(parent) == static_cast<const void*>(&proc_root))
    return true;
  kprintf("%s: only /proc itself (NULL or &proc_root) can be the parent in Quartz\n", who);
  return false;
}
}  // namespace
}  // namespace quartz

using namespace quartz;

extern "C" {
// create_proc_entry(name, mode, parent): the new entry (the kernel's memory, zeroed, with
// name, mode and nlink set as 2.6.19 did), registered at once; NULL (one line says why) if
// the name is bad or taken. Thread context. The module then sets read_proc and data.
struct proc_dir_entry* linux26_create_proc_entry(const char* name, mode_t mode,
                                                 struct proc_dir_entry* parent,
                                                 struct module* owner) {
  if (!parent_ok("create_proc_entry", parent) || !name) return nullptr;
  if (S_ISDIR(mode)) {
    kprintf("create_proc_entry: %s: Quartz's /proc has no directories\n", name);
    return nullptr;
  }
  const size_t len = __builtin_strlen(name);
  auto* ent = static_cast<proc_dir_entry*>(kzalloc(sizeof(proc_dir_entry) + len + 1));
  if (!ent) return nullptr;
  char* copy = reinterpret_cast<char*>(ent + 1);
  __builtin_memcpy(copy, name, len + 1);
  ent->name = copy;
  ent->namelen = static_cast<unsigned short>(len);
  if ((mode & S_IFMT) == 0) mode |= S_IFREG;
  if ((mode & S_IALLUGO) == 0) mode |= S_IRUGO;
  ent->mode = mode;
  ent->nlink = 1;
  ent->owner = owner;
  unsigned short ino = 0;
  if (compat::proc_add("create_proc_entry", copy, len, ent, &fns, owner, &ino) != 0) {
    kfree(ent);
    return nullptr;
  }
  ent->low_ino = ino;
  return ent;
}

// remove_proc_entry(name, parent): removes and frees it; nothing if there is none.
void linux26_remove_proc_entry(const char* name, struct proc_dir_entry* parent) {
  if (!name || !parent_ok("remove_proc_entry", parent)) return;
  const void* pde = compat::proc_del_name(name, &fns);
  if (pde) kfree(const_cast<void*>(pde));
}
}

EXPORT_SYMBOL(linux26_create_proc_entry);
EXPORT_SYMBOL(linux26_remove_proc_entry);
