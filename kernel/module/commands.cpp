// The module subsystem's face: insmod, rmmod, lsmod, modules and /proc/modules, the
// module lock, and the kernel API of module/module.h (load, unload, use counts).
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
IntrusiveList<module, &module::node> g_modules;

namespace mod {
DEFINE_MUTEX(module_mutex);

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
            len += size_t(snformat(r.user_names + len,
                                   len < sizeof r.user_names ? sizeof r.user_names - len : 0,
                                   len ? ",%s" : "%s", u.name));
      if (len >= sizeof r.user_names)
        __builtin_memcpy(r.user_names + sizeof r.user_names - 4, "...", 4);
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

// ---- /proc/params: every parameter of every module, copied under the guard ----
struct ParamRow {
  char module[kNameMax + 1];
  char name[kNameMax + 1];
  uint32_t type, perm;
  char value[48];
  char text[64];
};

void show_params(ProcFile* out, void*) {
  size_t count = 0;
  {
    InterruptDisabler guard;
    for (module& m : loaded) count += m.nparams;
  }
  const size_t cap = count + 8;  // a few may be loaded while we allocate
  auto* rows = static_cast<ParamRow*>(kmalloc(cap * sizeof(ParamRow)));
  if (!rows) {
    proc_printf(out, "params: out of memory\n");
    return;
  }
  size_t n = 0, total = 0;
  {
    InterruptDisabler guard;  // a module in the list is mapped: its variables can be read
    for (module& m : loaded) {
      for (uint32_t i = 0; i < m.nparams; ++i) {
        const ParamDesc& p = m.params[i];
        if (!p.perm) continue;  // Linux: perm 0 means no sysfs file
        if (++total > cap) continue;
        ParamRow& r = rows[n++];
        str_copy(r.module, m.name, sizeof r.module);
        str_copy(r.name, p.name, sizeof r.name);
        r.type = p.type;
        r.perm = p.perm;
        format_param_value(p, r.value, sizeof r.value);
        r.text[0] = 0;
        for (uint32_t t = 0; t < m.nparam_texts; ++t)
          if (str_eq(m.param_texts[t].name, p.name))
            str_copy(r.text, m.param_texts[t].text, sizeof r.text);
        make_printable(r.text);
      }
    }
  }
  proc_printf(out, "%-16s %-16s %-5s %4s  %-12s %s\n", "Module", "Parameter", "Type", "Perm",
              "Value", "Description");
  for (size_t i = 0; i < n; ++i) {
    const ParamRow& r = rows[i];
    proc_printf(out, "%-16s %-16s %-5s %04o  %-12s %s\n", r.module, r.name, param_type_name(r.type),
                unsigned(r.perm), r.value, r.text);
  }
  if (total > n) proc_printf(out, "... and %u more\n", unsigned(total - n));
  kfree(rows);
}

// Joins argv[from, argc) into "a=1 name=\"two words\"" (split_args took the quotes away:
// a word with a blank gets them back around its value), or returns false if too long.
bool join_params(int argc, char** argv, int from, char* out, size_t cap) {
  size_t len = 0;
  out[0] = 0;
  for (int i = from; i < argc; ++i) {
    const char* w = argv[i];
    bool blank = false;
    for (const char* c = w; *c; ++c) blank |= *c == ' ' || *c == '\t';
    const char* eq = w;
    while (*eq && *eq != '=') ++eq;
    int k;
    if (!blank)
      k = snformat(out + len, cap - len, "%s%s", len ? " " : "", w);
    else if (*eq)
      k = snformat(out + len, cap - len, "%s%.*s=\"%s\"", len ? " " : "", int(eq - w), w, eq + 1);
    else
      k = snformat(out + len, cap - len, "%s\"%s\"", len ? " " : "", w);
    len += size_t(k);
    if (len >= cap) return false;
  }
  return true;
}

int cmd_insmod(int argc, char** argv) {
  if (argc < 2) return shell_usage("insmod");
  if (argc == 2) return load(argv[1]) ? 1 : 0;
  auto* params = static_cast<char*>(kmalloc(kParamsMax));
  if (!params) {
    kprintf("insmod: out of memory\n");
    return 1;
  }
  int rc = 1;
  if (!join_params(argc, argv, 2, params, kParamsMax))
    kprintf("insmod: %s: the parameters are longer than %u characters\n", argv[1],
            unsigned(kParamsMax - 1));
  else
    rc = load(argv[1], params) ? 1 : 0;
  kfree(params);
  return rc;
}
int cmd_rmmod(int argc, char** argv) {
  if (argc != 2) return shell_usage("rmmod");
  return unload(argv[1]) ? 1 : 0;
}
int cmd_lsmod(int argc, char**) {
  if (argc != 1) return shell_usage("lsmod");
  return proc_cat("modules");
}
int cmd_modules(int argc, char**) {
  if (argc != 1) return shell_usage("modules");
  const BootInfo& info = boot_info();
  if (!info.module_count)
    kprintf("no boot modules (add them with qemu -initrd or GRUB 'module' lines)\n");
  for (int i = 0; i < info.module_count; ++i) {
    char n[kNameMax + 1];
    boot_module_name(info.modules[i], n, sizeof n);
    const char* state = "-";
    {
      ModuleLockGuard lock;
      if (const module* m = find_loaded(n)) state = mod_state_name(state_of(m));
    }
    kprintf("%-16s %8u bytes  %s\n", n, unsigned(info.modules[i].end - info.modules[i].start),
            state);
  }
  return 0;
}
}  // namespace mod

using namespace mod;
SHELL_COMMAND(insmod, "NAME [PARAM=VALUE ...]",
              "load boot module NAME.ko, set its parameters, run its init_module", cmd_insmod);
SHELL_COMMAND(rmmod, "NAME", "run cleanup_module, check nothing points in, free", cmd_rmmod);
SHELL_COMMAND(lsmod, "", "loaded modules: size, use count, users, state", cmd_lsmod);
SHELL_COMMAND(modules, "", "the boot modules insmod can load", cmd_modules);

void modules_init() {
  fault_set_address_namer(name_address);
  fault_add_recovery_hook(on_fault);
  proc_create("modules", show_modules, nullptr, nullptr);
  proc_create("params", show_params, nullptr, nullptr);
}

int module_load(const char* name, const char* params) { return load(name, params); }
int module_load_image(const char* name, const uint8_t* image, size_t size, uint8_t* owned,
                      const char* params) {
  return load_image(name, image, size, owned, params);
}
int module_unload(const char* name, int flags) { return unload(name, flags); }

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
