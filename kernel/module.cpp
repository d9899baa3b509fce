// The module loader: finds NAME.ko among the Multiboot modules, validates, lays out,
// maps (text read-only, data read-write), resolves against exports, relocates, runs
// init_module; unloads through cleanup_module and a leftover check; insmod, rmmod,
// lsmod, modules and /proc/modules.
#include "module.h"
#include <new>
#include "arch/x86/cpu.h"
#include "arch/x86/fault.h"
#include "arch/x86/irq_guard.h"
#include "arch/x86/paging.h"
#include "cmdline.h"
#include "console.h"
#include "elf_module.h"
#include "format.h"
#include "export_api.h"
#include "intrusive_list.h"
#include "kheap.h"
#include "ksyms.h"
#include "multiboot.h"
#include "pmm.h"
#include "procfs.h"
#include "sched.h"
#include "shell.h"
#include "timer.h"
#include "tqueue.h"
#include "trace.h"

extern "C" const kernel_symbol __ksymtab_start[], __ksymtab_end[];

namespace quartz {
namespace {

enum class ModState : uint8_t { Coming, Live, Going };
const char* state_name(ModState s) {
  return s == ModState::Coming ? "coming" : s == ModState::Live ? "live" : "going";
}

constexpr int kMaxDeps = 8;
constexpr size_t kNameMax = 31;

}  // namespace
}  // namespace quartz

// THIS_MODULE points at one of these; modules see only the name.
struct module {
  char name[quartz::kNameMax + 1];
  quartz::ModState state;
  uintptr_t text_addr, data_addr;  // page aligned; text_addr is the start of the range
  uint32_t text_size, text_exec_size, data_size;  // page-rounded
  int (*init)();
  void (*cleanup)();
  int refcount;                    // modules using our exports
  module* deps[quartz::kMaxDeps];  // modules whose exports we use (we hold a reference)
  int ndeps;
  const kernel_symbol* exports;    // our .quartz_ksymtab, in our (relocated) memory
  uint32_t nexports;
  uint8_t* symblob;                // our symbols, for naming addresses ("sched_tick+0x12")
  size_t symblob_len;
  quartz::SymbolTable syms;
  quartz::IntrusiveListNode node;
  // Where each allocated section went, for debuggers (`add-symbol-file NAME.ko -s ...`).
  // Names point into the boot module's image, which stays in memory.
  struct { const char* name; uint32_t addr; } sections[24];
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
namespace {

}  // namespace
// Named (not in the anonymous namespace) so that tools/gdb/quartz.py can find them.
IntrusiveList<module, &module::node> g_modules;  // thread context, under `busy`
namespace {
auto& loaded = g_modules;
bool busy = false;                             // one module operation at a time

// ---- where modules live in the address space ----
// Every load gets fresh virtual addresses (with an unmapped page after it), so pages of
// an unloaded module stay unmapped for a long while: a stray call faults and is named.
uintptr_t va_cursor = kModuleBase;

uintptr_t alloc_va(uint32_t size) {
  const uint32_t need = size + kPageSize;  // and a guard page
  for (int attempt = 0; attempt < 2; ++attempt) {
    uintptr_t cand = va_cursor;
    bool moved = true;
    while (moved) {
      moved = false;
      if (cand + need > kModuleBase + kModuleSize) break;
      for (module& m : loaded) {
        if (cand < m.end() + kPageSize && m.text_addr < cand + need) {
          cand = m.end() + kPageSize;
          moved = true;
        }
      }
    }
    if (cand + need <= kModuleBase + kModuleSize) {
      va_cursor = cand + need;
      return cand;
    }
    va_cursor = kModuleBase;  // wrap around: the oldest unloaded ranges are reused
  }
  return 0;
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
  uint8_t blob[2048];  // symbols; a bigger table is not kept (addresses only then)
  SymbolTable syms;
};
Ghost ghosts[8];
int ghost_next = 0;

void remember_ghost(const module& m, size_t blob_len) {
  Ghost& g = ghosts[ghost_next];
  ghost_next = (ghost_next + 1) % 8;
  __builtin_memcpy(g.name, m.name, sizeof g.name);
  g.lo = m.text_addr;
  g.hi = m.end();
  g.syms = SymbolTable{};
  if (blob_len <= sizeof g.blob) {
    __builtin_memcpy(g.blob, m.symblob, blob_len);
    g.syms.init(g.blob, blob_len);
  }
}

bool name_address(uintptr_t addr, char* buf, size_t len) {
  if (addr < kModuleBase || addr >= kModuleBase + kModuleSize) return false;
  const char* sym;
  uint32_t off;
  for (module& m : loaded) {
    if (!m.contains(addr)) continue;
    if (m.syms.lookup(uint32_t(addr), &sym, &off))
      snformat(buf, len, "%s+0x%x [%s]", sym, off, m.name);
    else
      snformat(buf, len, "%s+0x%x", m.name, unsigned(addr - m.text_addr));
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

// ---- finding modules ----
module* find_loaded(const char* name) {
  for (module& m : loaded)
    if (__builtin_strcmp(m.name, name) == 0) return &m;
  return nullptr;
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
  if (n >= cap) n = cap - 1;
  __builtin_memcpy(out, base, n);
  out[n] = 0;
}

const BootModule* find_boot_module(const char* name) {
  const BootInfo& info = boot_info();
  for (int i = 0; i < info.module_count; ++i) {
    char n[kNameMax + 1];
    boot_module_name(info.modules[i], n, sizeof n);
    if (__builtin_strcmp(n, name) == 0) return &info.modules[i];
  }
  return nullptr;
}

// ---- symbol resolution ----
struct ResolveCtx {
  module* self;
  module* deps[kMaxDeps];
  int ndeps;
  bool too_many_deps;
};

bool resolve(void* vctx, const char* name, uint32_t* addr) {
  auto* ctx = static_cast<ResolveCtx*>(vctx);
  if (__builtin_strcmp(name, "__this_module") == 0) {
    *addr = reinterpret_cast<uint32_t>(ctx->self);
    return true;
  }
  for (const kernel_symbol* k = __ksymtab_start; k < __ksymtab_end; ++k) {
    if (__builtin_strcmp(k->name, name) == 0) {
      *addr = reinterpret_cast<uint32_t>(k->addr);
      return true;
    }
  }
  for (module& m : loaded) {
    if (m.state != ModState::Live) continue;  // a going module's exports are gone
    for (uint32_t i = 0; i < m.nexports; ++i) {
      if (__builtin_strcmp(m.exports[i].name, name) != 0) continue;
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
    if (__builtin_strcmp(k->name, name) == 0) return *where = "the kernel", true;
  for (module& m : loaded) {
    if (&m == self) continue;
    for (uint32_t i = 0; i < m.nexports; ++i)
      if (__builtin_strcmp(m.exports[i].name, name) == 0) return *where = m.name, true;
  }
  return false;
}

// ---- what still points into a module ----
struct LeftoverCtx {
  const module* m;
  int count;
  bool fix;  // after a failed init: take what init left behind away
};

void print_target(uintptr_t a) {
  char buf[96];
  if (name_address(a, buf, sizeof buf)) kprintf("%s", buf);
  else kprintf("%p", reinterpret_cast<void*>(a));
}

[[maybe_unused]] void report_task(void* vctx, const TqRangeHit& hit) {
  auto* ctx = static_cast<LeftoverCtx*>(vctx);
  ++ctx->count;
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
struct ProcNames {
  char names[8][32];
  int n = 0;
};
void collect_proc(void* vctx, const char* name) {
  auto* p = static_cast<ProcNames*>(vctx);
  if (p->n < 8) {
    size_t i = 0;
    for (; name[i] && i < 31; ++i) p->names[p->n][i] = name[i];
    p->names[p->n++][i] = 0;
  }
}

// Returns how many things still point into m, printing each.
int check_leftovers(module* m, bool undo) {
  const uintptr_t lo = m->text_addr, hi = m->end();
  if (undo) {
    // What init_module left behind is taken away before the check.
    for (int round = 0; round < 8; ++round) {
      Collected c;
      tq_find_in_range(lo, hi, collect_task, &c);
      if (!c.n) break;
      for (int i = 0; i < c.n; ++i) {
        kprintf("  %s: undoing a task its init_module left queued\n", m->name);
        cancel_task_sync(c.tasks[i]);
      }
    }
    ProcNames p;
    proc_find(m, lo, hi, collect_proc, &p);
    for (int i = 0; i < p.n; ++i) {
      kprintf("  %s: removing /proc/%s its init_module left behind\n", m->name, p.names[i]);
      proc_remove(p.names[i]);
    }
  }
  // LAB(5) BEGIN: count and report what still points into [lo, hi): task-queue entries (tq_find_in_range), sleeping threads, /proc entries
  LeftoverCtx ctx{m, 0, undo};
  tq_find_in_range(lo, hi, report_task, &ctx);
  threads_waiting_in_range(lo, hi, report_thread, &ctx);
  proc_find(m, lo, hi, report_proc, &ctx);
  return ctx.count;
  // LAB(5) STUB: return 0;
  // LAB(5) END
}

void free_module(module* m) {
  quartz_module_event(m, 0);
  if (m->symblob) remember_ghost(*m, m->symblob_len);
  unmap_range(m->text_addr, m->end());
  for (int d = 0; d < m->ndeps; ++d) --m->deps[d]->refcount;
  if (m->node.is_linked()) IntrusiveList<module, &module::node>::remove(*m);
  kfree(m->symblob);
  m->~module();
  kfree(m);
}

int load(const char* name) {
  if (__builtin_strlen(name) > kNameMax) {
    kprintf("insmod: %s: name too long (max %u characters)\n", name, unsigned(kNameMax));
    return 1;
  }
  if (find_loaded(name)) {
    kprintf("insmod: %s is already loaded\n", name);
    return 1;
  }
  const BootModule* bm = find_boot_module(name);
  if (!bm) {
    kprintf("insmod: %s: no such module (see 'modules' for the boot modules)\n", name);
    return 1;
  }
  const char* tname = trace_intern(name);
  auto phase = [&](TraceModulePhase p) { trace(TraceType::Module, trace_ptr(tname), p); };
  phase(kModValidate);
  const auto* image = reinterpret_cast<const uint8_t*>(bm->start);
  const size_t size = bm->end - bm->start;
  ElfInfo info;
  ElfError err;
  static ElfLayout layout;  // ~1 KiB: not on the stack (under `busy`)
  if (!elf_validate(image, size, &info, &err) || !elf_layout(info, &layout, &err)) {
    kprintf("insmod: %s.ko: %s\n", name, err.msg);
    return 1;
  }
  phase(kModAllocate);
  const uint32_t total = layout.text_size + layout.data_size;
  const uintptr_t base = alloc_va(total);
  if (!base || !map_range(base, base + total)) {
    kprintf("insmod: %s: out of memory for %u bytes\n", name, unsigned(total));
    return 1;
  }
  auto* m = static_cast<module*>(kzalloc(sizeof(module)));
  if (!m) {
    unmap_range(base, base + total);
    kprintf("insmod: %s: out of memory\n", name);
    return 1;
  }
  new (m) module{};
  __builtin_memcpy(m->name, name, __builtin_strlen(name) + 1);
  m->text_addr = base;
  m->text_size = layout.text_size;
  m->text_exec_size = layout.text_exec_size;
  m->data_addr = base + layout.text_size;
  m->data_size = layout.data_size;
  m->state = ModState::Coming;

  ResolveCtx rctx{m, {}, 0, false};
  const ElfLoad load{reinterpret_cast<uint8_t*>(m->text_addr), uint32_t(m->text_addr),
                     reinterpret_cast<uint8_t*>(m->data_addr), uint32_t(m->data_addr)};
  auto fail = [&](const char* why) {
    phase(kModFailed);
    kprintf("insmod: %s.ko: %s\n", name, why);
    unmap_range(base, base + total);
    kfree(m->symblob);
    m->~module();
    kfree(m);
    return 1;
  };
  phase(kModResolve);  // resolving and relocating happen in one pass over the relocations
  if (!elf_relocate(info, layout, load, resolve, &rctx, &err)) return fail(err.msg);
  phase(kModRelocate);
  if (rctx.too_many_deps) return fail("uses more than 8 modules");
  uint32_t init = 0, cleanup = 0;
  if (!elf_find_symbol(info, layout, load, "init_module", &init)) return fail("no init_module");
  elf_find_symbol(info, layout, load, "cleanup_module", &cleanup);
  m->init = reinterpret_cast<int (*)()>(init);
  m->cleanup = reinterpret_cast<void (*)()>(cleanup);
  if (const uint32_t sec = elf_find_section(info, ".quartz_ksymtab")) {
    uint32_t addr;
    const uint8_t* unused;
    uint32_t bytes = 0;
    if (elf_section_address(layout, load, sec, &addr) && elf_section_data(info, sec, &unused, &bytes)) {
      m->exports = reinterpret_cast<const kernel_symbol*>(addr);
      m->nexports = bytes / sizeof(kernel_symbol);
    }
  }
  for (uint32_t i = 0; i < m->nexports; ++i) {
    const char* where;
    const uintptr_t np = reinterpret_cast<uintptr_t>(m->exports[i].name);
    if (!m->contains(np)) return fail("an export's name lies outside the module");
    if (exported_elsewhere(m->exports[i].name, m, &where)) {
      static char msg[96];
      snformat(msg, sizeof msg, "exports %s, which %s already exports", m->exports[i].name, where);
      return fail(msg);
    }
  }
  const size_t blob_len = elf_symbol_blob_size(info, layout);
  m->symblob = static_cast<uint8_t*>(kmalloc(blob_len ? blob_len : 1));
  if (!m->symblob) return fail("out of memory for its symbol table");
  m->symblob_len = elf_write_symbol_blob(info, layout, load, m->symblob, blob_len);
  m->syms.init(m->symblob, m->symblob_len);
  // Text and read-only data become read-only (CR0.WP makes that bind the kernel too).
  for (uintptr_t va = m->text_addr; va < m->text_addr + m->text_size; va += kPageSize)
    paging_protect(va, 0);
  for (int d = 0; d < rctx.ndeps; ++d) {
    m->deps[d] = rctx.deps[d];
    ++rctx.deps[d]->refcount;
  }
  m->ndeps = rctx.ndeps;
  for (uint32_t i = 1; i < info.shnum && m->nsections < 24; ++i) {
    uint32_t addr;
    if (!elf_section_address(layout, load, i, &addr)) continue;
    m->sections[m->nsections++] = {elf_section_name(info, i), addr};
  }
  loaded.push_back(*m);
  quartz_module_event(m, 1);

  phase(kModComing);
  phase(kModInit);
  const int rc = m->init();  // the module's code, in this thread: it may sleep
  if (rc != 0) {
    phase(kModFailed);
    m->state = ModState::Going;
    kprintf("insmod: %s: init_module failed with %d; undoing what it left behind\n", name, rc);
    if (check_leftovers(m, true) != 0) {
      kprintf("insmod: %s: not freed; it stays 'going'\n", name);
      return 1;
    }
    free_module(m);
    return 1;
  }
  m->state = ModState::Live;
  phase(kModLive);
  kprintf("%s: loaded at %p (text %u bytes, data %u bytes)\n", name,
          reinterpret_cast<void*>(m->text_addr), unsigned(m->text_size), unsigned(m->data_size));
  return 0;
}

int unload(const char* name) {
  module* m = find_loaded(name);
  if (!m) {
    kprintf("rmmod: %s is not loaded\n", name);
    return 1;
  }
  if (m->refcount > 0) {
    kprintf("rmmod: %s is in use by", name);
    for (module& u : loaded)
      for (int d = 0; d < u.ndeps; ++d)
        if (u.deps[d] == m) kprintf(" %s", u.name);
    kprintf("\n");
    return 1;
  }
  unsigned long took = 0;
  if (m->state == ModState::Live) {
    if (!m->cleanup) {
      kprintf("rmmod: %s has no cleanup_module: it cannot be unloaded\n", name);
      return 1;
    }
    m->state = ModState::Going;
    trace(TraceType::Module, trace_ptr(trace_intern(name)), kModCleanup);
    const unsigned long start = jiffies;
    m->cleanup();  // blocks this thread until the module's protocol says it is done
    took = jiffies - start;
    trace(TraceType::Module, trace_ptr(trace_intern(name)), kModGoing);
  }
  // Beyond Linux 2.2: the kernel itself checks that nothing still points in.
  const int left = check_leftovers(m, false);
  if (left) {
    kprintf("rmmod: %s: not freed: %d reference%s into its memory remain%s; it stays 'going' "
            "(rmmod %s again to re-check)\n", name, left, left == 1 ? "" : "s",
            left == 1 ? "s" : "", name);
    return 1;
  }
  trace(TraceType::Module, trace_ptr(trace_intern(name)), kModFree);
  free_module(m);
  kprintf("%s: unloaded (cleanup_module took %lu tick%s)\n", name, took, took == 1 ? "" : "s");
  return 0;
}

// ---- shell ----
void show_modules(ProcFile* out, void*) {
  proc_printf(out, "%-16s %8s %5s  %-20s %s\n", "Module", "Size", "Used", "Users", "State");
  for (module& m : loaded) {
    proc_printf(out, "%-16s %8u %5d  ", m.name, unsigned(m.text_size + m.data_size), m.refcount);
    int printed = 0, width = 0;
    for (module& u : loaded)
      for (int d = 0; d < u.ndeps; ++d)
        if (u.deps[d] == &m) width += proc_printf(out, printed++ ? ",%s" : "%s", u.name);
    if (!printed) width += proc_printf(out, "-");
    for (; width < 20; ++width) proc_printf(out, " ");
    proc_printf(out, " %s\n", state_name(m.state));
  }
}

template <int (*Fn)(const char*)>
int guarded(const char* cmd, int argc, char** argv) {
  if (argc != 2) return shell_usage(cmd);
  if (busy) {
    kprintf("%s: another module operation is in progress\n", cmd);
    return 1;
  }
  busy = true;
  const int rc = Fn(argv[1]);
  busy = false;
  return rc;
}
int cmd_insmod(int argc, char** argv) { return guarded<load>("insmod", argc, argv); }
int cmd_rmmod(int argc, char** argv) { return guarded<unload>("rmmod", argc, argv); }
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
    const module* m = find_loaded(n);
    kprintf("%-16s %8u bytes  %s\n", n, unsigned(info.modules[i].end - info.modules[i].start),
            m ? state_name(m->state) : "-");
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
  proc_create("modules", show_modules, nullptr, nullptr);
}

int module_load(const char* name) {
  char* argv[2] = {const_cast<char*>("insmod"), const_cast<char*>(name)};
  return cmd_insmod(2, argv);
}
int module_unload(const char* name) {
  char* argv[2] = {const_cast<char*>("rmmod"), const_cast<char*>(name)};
  return cmd_rmmod(2, argv);
}

bool module_symbol(const char* mod, const char* symbol, uintptr_t* addr) {
  module* m = find_loaded(mod);
  uint32_t a;
  if (!m || !m->syms.find(symbol, &a)) return false;
  *addr = a;
  return true;
}

}  // namespace quartz

// ---- stress, stray calls and benchmarks, for the tests ----
namespace quartz {
namespace {
// modstress NAME COUNT: COUNT insmod/rmmod cycles, each unload at a different phase
// relative to the tick (a busy wait of a varying length between load and unload).
int cmd_modstress(int argc, char** argv) {
  long long count;
  if (argc != 3 || !parse_int(argv[2], &count) || count < 1 || count > 100000)
    return shell_usage("modstress");
  const HeapStats before = kheap_stats();
  for (long long i = 0; i < count; ++i) {
    if (module_load(argv[1]) != 0) return 1;
    for (long long spin = 0; spin < (i % 17) * 20011; ++spin) asm volatile("" ::: "memory");
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
  if (argc == 2 && __builtin_strcmp(argv[1], "--again") == 0) {
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
  kprintf("modbench: %s insmod %llu + rmmod %llu = %llu instructions (idle time excluded)\n",
          argv[1], static_cast<unsigned long long>(t1 - t0),
          static_cast<unsigned long long>(t2 - t1), static_cast<unsigned long long>(t2 - t0));
  return 0;
}
}  // namespace

SHELL_COMMAND(modstress, "NAME COUNT", "insmod/rmmod NAME COUNT times at varied tick phases",
              cmd_modstress);
SHELL_COMMAND(modcall, "MODULE SYMBOL | --again", "call a module's function (again: after rmmod)",
              cmd_modcall);
SHELL_COMMAND(modbench, "NAME", "instructions for one insmod+rmmod cycle", cmd_modbench);
}  // namespace quartz
