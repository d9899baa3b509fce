// The table of <linux/proc_fs.h> entries (2.2's and 2.4's) in Quartz's /proc and the show
// function that reads one the way Linux's proc_file_read did (kernel/compat/proc.h).
#include "kernel/compat/proc.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/procfs.h"

namespace quartz {
namespace compat {
namespace {
constexpr int kMax = 32;
constexpr unsigned kFirstIno = 4096;  // 2.2's PROC_DYNAMIC_FIRST
struct Rec {
  const void* pde = nullptr;
  const ProcFns* fns = nullptr;
  unsigned short ino = 0;
  char name[kProcNameMax] = {};
};
Rec table[kMax];  // interrupts off to change

uintptr_t code_of(void* data) {
  const Rec* r = static_cast<const Rec*>(data);
  return r->pde ? r->fns->code(r->pde) : 0;
}

struct CallCtx {
  const Rec* r;
};
int call(void* ctx, char* page, char** start, long off, int count, int* eof) {
  const Rec* r = static_cast<CallCtx*>(ctx)->r;
  return r->fns->call(r->pde, page, start, off, count, eof);
}
void emit(void* out, const char* bytes, size_t n) {
  proc_printf(static_cast<ProcFile*>(out), "%.*s", int(n), bytes);
}

// The whole file at one go (Quartz's /proc is read whole): at most this much.
constexpr long kReadLimit = 16 * 1024;

void show(ProcFile* out, void* data) {
  const Rec* r = static_cast<const Rec*>(data);
  if (!r->pde) return;
  char* page = static_cast<char*>(kmalloc(kProcPageSize));
  if (!page) {
    proc_printf(out, "(out of memory)\n");
    return;
  }
  CallCtx ctx{r};
  const ProcReadFn fn{r->fns->kind(r->pde), call, &ctx};
  long pos = 0;
  const long rc = linux_proc_read(fn, page, &pos, kReadLimit, emit, out);
  kfree(page);
  if (rc < 0) kprintf("/proc/%s: the read function returned %ld\n", r->name, rc);
}
}  // namespace

int proc_add(const char* who, const char* name, size_t namelen, const void* pde, const ProcFns* fns,
             const void* owner, unsigned short* ino) {
  if (!name || namelen == 0 || namelen >= kProcNameMax) {
    kprintf("%s: a /proc name of 1 to %u characters is needed\n", who, unsigned(kProcNameMax - 1));
    return -22;
  }
  for (size_t i = 0; i < namelen; ++i)
    if (name[i] == '/' || name[i] == 0) {
      kprintf("%s: /proc/%.*s: Quartz's /proc has no directories\n", who, int(namelen), name);
      return -22;
    }
  Rec* r = nullptr;
  {
    InterruptDisabler guard;
    for (int i = 0; i < kMax && !r; ++i)
      if (!table[i].pde) {
        r = &table[i];
        r->pde = pde;  // reserved
        r->fns = fns;
        r->ino = *ino ? *ino : static_cast<unsigned short>(kFirstIno + i);
        __builtin_memcpy(r->name, name, namelen);
        r->name[namelen] = 0;
      }
  }
  if (!r) {
    kprintf("%s: /proc/%.*s: no room (%d entries)\n", who, int(namelen), name, kMax);
    return -12;
  }
  if (proc_create_entered(r->name, show, r, owner, code_of) != 0) {
    kprintf("%s: /proc/%s: the name is taken or the table is full\n", who, r->name);
    InterruptDisabler guard;
    *r = Rec{};
    return -17;
  }
  *ino = r->ino;
  return 0;
}

namespace {
template <class Match>
const void* del(Match&& match) {
  char name[kProcNameMax];
  const void* pde = nullptr;
  {
    InterruptDisabler guard;
    for (Rec& r : table)
      if (r.pde && match(r)) {
        pde = r.pde;
        str_copy(name, r.name, sizeof name);
        r = Rec{};
        break;
      }
  }
  if (pde) proc_remove(name);
  return pde;
}
}  // namespace

const void* proc_del_ino(unsigned ino, const ProcFns* fns) {
  return del([&](const Rec& r) { return r.fns == fns && r.ino == ino; });
}
const void* proc_del_name(const char* name, const ProcFns* fns) {
  return del([&](const Rec& r) { return r.fns == fns && str_eq(r.name, name); });
}
}  // namespace compat
}  // namespace quartz
