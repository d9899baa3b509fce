// The module loader: finds NAME.ko among the Multiboot modules, validates, lays out,
// maps (text read-only, data read-write), resolves against exports, relocates, runs
// constructors and init_module; unloads through cleanup_module and the check before
// freeing; use counts, fault recovery, insmod, rmmod, lsmod, modules and /proc/modules.
//
// Rules for the module list (g_modules) and each module's life (ModLife):
//   - Changed only with the module lock held AND interrupts off: insmod publishes a
//     module, rmmod removes it, both under the lock; states and counts change with
//     interrupts off (the fault path marks a module failed with interrupts off).
//   - Read either with the module lock held (insmod, rmmod, module_symbol: may sleep)
//     or with interrupts off (lsmod and /proc/modules copy it, the fault path names
//     addresses, module_enter takes a use count). Nobody walks it with interrupts on
//     and without the lock, so no reader ever meets a freed module.
//   - The lock is never held while module code runs (constructors, init_module,
//     cleanup_module, destructors) or while rmmod waits for readers to leave: a module
//     that hangs there jams only the operation on itself.
#include "module.h"
#include "kstring.h"
#include <new>
#include "arch/x86/cpu.h"
#include "arch/x86/fault.h"
#include "arch/x86/irq_guard.h"
#include "arch/x86/paging.h"
#include "cmdline.h"
#include "console.h"
#include "elf_module.h"
#include <quartz/export.h>
#include "format.h"
#include "intrusive_list.h"
#include "kheap.h"
#include "ksyms.h"
#include "module_core.h"
#include "multiboot.h"
#include "pmm.h"
#include "procfs.h"
#include "sched.h"
#include "shell.h"
#include "timer.h"
#include "tqueue.h"
#include "trace.h"
#include <quartz/mutex.h>
#include <quartz/wait.h>

extern "C" const kernel_symbol __ksymtab_start[], __ksymtab_end[];

namespace quartz {
namespace {
constexpr int kMaxDeps = 8;
constexpr size_t kNameMax = 31;
constexpr int kMaxSections = 24;       // remembered for debuggers
constexpr int kMaxGhosts = 8;          // unloaded modules remembered for naming
constexpr size_t kGhostSymbols = 2048; // bytes of symbols kept per unloaded module
constexpr unsigned kReaderWaitSeconds = 5;

struct AtExit {
  void (*fn)(void*);
  void* arg;
  AtExit* next;
};
}  // namespace
}  // namespace quartz

// THIS_MODULE points at one of these; modules see only the name.
struct module {
  char name[quartz::kNameMax + 1];
  quartz::ModLife life;            // interrupts off to read or change
  uintptr_t text_addr, data_addr;  // page aligned; text_addr is the start of the range
  uint32_t text_size, text_exec_size, data_size;  // page-rounded
  int (*init)();
  void (*cleanup)();
  module* deps[quartz::kMaxDeps];  // modules whose exports we use (we hold a reference)
  int ndeps;                       // module lock
  const kernel_symbol* exports;    // our .quartz_ksymtab, in our (relocated) memory
  uint32_t nexports;
  uint32_t* ctors;                 // .init_array entries in call order, then
  uint32_t nctors, ndtors;         // .fini_array entries in call order (one allocation)
  quartz::AtExit* atexit;          // __cxa_atexit registrations, newest first
  uint8_t* symblob;                // our symbols, for naming addresses ("sched_tick+0x12")
  size_t symblob_len;
  quartz::SymbolTable syms;
  quartz::IntrusiveListNode node;  // g_modules
  wait_queue_head_t unload_wq;     // rmmod waits here for the last reader to leave
  // Where each allocated section went, for debuggers (`add-symbol-file NAME.ko -s ...`).
  // Names point into the boot module's image, which stays in memory.
  struct { const char* name; uint32_t addr; } sections[quartz::kMaxSections];
  int nsections;
  uintptr_t end() const { return data_addr + data_size; }
  bool contains(uintptr_t a) const { return a >= text_addr && a < end(); }
};

extern "C" {
// Called after a module's sections are in place (loaded=1) and before its memory is
// freed (loaded=0). It does nothing: it is where a debugger puts a breakpoint to load
// and drop the module's symbols (tools/gdb/quartz.py does, silently).
[[gnu::noinline, gnu::used]] void quartz_module_event(struct module* m, int loaded) {
  asm volatile("" ::"r"(m), "r"(loaded) : "memory");
}
}

namespace quartz {
// Named (not in the anonymous namespace) so that tools/gdb/quartz.py can find it.
IntrusiveList<module, &module::node> g_modules;  // see the rules at the top
namespace {
auto& loaded = g_modules;

// ---- the module lock ----
// A mutex (modules/include/quartz/mutex.h): the holder may sleep (allocate, print), a contender
// sleeps on its wait queue. The owner is remembered so that a fault in kernel code
// under the lock (never in module code: the lock is not held there) does not leave it
// held for good.
DEFINE_MUTEX(module_mutex);
Thread* module_mutex_owner = nullptr;  // interrupts off

class ModuleLockGuard {
 public:
  ModuleLockGuard() {
    mutex_lock(&module_mutex);
    InterruptDisabler guard;
    module_mutex_owner = current_thread();
  }
  ~ModuleLockGuard() {
    {
      InterruptDisabler guard;
      if (module_mutex_owner != current_thread()) return;  // the fault path let it go
      module_mutex_owner = nullptr;
    }
    mutex_unlock(&module_mutex);
  }
  ModuleLockGuard(const ModuleLockGuard&) = delete;
  ModuleLockGuard& operator=(const ModuleLockGuard&) = delete;
};

// ---- where modules live in the address space ----
// Every load gets fresh virtual addresses (with an unmapped page after it), so pages of
// an unloaded module stay unmapped for a long while: a stray call faults and is named.
uintptr_t va_cursor = kModuleBase;  // module lock

struct ListCursor {
  IntrusiveList<module, &module::node>::Iterator it;
};
bool used_range(void* ctx, size_t i, uintptr_t* lo, uintptr_t* hi) {
  auto* c = static_cast<ListCursor*>(ctx);
  if (i == 0) c->it = loaded.begin();
  if (c->it == loaded.end()) return false;
  *lo = c->it->text_addr;
  *hi = c->it->end();
  ++c->it;
  return true;
}
uintptr_t alloc_va(uint32_t size) {  // module lock
  ListCursor c{loaded.begin()};
  return mod_place(&va_cursor, kModuleBase, kModuleSize, size, kPageSize, used_range, &c);
}

void unmap_range(uintptr_t lo, uintptr_t hi) {
  for (uintptr_t va = lo; va < hi; va += kPageSize) {
    uintptr_t pa;
    if (paging_unmap(va, &pa)) pmm_free(pa);
  }
}

bool map_range(uintptr_t lo, uintptr_t hi) {
  for (uintptr_t va = lo; va < hi; va += kPageSize) {
    const uintptr_t frame = pmm_alloc();
    if (!frame || !paging_map(va, frame, pte::kWritable)) {
      if (frame) pmm_free(frame);
      unmap_range(lo, va);
      return false;
    }
    __builtin_memset(reinterpret_cast<void*>(va), 0, kPageSize);
  }
  return true;
}

// ---- unloaded modules, remembered for naming stray accesses ----
struct Ghost {
  char name[kNameMax + 1];
  uintptr_t lo, hi;
  uint8_t blob[kGhostSymbols];  // a bigger symbol table is not kept (addresses only then)
  SymbolTable syms;
};
Ghost ghosts[kMaxGhosts];  // interrupts off
int ghost_next = 0;

void remember_ghost(const module& m) {
  InterruptDisabler guard;
  Ghost& g = ghosts[ghost_next];
  ghost_next = (ghost_next + 1) % kMaxGhosts;
  __builtin_memcpy(g.name, m.name, sizeof g.name);
  g.lo = m.text_addr;
  g.hi = m.end();
  g.syms = SymbolTable{};
  if (m.symblob && m.symblob_len <= sizeof g.blob) {
    __builtin_memcpy(g.blob, m.symblob, m.symblob_len);
    g.syms.init(g.blob, m.symblob_len);
  }
}

module* module_at(uintptr_t addr) {  // interrupts off or module lock
  for (module& m : loaded)
    if (m.contains(addr)) return &m;
  return nullptr;
}

// The fault path's namer (and everybody's): "sched_tick+0x12 [sched]", "in unloaded
// module sched: sched_tick+0x12". Any context.
bool name_address(uintptr_t addr, char* buf, size_t len) {
  if (addr < kModuleBase || addr >= kModuleBase + kModuleSize) return false;
  InterruptDisabler guard;
  const char* sym;
  uint32_t off;
  if (module* m = module_at(addr)) {
    if (m->syms.lookup(uint32_t(addr), &sym, &off))
      snformat(buf, len, "%s+0x%x [%s]", sym, off, m->name);
    else
      snformat(buf, len, "%s+0x%x", m->name, unsigned(addr - m->text_addr));
    return true;
  }
  for (const Ghost& g : ghosts) {
    if (!g.name[0] || addr < g.lo || addr >= g.hi) continue;
    if (g.syms.lookup(uint32_t(addr), &sym, &off))
      snformat(buf, len, "in unloaded module %s: %s+0x%x", g.name, sym, off);
    else
      snformat(buf, len, "in unloaded module %s (+0x%x)", g.name, unsigned(addr - g.lo));
    return true;
  }
  snformat(buf, len, "in the module area, no module there");
  return true;
}

void print_target(uintptr_t a) {
  char buf[96];
  if (name_address(a, buf, sizeof buf)) kprintf("%s", buf);
  else kprintf("%p", reinterpret_cast<void*>(a));
}

// ---- finding modules ----
module* find_loaded(const char* name) {  // module lock
  for (module& m : loaded)
    if (str_eq(m.name, name)) return &m;
  return nullptr;
}

ModState state_of(const module* m) {
  InterruptDisabler guard;
  return m->life.state;
}

// The module name of a Multiboot module: the last path component of its first word,
// without ".ko" (GRUB: "/boot/modules/sched.ko sched.ko"; QEMU: "build/modules/sched.ko").
void boot_module_name(const BootModule& bm, char* out, size_t cap) {
  const char* s = bm.name;
  const char* word_end = s;
  while (*word_end && *word_end != ' ') ++word_end;
  const char* base = s;
  for (const char* p = s; p < word_end; ++p)
    if (*p == '/') base = p + 1;
  size_t n = size_t(word_end - base);
  if (n > 3 && __builtin_memcmp(word_end - 3, ".ko", 3) == 0) n -= 3;
  str_copy_n(out, base, n, cap);
}

const BootModule* find_boot_module(const char* name) {
  const BootInfo& info = boot_info();
  for (int i = 0; i < info.module_count; ++i) {
    char n[kNameMax + 1];
    boot_module_name(info.modules[i], n, sizeof n);
    if (str_eq(n, name)) return &info.modules[i];
  }
  return nullptr;
}

// ---- symbol resolution (module lock) ----
struct ResolveCtx {
  module* self;
  module* deps[kMaxDeps];
  int ndeps;
  bool too_many_deps;
};

bool resolve(void* vctx, const char* name, uint32_t* addr) {
  auto* ctx = static_cast<ResolveCtx*>(vctx);
  // The module's own identity: THIS_MODULE, and the handle C++ destructors register with.
  if (str_eq(name, "__this_module") || str_eq(name, "__dso_handle")) {
    *addr = reinterpret_cast<uint32_t>(ctx->self);
    return true;
  }
  for (const kernel_symbol* k = __ksymtab_start; k < __ksymtab_end; ++k) {
    if (str_eq(k->name, name)) {
      *addr = reinterpret_cast<uint32_t>(k->addr);
      return true;
    }
  }
  for (module& m : loaded) {
    if (state_of(&m) != ModState::Live) continue;  // only a live module's exports count
    for (uint32_t i = 0; i < m.nexports; ++i) {
      if (!str_eq(m.exports[i].name, name)) continue;
      *addr = reinterpret_cast<uint32_t>(m.exports[i].addr);
      bool known = false;
      for (int d = 0; d < ctx->ndeps; ++d) known |= ctx->deps[d] == &m;
      if (!known) {
        if (ctx->ndeps == kMaxDeps) ctx->too_many_deps = true;
        else ctx->deps[ctx->ndeps++] = &m;
      }
      return true;
    }
  }
  return false;
}

bool exported_elsewhere(const char* name, const module* self, const char** where) {
  for (const kernel_symbol* k = __ksymtab_start; k < __ksymtab_end; ++k)
    if (str_eq(k->name, name)) return *where = "the kernel", true;
  for (module& m : loaded) {
    if (&m == self) continue;
    for (uint32_t i = 0; i < m.nexports; ++i)
      if (str_eq(m.exports[i].name, name)) return *where = m.name, true;
  }
  return false;
}

// ---- what still points into a module ----
struct LeftoverCtx {
  const module* m;
  int count;
};

[[maybe_unused]] void report_task(void* vctx, const TqRangeHit& hit) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  if (hit.what & kTqHitQueue) {
    kprintf("  %s: its task queue %s still has %lu task%s or a drain in progress\n", ctx->m->name,
            hit.queue && hit.queue->name ? hit.queue->name : "?", hit.queue ? hit.queue->queued : 0,
            hit.queue && hit.queue->queued == 1 ? "" : "s");
    return;
  }
  kprintf("  %s: %s %p on %s (routine ", ctx->m->name,
          (hit.what & kTqHitRunning) ? "running task" : "queued task",
          static_cast<const void*>(hit.task), hit.queue && hit.queue->name ? hit.queue->name : "?");
  print_target(reinterpret_cast<uintptr_t>(hit.routine));
  kprintf(")\n");
}

[[maybe_unused]] void report_thread(void* vctx, const Thread& t) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  kprintf("  %s: thread %s sleeps on wait queue %s in the module\n", ctx->m->name, t.name,
          t.sched.waiting_on && t.sched.waiting_on->name ? t.sched.waiting_on->name : "?");
}

[[maybe_unused]] void report_proc(void* vctx, const char* name) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  kprintf("  %s: /proc/%s is still registered\n", ctx->m->name, name);
}

// Tasks a failed init left queued: taken off their queues (collected first, then
// cancelled, because the scan holds the queues' guard).
struct Collected {
  tq_struct* tasks[16];
  int n = 0;
};
void collect_task(void* vctx, const TqRangeHit& hit) {
  auto* c = static_cast<Collected*>(vctx);
  if ((hit.what & kTqHitTask) || (hit.what & kTqHitRoutine))
    if (hit.task && c->n < 16) c->tasks[c->n++] = const_cast<tq_struct*>(hit.task);
}

// What init_module left behind is taken away: its queued tasks, its /proc files.
void undo_init(module* m) {
  const uintptr_t lo = m->text_addr, hi = m->end();
  for (int round = 0; round < 8; ++round) {
    Collected c;
    tq_find_in_range(lo, hi, collect_task, &c);
    if (!c.n) break;
    for (int i = 0; i < c.n; ++i) {
      kprintf("  %s: undoing a task its init_module left queued\n", m->name);
      cancel_task_sync(c.tasks[i]);
    }
  }
  if (const int n = proc_remove_matching(m, lo, hi))
    kprintf("  %s: removed %d /proc file%s its init_module left behind\n", m->name, n,
            n == 1 ? "" : "s");
}

// Pointers into m held by the data of another loaded module (a hook registered with a
// provider): the provider would call into freed memory later. Module lock.
struct PointerCtx {
  const module* m;
  const module* holder;
  int count;
};
void report_pointer(void* vctx, size_t offset, uint32_t value) {
  auto* c = static_cast<PointerCtx*>(vctx);
  ++c->count;
  kprintf("  %s: module %s holds a pointer to ", c->m->name, c->holder->name);
  print_target(value);
  kprintf(" at ");
  print_target(c->holder->data_addr + offset);
  kprintf("\n");
}
int pointers_from_other_modules(const module* m) {
  PointerCtx c{m, nullptr, 0};
  for (const module& other : loaded) {
    if (&other == m || !other.data_size) continue;
    c.holder = &other;
    mod_scan_words(reinterpret_cast<const void*>(other.data_addr), other.data_size,
                   uint32_t(m->text_addr), uint32_t(m->end()), report_pointer, &c);
  }
  return c.count;
}

// What the kernel's own registries still hold of m: queued or running tasks, threads
// sleeping on its wait queues, /proc entries. Returns how many, printing each.
int registry_leftovers(module* m) {
  [[maybe_unused]] const uintptr_t lo = m->text_addr, hi = m->end();
  // LAB(5) BEGIN: count and report what still points into [lo, hi): task-queue entries (tq_find_in_range), sleeping threads, /proc entries
  LeftoverCtx ctx{m, 0};
  tq_find_in_range(lo, hi, report_task, &ctx);
  threads_waiting_in_range(lo, hi, report_thread, &ctx);
  proc_find(m, lo, hi, report_proc, &ctx);
  return ctx.count;
  // LAB(5) STUB: return 0;
  // LAB(5) END
}

// Threads whose call chain is inside the module right now (a thread running a hook the
// module registered elsewhere, preempted in the middle of it).
void report_running(void* vctx, const Thread& t, uintptr_t addr) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
  kprintf("  %s: thread %s is executing in the module (", ctx->m->name, t.name);
  print_target(addr);
  kprintf(")\n");
}
int threads_inside(module* m) {
  LeftoverCtx ctx{m, 0};
  threads_executing_in_range(m->text_addr, m->text_addr + m->text_exec_size, report_running, &ctx);
  return ctx.count;
}

// Returns how many things still point into m, printing each. Module lock.
int check_leftovers(module* m) {
  return registry_leftovers(m) + pointers_from_other_modules(m) + threads_inside(m);
}

// ---- constructors and destructors ----
void run_list(uint32_t* fns, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) reinterpret_cast<void (*)()>(fns[i])();
}
struct InitCall {
  module* m;
  int rc;
};
void run_constructors_and_init(void* arg) {
  auto* c = static_cast<InitCall*>(arg);
  run_list(c->m->ctors, c->m->nctors);
  c->rc = c->m->init();
}
void run_cleanup(void* arg) { static_cast<module*>(arg)->cleanup(); }
// __cxa_atexit registrations (newest first), then the .fini_array.
void run_destructors(void* arg) {
  auto* m = static_cast<module*>(arg);
  while (AtExit* a = m->atexit) {
    m->atexit = a->next;
    a->fn(a->arg);
    kfree(a);
  }
  run_list(m->ctors + m->nctors, m->ndtors);
}

// ---- failure ----
// Marks m failed and takes away what could call into it: its /proc files now, and (from
// a thread) its queued tasks. Interrupts off or on.
void detach(module* m) {
  InterruptDisabler guard;
  mod_mark_failed(m->life);
  proc_remove_matching(m, m->text_addr, m->end());
  tq_cancel_in_range(m->text_addr, m->end());
}

// The fault path: if the faulting code is a module's, or a module's code is among the
// callers (a module passed a bad pointer to the kernel), that module is marked failed.
// Interrupts off; must not sleep.
bool frame_ok(uintptr_t ebp, uintptr_t prev) {
  return ebp && !(ebp & 3) && ebp > prev && paging_is_mapped(ebp) && paging_is_mapped(ebp + 4);
}
module* blame(const InterruptFrame& f) {
  if (module* m = module_at(f.eip)) return m;
  uintptr_t ebp = f.ebp, prev = 0;
  for (int depth = 0; depth < 16 && frame_ok(ebp, prev); ++depth) {
    const auto* frame = reinterpret_cast<const uint32_t*>(ebp);
    if (module* m = module_at(frame[1])) return m;
    prev = ebp;
    ebp = frame[0];
  }
  return nullptr;
}
void on_fault(const InterruptFrame& f) {
  if (module_mutex_owner == current_thread()) {
    module_mutex_owner = nullptr;
    mutex_unlock(&module_mutex);
    kprintf("modules: the module lock was released after a fault under it\n");
  }
  module* m = blame(f);
  if (!m || m->life.state == ModState::Failed) return;
  detach(m);
  kprintf("module %s faulted: marked failed; its /proc files are removed and its code is never "
          "run again (rmmod %s frees it once nothing points in)\n", m->name, m->name);
}

// ---- load ----
void discard(module* m, uintptr_t base, uint32_t total) {  // module lock; never published
  unmap_range(base, base + total);
  kfree(m->symblob);
  kfree(m->ctors);
  m->~module();
  kfree(m);
}

void free_module(module* m) {  // module lock; no reader can reach it any more
  quartz_module_event(m, 0);
  remember_ghost(*m);
  for (int d = 0; d < m->ndeps; ++d) {
    InterruptDisabler guard;
    --m->deps[d]->life.users;
  }
  {
    InterruptDisabler guard;
    IntrusiveList<module, &module::node>::remove(*m);
  }
  tq_forget_queues_in_range(m->text_addr, m->end());  // its own queues, empty and idle
  unmap_range(m->text_addr, m->end());
  while (AtExit* a = m->atexit) {  // registered but never run (a failed module)
    m->atexit = a->next;
    kfree(a);
  }
  kfree(m->symblob);
  kfree(m->ctors);
  m->~module();
  kfree(m);
}

void collect_ctor(void* ctx, uint32_t fn) {
  auto** out = static_cast<uint32_t**>(ctx);
  *(*out)++ = fn;
}
uint32_t count_ctors(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load, bool fini) {
  uint32_t n = 0;
  elf_for_each_ctor(info, layout, load, fini, [](void* c, uint32_t) { ++*static_cast<uint32_t*>(c); }, &n);
  return n;
}

// Places, links and checks NAME.ko; on success *out is ready to publish (state Coming,
// busy). On failure prints the reason, undoes everything and returns false. Module lock.
bool place_and_link(const char* name, const BootModule* bm, module** out) {
  const char* tname = trace_intern(name);
  auto phase = [&](TraceModulePhase p) { trace(TraceType::Module, trace_ptr(tname), p); };
  phase(kModValidate);
  const auto* image = reinterpret_cast<const uint8_t*>(bm->start);
  const size_t size = bm->end - bm->start;
  ElfInfo info;
  ElfError err;
  static ElfLayout layout;  // ~1 KiB: not on the stack (module lock)
  if (!elf_validate(image, size, &info, &err) || !elf_layout(info, &layout, &err)) {
    kprintf("insmod: %s.ko: %s\n", name, err.msg);
    return false;
  }
  phase(kModAllocate);
  const uint32_t total = layout.text_size + layout.data_size;
  const uintptr_t base = alloc_va(total);
  if (!base || !map_range(base, base + total)) {
    kprintf("insmod: %s: out of memory for %u bytes\n", name, unsigned(total));
    return false;
  }
  auto* m = static_cast<module*>(kzalloc(sizeof(module)));
  if (!m) {
    unmap_range(base, base + total);
    kprintf("insmod: %s: out of memory\n", name);
    return false;
  }
  new (m) module{};
  str_copy(m->name, name, sizeof m->name);
  m->text_addr = base;
  m->text_size = layout.text_size;
  m->text_exec_size = layout.text_exec_size;
  m->data_addr = base + layout.text_size;
  m->data_size = layout.data_size;
  __init_waitqueue_head(&m->unload_wq, "module_unload");

  // From here on, every failure takes the one way out below.
  const char* why = nullptr;
  char msg[96];
  ResolveCtx rctx{m, {}, 0, false};
  const ElfLoad load{reinterpret_cast<uint8_t*>(m->text_addr), uint32_t(m->text_addr),
                     reinterpret_cast<uint8_t*>(m->data_addr), uint32_t(m->data_addr)};
  uint32_t init = 0, cleanup = 0;
  phase(kModResolve);  // resolving and relocating happen in one pass over the relocations
  if (!elf_relocate(info, layout, load, resolve, &rctx, &err)) why = err.msg;
  if (!why) phase(kModRelocate);
  if (!why && rctx.too_many_deps) why = "uses more than 8 modules";
  if (!why && !elf_find_symbol(info, layout, load, "init_module", &init)) why = "no init_module";
  if (!why && !elf_check_ctors(info, layout, load, &err)) why = err.msg;
  if (!why) {
    elf_find_symbol(info, layout, load, "cleanup_module", &cleanup);
    m->init = reinterpret_cast<int (*)()>(init);
    m->cleanup = reinterpret_cast<void (*)()>(cleanup);
    if (const uint32_t sec = elf_find_section(info, ".quartz_ksymtab")) {
      uint32_t addr, bytes = 0;
      const uint8_t* unused;
      if (elf_section_address(layout, load, sec, &addr) && elf_section_data(info, sec, &unused, &bytes)) {
        m->exports = reinterpret_cast<const kernel_symbol*>(addr);
        m->nexports = bytes / sizeof(kernel_symbol);
      }
    }
    for (uint32_t i = 0; i < m->nexports && !why; ++i) {
      const char* where;
      if (!m->contains(reinterpret_cast<uintptr_t>(m->exports[i].name))) {
        why = "an export's name lies outside the module";
      } else if (exported_elsewhere(m->exports[i].name, m, &where)) {
        snformat(msg, sizeof msg, "exports %s, which %s already exports", m->exports[i].name, where);
        why = msg;
      }
    }
  }
  if (!why) {
    m->nctors = count_ctors(info, layout, load, false);
    m->ndtors = count_ctors(info, layout, load, true);
    m->ctors = static_cast<uint32_t*>(kmalloc((m->nctors + m->ndtors + 1) * sizeof(uint32_t)));
    const size_t blob_len = elf_symbol_blob_size(info, layout);
    m->symblob = static_cast<uint8_t*>(kmalloc(blob_len ? blob_len : 1));
    if (!m->ctors || !m->symblob) {
      why = "out of memory for its symbol table";
    } else {
      uint32_t* p = m->ctors;
      elf_for_each_ctor(info, layout, load, false, collect_ctor, &p);
      elf_for_each_ctor(info, layout, load, true, collect_ctor, &p);
      m->symblob_len = elf_write_symbol_blob(info, layout, load, m->symblob, blob_len);
      m->syms.init(m->symblob, m->symblob_len);
    }
  }
  if (why) {
    phase(kModFailed);
    kprintf("insmod: %s.ko: %s\n", name, why);
    discard(m, base, total);
    return false;
  }
  // Text and read-only data become read-only (CR0.WP makes that bind the kernel too).
  for (uintptr_t va = m->text_addr; va < m->text_addr + m->text_size; va += kPageSize)
    paging_protect(va, 0);
  m->ndeps = rctx.ndeps;
  for (int d = 0; d < rctx.ndeps; ++d) {
    m->deps[d] = rctx.deps[d];
    InterruptDisabler guard;
    ++rctx.deps[d]->life.users;
  }
  for (uint32_t i = 1; i < info.shnum && m->nsections < kMaxSections; ++i) {
    uint32_t addr;
    if (!elf_section_address(layout, load, i, &addr)) continue;
    m->sections[m->nsections++] = {elf_section_name(info, i), addr};
  }
  *out = m;
  return true;
}

void set_not_busy(module* m) {
  InterruptDisabler guard;
  m->life.busy = false;
}

int load(const char* name) {
  if (__builtin_strlen(name) > kNameMax) {
    kprintf("insmod: %s: name too long (max %u characters)\n", name, unsigned(kNameMax));
    return 1;
  }
  const char* tname = trace_intern(name);
  auto phase = [&](TraceModulePhase p) { trace(TraceType::Module, trace_ptr(tname), p); };
  module* m = nullptr;
  {
    ModuleLockGuard lock;
    if (module* old = find_loaded(name)) {
      kprintf("insmod: %s is already loaded (%s)\n", name, mod_state_name(state_of(old)));
      return 1;
    }
    const BootModule* bm = find_boot_module(name);
    if (!bm) {
      kprintf("insmod: %s: no such module (see 'modules' for the boot modules)\n", name);
      return 1;
    }
    if (!place_and_link(name, bm, &m)) return 1;
    InterruptDisabler guard;
    loaded.push_back(*m);  // Coming and busy: visible, but nobody enters it yet
  }
  quartz_module_event(m, 1);

  phase(kModComing);
  phase(kModInit);
  InitCall call{m, 0};
  // The module's code, in this thread: it may sleep. Not under the module lock.
  if (!fault_call_recoverable(run_constructors_and_init, &call)) {
    phase(kModFailed);
    detach(m);  // if the fault path did not already (a fault outside the module's frames)
    undo_init(m);
    set_not_busy(m);
    kprintf("insmod: %s: init_module faulted; the module is marked failed: its tasks and /proc "
            "files were taken away, its memory is kept and never run again (rmmod %s frees it)\n",
            name, name);
    return 1;
  }
  if (call.rc != 0) {
    phase(kModFailed);
    {
      InterruptDisabler guard;
      m->life.state = ModState::Going;
    }
    kprintf("insmod: %s: init_module failed with %d; undoing what it left behind\n", name, call.rc);
    undo_init(m);
    if (!fault_call_recoverable(run_destructors, m)) detach(m);
    ModuleLockGuard lock;
    {
      InterruptDisabler guard;
      m->life.cleaned = true;
    }
    if (check_leftovers(m) != 0) {
      set_not_busy(m);
      kprintf("insmod: %s: not freed; it stays '%s'\n", name, mod_state_name(state_of(m)));
      return 1;
    }
    free_module(m);
    return 1;
  }
  {
    InterruptDisabler guard;
    m->life.state = ModState::Live;
    m->life.busy = false;
  }
  phase(kModLive);
  kprintf("%s: loaded at %p (text %u bytes, data %u bytes)\n", name,
          reinterpret_cast<void*>(m->text_addr), unsigned(m->text_size), unsigned(m->data_size));
  return 0;
}

// ---- unload ----
int active_of(module* m) {
  InterruptDisabler guard;
  return m->life.active;
}

void print_users(const char* name, const module* m) {
  kprintf("rmmod: %s is in use by", name);
  for (module& u : loaded)
    for (int d = 0; d < u.ndeps; ++d)
      if (u.deps[d] == m) kprintf(" %s", u.name);
  kprintf("\n");
}

int unload(const char* name) {
  module* m;
  UnloadVerdict verdict;
  {
    ModuleLockGuard lock;
    m = find_loaded(name);
    if (!m) {
      kprintf("rmmod: %s is not loaded\n", name);
      return 1;
    }
    if (state_of(m) == ModState::Live && !m->cleanup) {
      kprintf("rmmod: %s has no cleanup_module: it cannot be unloaded\n", name);
      return 1;
    }
    {
      InterruptDisabler guard;
      verdict = mod_begin_unload(m->life);
    }
    if (verdict == UnloadVerdict::UsedByModules) {
      print_users(name, m);
      return 1;
    }
    if (verdict == UnloadVerdict::Busy) {
      kprintf("rmmod: %s: an insmod or rmmod of it is in progress (%s)\n", name,
              mod_state_name(state_of(m)));
      return 1;
    }
  }
  // Not under the module lock from here to the check: other modules load and unload.
  const char* tname = trace_intern(name);
  unsigned long took = 0;
  if (verdict == UnloadVerdict::Start) {
    // No new reader enters a Going module; wait for those inside (a /proc read).
    const long left = wait_event_timeout(m->unload_wq, active_of(m) == 0,
                                         kReaderWaitSeconds * timer_hz());
    if (left == 0) {
      const int readers = active_of(m);
      {
        InterruptDisabler guard;
        mod_abort_unload(m->life);
      }
      kprintf("rmmod: %s is in use: %d reader%s of its /proc files did not finish within %u s; "
              "it stays live\n", name, readers, readers == 1 ? "" : "s", kReaderWaitSeconds);
      return 1;
    }
    trace(TraceType::Module, trace_ptr(tname), kModCleanup);
    const unsigned long start = jiffies;
    // Blocks this thread until the module's protocol says it is done.
    const bool ok = fault_call_recoverable(run_cleanup, m) && fault_call_recoverable(run_destructors, m);
    took = jiffies - start;
    {
      InterruptDisabler guard;
      m->life.cleaned = true;
    }
    if (!ok) {
      detach(m);
      set_not_busy(m);
      kprintf("rmmod: %s: cleanup_module faulted; the module is marked failed (rmmod %s again "
              "frees it once nothing points in)\n", name, name);
      return 1;
    }
    trace(TraceType::Module, trace_ptr(tname), kModGoing);
  }
  // A failed module's code never runs again: what it left is taken away from here.
  if (verdict == UnloadVerdict::FreeFailed) undo_init(m);
  // Beyond Linux 2.2: the kernel itself checks that nothing still points in.
  ModuleLockGuard lock;
  const int left = check_leftovers(m);
  if (left) {
    set_not_busy(m);
    kprintf("rmmod: %s: not freed: %d reference%s into its memory remain%s; it stays '%s' "
            "(rmmod %s again to re-check)\n", name, left, left == 1 ? "" : "s",
            left == 1 ? "s" : "", mod_state_name(state_of(m)), name);
    return 1;
  }
  trace(TraceType::Module, trace_ptr(tname), kModFree);
  const bool failed = verdict == UnloadVerdict::FreeFailed;
  free_module(m);
  if (failed) kprintf("%s: freed (it had failed; its cleanup_module was not run)\n", name);
  else kprintf("%s: unloaded (cleanup_module took %lu tick%s)\n", name, took, took == 1 ? "" : "s");
  return 0;
}

// ---- lsmod and /proc/modules: copied under the guard, printed after ----
struct ModRow {
  char name[kNameMax + 1];
  uint32_t size;
  int users;
  char user_names[48];
  ModState state;
};

void show_modules(ProcFile* out, void*) {
  size_t count;
  {
    InterruptDisabler guard;
    count = loaded.size();
  }
  const size_t cap = count + 4;  // a few may be loaded while we allocate
  auto* rows = static_cast<ModRow*>(kmalloc(cap * sizeof(ModRow)));
  if (!rows) {
    proc_printf(out, "lsmod: out of memory\n");
    return;
  }
  size_t n = 0, total = 0;
  {
    InterruptDisabler guard;
    for (module& m : loaded) {
      ++total;
      if (n == cap) continue;
      ModRow& r = rows[n++];
      __builtin_memcpy(r.name, m.name, sizeof r.name);
      r.size = m.text_size + m.data_size;
      r.users = m.life.users + m.life.active;  // like Linux: module users and calls inside
      r.state = m.life.state;
      size_t len = 0;
      r.user_names[0] = 0;
      for (module& u : loaded)
        for (int d = 0; d < u.ndeps; ++d)
          if (u.deps[d] == &m)
            len += size_t(snformat(r.user_names + len, len < sizeof r.user_names ? sizeof r.user_names - len : 0,
                                   len ? ",%s" : "%s", u.name));
      if (len >= sizeof r.user_names) __builtin_memcpy(r.user_names + sizeof r.user_names - 4, "...", 4);
    }
  }
  proc_printf(out, "%-16s %8s %5s  %-20s %s\n", "Module", "Size", "Used", "Users", "State");
  for (size_t i = 0; i < n; ++i) {
    const ModRow& r = rows[i];
    proc_printf(out, "%-16s %8u %5d  %-20s %s\n", r.name, unsigned(r.size), r.users,
                r.user_names[0] ? r.user_names : "-", mod_state_name(r.state));
  }
  if (total > n) proc_printf(out, "... and %u more\n", unsigned(total - n));
  kfree(rows);
}

int cmd_insmod(int argc, char** argv) {
  if (argc != 2) return shell_usage("insmod");
  return load(argv[1]);
}
int cmd_rmmod(int argc, char** argv) {
  if (argc != 2) return shell_usage("rmmod");
  return unload(argv[1]);
}
int cmd_lsmod(int argc, char**) {
  if (argc != 1) return shell_usage("lsmod");
  return proc_cat("modules");
}
int cmd_modules(int argc, char**) {
  if (argc != 1) return shell_usage("modules");
  const BootInfo& info = boot_info();
  if (!info.module_count) kprintf("no boot modules (add them with qemu -initrd or GRUB 'module' lines)\n");
  for (int i = 0; i < info.module_count; ++i) {
    char n[kNameMax + 1];
    boot_module_name(info.modules[i], n, sizeof n);
    const char* state = "-";
    {
      ModuleLockGuard lock;
      if (const module* m = find_loaded(n)) state = mod_state_name(state_of(m));
    }
    kprintf("%-16s %8u bytes  %s\n", n, unsigned(info.modules[i].end - info.modules[i].start), state);
  }
  return 0;
}
}  // namespace

SHELL_COMMAND(insmod, "NAME", "load boot module NAME.ko and run its init_module", cmd_insmod);
SHELL_COMMAND(rmmod, "NAME", "run cleanup_module, check nothing points in, free", cmd_rmmod);
SHELL_COMMAND(lsmod, "", "loaded modules: size, use count, users, state", cmd_lsmod);
SHELL_COMMAND(modules, "", "the boot modules insmod can load", cmd_modules);

void modules_init() {
  fault_set_address_namer(name_address);
  fault_add_recovery_hook(on_fault);
  proc_create("modules", show_modules, nullptr, nullptr);
}

int module_load(const char* name) { return load(name); }
int module_unload(const char* name) { return unload(name); }

bool module_symbol(const char* mod, const char* symbol, uintptr_t* addr) {
  ModuleLockGuard lock;
  module* m = find_loaded(mod);
  uint32_t a;
  if (!m || !m->syms.find(symbol, &a)) return false;
  *addr = a;
  return true;
}

ModuleEntry module_enter(uintptr_t addr, module** out, char* why, size_t why_len) {
  if (addr < kModuleBase || addr >= kModuleBase + kModuleSize) return ModuleEntry::NotAModule;
  InterruptDisabler guard;
  module* m = module_at(addr);
  if (!m) {
    if (why) snformat(why, why_len, "no module holds its code (%p)", reinterpret_cast<void*>(addr));
    return ModuleEntry::Refused;
  }
  if (!mod_try_get(m->life)) {
    if (why) snformat(why, why_len, "module %s is %s", m->name, mod_state_name(m->life.state));
    return ModuleEntry::Refused;
  }
  *out = m;
  return ModuleEntry::Entered;
}

void module_leave(module* m) {
  bool wake;
  {
    InterruptDisabler guard;
    wake = mod_put(m->life);
  }
  if (wake) wake_up(&m->unload_wq);
}

const char* module_name(const module* m) { return m->name; }

int module_atexit(void (*fn)(void*), void* arg, void* dso) {
  auto* node = static_cast<AtExit*>(kmalloc(sizeof(AtExit)));
  if (!node) return -1;
  {
    InterruptDisabler guard;
    for (module& m : loaded) {
      if (&m != dso) continue;
      if (m.life.state != ModState::Coming) break;  // only while its constructors run
      *node = AtExit{fn, arg, m.atexit};
      m.atexit = node;
      return 0;
    }
  }
  kfree(node);
  return -1;
}

}  // namespace quartz

// ---- stress, stray calls and benchmarks, for the tests ----
namespace quartz {
namespace {
// modstress NAME COUNT [SPIN]: COUNT insmod/rmmod cycles, each unload at a different
// phase relative to the tick (a busy wait of (i % 17) * SPIN iterations between load
// and unload; SPIN defaults to 20011, about a tick at HZ=100).
int cmd_modstress(int argc, char** argv) {
  long long count, spin_unit = 20011;
  if ((argc != 3 && argc != 4) || !parse_int(argv[2], &count) || count < 1 || count > 100000 ||
      (argc == 4 && (!parse_int(argv[3], &spin_unit) || spin_unit < 0 || spin_unit > 1000000)))
    return shell_usage("modstress");
  const HeapStats before = kheap_stats();
  for (long long i = 0; i < count; ++i) {
    if (module_load(argv[1]) != 0) return 1;
    for (long long spin = 0; spin < (i % 17) * spin_unit; ++spin) asm volatile("" ::: "memory");
    if (i % 5 == 0) sleep_ticks(unsigned(i % 3));
    if (module_unload(argv[1]) != 0) return 1;
  }
  const HeapStats after = kheap_stats();
  kprintf("modstress: %lld cycles; heap %u bytes in %u allocations before, %u in %u after\n", count,
          unsigned(before.bytes_in_use), unsigned(before.live_allocations),
          unsigned(after.bytes_in_use), unsigned(after.live_allocations));
  return after.bytes_in_use == before.bytes_in_use ? 0 : 1;
}

// modcall MODULE SYMBOL: remembers the address of a loaded module's function and calls
// it; `modcall --again` calls the remembered address (after rmmod: a stray call).
uintptr_t remembered = 0;
int cmd_modcall(int argc, char** argv) {
  if (argc == 2 && str_eq(argv[1], "--again")) {
    if (!remembered) {
      kprintf("modcall: nothing remembered\n");
      return 1;
    }
  } else if (argc == 3) {
    if (!module_symbol(argv[1], argv[2], &remembered)) {
      kprintf("modcall: no symbol %s in a loaded module %s\n", argv[2], argv[1]);
      return 1;
    }
  } else {
    return shell_usage("modcall");
  }
  kprintf("modcall: calling %p\n", reinterpret_cast<void*>(remembered));
  reinterpret_cast<void (*)()>(remembered)();
  return 0;
}

// modbench NAME: instructions for one insmod+rmmod cycle (exact under -icount).
int cmd_modbench(int argc, char** argv) {
  if (argc != 2) return shell_usage("modbench");
  // Under -icount the TSC also advances while the CPU halts: count busy time only.
  const uint64_t t0 = busy_tsc();
  if (module_load(argv[1]) != 0) return 1;
  const uint64_t t1 = busy_tsc();
  if (module_unload(argv[1]) != 0) return 1;
  const uint64_t t2 = busy_tsc();
  kprintf("modbench: module=%s insmod_instructions=%llu rmmod_instructions=%llu "
          "cycle_instructions=%llu (idle time excluded)\n",
          argv[1], static_cast<unsigned long long>(t1 - t0),
          static_cast<unsigned long long>(t2 - t1), static_cast<unsigned long long>(t2 - t0));
  return 0;
}
}  // namespace

SHELL_COMMAND(modstress, "NAME COUNT [SPIN]", "insmod/rmmod NAME COUNT times at varied tick phases",
              cmd_modstress);
SHELL_COMMAND(modcall, "MODULE SYMBOL | --again", "call a module's function (again: after rmmod)",
              cmd_modcall);
SHELL_COMMAND(modbench, "NAME", "instructions for one insmod+rmmod cycle", cmd_modbench);
}  // namespace quartz
