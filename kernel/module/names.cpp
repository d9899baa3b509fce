// Finding modules by name and address, and naming addresses in modules, live or
// unloaded ("sched_tick+0x12 [sched]", "in unloaded module hello: hello_greet+0x0").
#include "kernel/module/internal.h"
#include <new>
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/pmm.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/trace.h"

namespace quartz {
namespace mod {
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
  if (name_address(a, buf, sizeof buf))
    kprintf("%s", buf);
  else
    kprintf("%p", reinterpret_cast<void*>(a));
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
}  // namespace mod
}  // namespace quartz
