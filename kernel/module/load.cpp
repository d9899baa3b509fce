// insmod's phases: place the module in the module area, validate, link against the
// exports, relocate, publish it `coming`, run its constructors and init_module, and the
// one way out on failure; freeing a module.
#include "kernel/module/internal.h"
#include "kernel/uapi/quartz/errno.h"
#include <new>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/module_param.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/trace.h"

extern "C" {
// Called after a module's sections are in place (loaded=1) and before its memory is
// freed (loaded=0). It does nothing: it is where a debugger puts a breakpoint to load
// and drop the module's symbols (tools/gdb/quartz.py does, silently).
[[gnu::noinline, gnu::used]] void quartz_module_event(struct module* m, int loaded) {
  asm volatile("" ::"r"(m), "r"(loaded) : "memory");
}
}

namespace quartz {
namespace mod {
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

// ---- symbol resolution (module lock) ----
struct ResolveCtx {
  module* self;
  module* deps[kMaxDeps];
  int ndeps;
  bool too_many_deps;
  // Each import is looked up once. Relocations repeat names (each call to printk is one)
  // and a lookup walks __ksymtab and every loaded module's exports, string by string:
  // without this, a module's insmod grew by a quarter when sched.c gained a few calls.
  // Keyed by the name's address in the image's string table (one address per symbol);
  // a collision only costs a second lookup.
  static constexpr uint32_t kMemo = 32;
  const char* memo_name[kMemo];
  uint32_t memo_addr[kMemo];
};

const kernel_symbol* kernel_export(const char* name) {
  for (const kernel_symbol* k = __ksymtab_start; k < __ksymtab_end; ++k)
    if (str_eq(k->name, name)) return k;
  return nullptr;
}

bool resolve_uncached(ResolveCtx* ctx, const char* name, uint32_t* addr);

bool resolve(void* vctx, const char* name, uint32_t* addr) {
  auto* ctx = static_cast<ResolveCtx*>(vctx);
  const uint32_t slot = (reinterpret_cast<uintptr_t>(name) * 2654435761u) >> 27;  // 0..31
  static_assert(ResolveCtx::kMemo == 32);
  if (ctx->memo_name[slot] == name) {
    *addr = ctx->memo_addr[slot];
    return true;
  }
  if (!resolve_uncached(ctx, name, addr)) return false;
  ctx->memo_name[slot] = name;
  ctx->memo_addr[slot] = *addr;
  return true;
}

bool resolve_uncached(ResolveCtx* ctx, const char* name, uint32_t* addr) {
  // The module's own identity: THIS_MODULE, and the handle C++ destructors register with.
  if (str_eq(name, "__this_module") || str_eq(name, "__dso_handle")) {
    *addr = reinterpret_cast<uint32_t>(ctx->self);
    return true;
  }
  if (const kernel_symbol* k = kernel_export(name)) {
    *addr = reinterpret_cast<uint32_t>(k->addr);
    return true;
  }
  for (module& m : loaded) {
    if (state_of(&m) != ModState::Live) continue;  // only a live module's exports count
    for (uint32_t i = 0; i < m.nexports; ++i) {
      if (!str_eq(m.exports[i].name, name)) continue;
      *addr = reinterpret_cast<uint32_t>(m.exports[i].addr);
      bool known = false;
      for (int d = 0; d < ctx->ndeps; ++d) known |= ctx->deps[d] == &m;
      if (!known) {
        if (ctx->ndeps == kMaxDeps)
          ctx->too_many_deps = true;
        else
          ctx->deps[ctx->ndeps++] = &m;
      }
      return true;
    }
  }
  return false;
}

bool exported_elsewhere(const char* name, const module* self, const char** where) {
  if (kernel_export(name)) return *where = "the kernel", true;
  for (module& m : loaded) {
    if (&m == self) continue;
    for (uint32_t i = 0; i < m.nexports; ++i)
      if (str_eq(m.exports[i].name, name)) return *where = m.name, true;
  }
  return false;
}

// ---- parameters ----
// module.h's struct quartz_param and quartz_param_desc, as the kernel reads them.
static_assert(sizeof(ParamDesc) == 16 && offsetof(ParamDesc, addr) == 4 &&
              offsetof(ParamDesc, type) == 8 && offsetof(ParamDesc, perm) == 12);
static_assert(sizeof(ParamText) == 8 && offsetof(ParamText, text) == 4);

// The bytes of section NAME in the module's (relocated) memory, or false.
bool section_in_module(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                       const char* name, uint32_t* addr, uint32_t* bytes) {
  const uint32_t sec = elf_find_section(info, name);
  const uint8_t* unused;
  *bytes = 0;
  return sec && elf_section_address(layout, load, sec, addr) &&
         elf_section_data(info, sec, &unused, bytes);
}

// Finds the module's parameters, checks each points into the module, and applies params
// (after relocation, before init_module). nullptr, or the reason (in msg) with *error set.
const char* apply_params(module* m, const ElfInfo& info, const ElfLayout& layout,
                         const ElfLoad& load, const char* params, char* msg, size_t msglen,
                         int* error) {
  uint32_t addr, bytes;
  if (section_in_module(info, layout, load, ".quartz_params", &addr, &bytes)) {
    m->params = reinterpret_cast<const ParamDesc*>(addr);
    m->nparams = bytes / sizeof(ParamDesc);
  }
  if (section_in_module(info, layout, load, ".quartz_parm_desc", &addr, &bytes)) {
    m->param_texts = reinterpret_cast<const ParamText*>(addr);
    m->nparam_texts = bytes / sizeof(ParamText);
  }
  for (uint32_t i = 0; i < m->nparams; ++i) {
    const ParamDesc& p = m->params[i];
    const uintptr_t a = reinterpret_cast<uintptr_t>(p.addr);
    const uint32_t size = p.type == kParamBool ? 1 : 4;
    if (!m->contains(reinterpret_cast<uintptr_t>(p.name))) {
      snformat(msg, msglen, "parameter %u: its name lies outside the module", unsigned(i));
      return msg;
    }
    if (p.type > kParamCharp) {
      snformat(msg, msglen, "parameter %s: unknown type %u", p.name, unsigned(p.type));
      make_printable(msg);  // the name is the image's
      return msg;
    }
    if (a < m->data_addr || a + size > m->end()) {
      snformat(msg, msglen, "parameter %s: its variable lies outside the module's data", p.name);
      make_printable(msg);
      return msg;
    }
  }
  for (uint32_t i = 0; i < m->nparam_texts; ++i)
    if (!m->contains(reinterpret_cast<uintptr_t>(m->param_texts[i].name)) ||
        !m->contains(reinterpret_cast<uintptr_t>(m->param_texts[i].text)))
      return "a parameter's description lies outside the module";
  if (!params || !*params) return nullptr;
  const size_t len = __builtin_strlen(params);
  *error = -EINVAL;
  if (len >= kParamsMax) {
    snformat(msg, msglen, "the parameters are longer than %u characters", unsigned(kParamsMax - 1));
    return msg;
  }
  m->params_copy = static_cast<char*>(kmalloc(len + 1));
  if (!m->params_copy) {
    *error = -ENOMEM;
    return "out of memory for its parameters";
  }
  __builtin_memcpy(m->params_copy, params, len + 1);
  if (!parse_module_params(m->params_copy, m->params, m->nparams, msg, msglen)) return msg;
  *error = 0;
  return nullptr;
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

// ---- load ----
// The module's heap allocations and the struct itself (its pages are unmapped first).
// Registrations that never ran (a failed module's __cxa_atexit) are dropped.
void release(module* m) {
  while (AtExit* a = m->atexit) {
    m->atexit = a->next;
    kfree(a);
  }
  kfree(m->symblob);
  kfree(m->ctors);
  kfree(m->owned_image);
  kfree(m->params_copy);
  m->~module();
  kfree(m);
}

void discard(module* m, uintptr_t base, uint32_t total) {  // module lock; never published
  paging_unmap_free(base, base + total);
  release(m);
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
  paging_unmap_free(m->text_addr, m->end());
  release(m);
}

void collect_ctor(void* ctx, uint32_t fn) {
  auto** out = static_cast<uint32_t**>(ctx);
  *(*out)++ = fn;
}
uint32_t count_ctors(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load, bool fini) {
  uint32_t n = 0;
  elf_for_each_ctor(
      info, layout, load, fini, [](void* c, uint32_t) { ++*static_cast<uint32_t*>(c); }, &n);
  return n;
}

// Places, links and checks NAME.ko; on success *out is ready to publish (state Coming,
// busy). On failure prints the reason, undoes everything and returns a negative errno
// (ENOEXEC: not a module we can load; ENOMEM; ENOENT: a symbol nobody exports, as Linux).
// Module lock.
int place_and_link(const char* name, const uint8_t* image, size_t size, const char* params,
                   module** out) {
  const char* tname = trace_intern(name);
  auto phase = [&](TraceModulePhase p) { trace(TraceType::Module, trace_ptr(tname), p); };
  phase(kModValidate);
  ElfInfo info;
  ElfError err;
  static ElfLayout layout;  // ~1 KiB: not on the stack (module lock)
  if (!elf_validate(image, size, &info, &err) || !elf_layout(info, &layout, &err)) {
    kprintf("insmod: %s.ko: %s\n", name, err.msg);
    return -ENOEXEC;
  }
  phase(kModAllocate);
  const uint32_t total = layout.text_size + layout.data_size;
  const uintptr_t base = alloc_va(total);
  if (!base || !paging_map_fresh(base, total, pte::kWritable, true)) {
    kprintf("insmod: %s: out of memory for %u bytes\n", name, unsigned(total));
    return -ENOMEM;
  }
  auto* m = static_cast<module*>(kzalloc(sizeof(module)));
  if (!m) {
    paging_unmap_free(base, base + total);
    kprintf("insmod: %s: out of memory\n", name);
    return -ENOMEM;
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
  int error = -ENOEXEC;
  char msg[128];
  ResolveCtx rctx{m, {}, 0, false, {}, {}};
  const ElfLoad load{reinterpret_cast<uint8_t*>(m->text_addr), uint32_t(m->text_addr),
                     reinterpret_cast<uint8_t*>(m->data_addr), uint32_t(m->data_addr)};
  uint32_t init = 0, cleanup = 0;
  phase(kModResolve);  // resolving and relocating happen in one pass over the relocations
  if (!elf_relocate(info, layout, load, resolve, &rctx, &err)) {
    why = err.msg;
    error = -ENOENT;  // Linux's answer for an unknown symbol (the usual reason)
  }
  if (!why) phase(kModRelocate);
  if (!why && rctx.too_many_deps) {
    snformat(msg, sizeof msg, "uses more than %d modules", kMaxDeps);
    why = msg;
  }
  if (!why && !elf_find_symbol(info, layout, load, "init_module", &init)) why = "no init_module";
  if (!why && !elf_check_ctors(info, layout, load, &err)) why = err.msg;
  if (!why) {
    elf_find_symbol(info, layout, load, "cleanup_module", &cleanup);
    m->init = reinterpret_cast<int (*)()>(init);
    m->cleanup = reinterpret_cast<void (*)()>(cleanup);
    if (const uint32_t sec = elf_find_section(info, ".quartz_ksymtab")) {
      uint32_t addr, bytes = 0;
      const uint8_t* unused;
      if (elf_section_address(layout, load, sec, &addr) &&
          elf_section_data(info, sec, &unused, &bytes)) {
        m->exports = reinterpret_cast<const kernel_symbol*>(addr);
        m->nexports = bytes / sizeof(kernel_symbol);
      }
    }
    for (uint32_t i = 0; i < m->nexports && !why; ++i) {
      const char* where;
      if (!m->contains(reinterpret_cast<uintptr_t>(m->exports[i].name))) {
        why = "an export's name lies outside the module";
      } else if (exported_elsewhere(m->exports[i].name, m, &where)) {
        snformat(msg, sizeof msg, "exports %s, which %s already exports", m->exports[i].name,
                 where);
        why = msg;
      }
    }
  }
  if (!why) {
    int perror = -ENOEXEC;
    why = apply_params(m, info, layout, load, params, msg, sizeof msg, &perror);
    if (why) error = perror;
  }
  if (!why) {
    m->nctors = count_ctors(info, layout, load, false);
    m->ndtors = count_ctors(info, layout, load, true);
    m->ctors = static_cast<uint32_t*>(kmalloc((m->nctors + m->ndtors + 1) * sizeof(uint32_t)));
    const size_t blob_len = elf_symbol_blob_size(info, layout);
    m->symblob = static_cast<uint8_t*>(kmalloc(blob_len ? blob_len : 1));
    if (!m->ctors || !m->symblob) {
      why = "out of memory for its symbol table";
      error = -ENOMEM;
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
    return error;
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
  return 0;
}

void set_not_busy(module* m) {
  InterruptDisabler guard;
  m->life.busy = false;
}

int load(const char* name, const char* params) {
  if (__builtin_strlen(name) > kNameMax) {
    kprintf("insmod: %s: name too long (max %u characters)\n", name, unsigned(kNameMax));
    return -ENAMETOOLONG;
  }
  const BootModule* bm;
  {
    ModuleLockGuard lock;
    bm = find_boot_module(name);
  }
  if (!bm) {
    kprintf("insmod: %s: no such module (see 'modules' for the boot modules)\n", name);
    return -ENOENT;
  }
  return load_image(name, reinterpret_cast<const uint8_t*>(bm->start), bm->end - bm->start, nullptr,
                    params);
}

int load_image(const char* name, const uint8_t* image, size_t size, uint8_t* owned,
               const char* params) {
  if (__builtin_strlen(name) > kNameMax) {
    kprintf("insmod: %s: name too long (max %u characters)\n", name, unsigned(kNameMax));
    kfree(owned);
    return -ENAMETOOLONG;
  }
  const char* tname = trace_intern(name);
  auto phase = [&](TraceModulePhase p) { trace(TraceType::Module, trace_ptr(tname), p); };
  module* m = nullptr;
  {
    ModuleLockGuard lock;
    if (module* old = find_loaded(name)) {
      kprintf("insmod: %s is already loaded (%s)\n", name, mod_state_name(state_of(old)));
      kfree(owned);
      return -EEXIST;
    }
    if (const int r = place_and_link(name, image, size, params, &m); r < 0) {
      kfree(owned);
      return r;
    }
    m->owned_image = owned;  // freed with the module from here on
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
    kprintf(
        "insmod: %s: init_module faulted; the module is marked failed: its tasks and /proc "
        "files were taken away, its memory is kept and never run again (rmmod %s frees it)\n",
        name, name);
    return -EFAULT;
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
      return call.rc < 0 ? call.rc : -EINVAL;
    }
    free_module(m);
    return call.rc < 0 ? call.rc : -EINVAL;  // init_module's own error, as Linux returns it
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
}  // namespace mod
}  // namespace quartz
