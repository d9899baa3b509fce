// Module demos and benchmarks for the tests: modstress (load/unload cycles at varied
// tick phases), modcall (a call into a module, again after rmmod: a stray call) and
// modbench (one cycle's instructions). Not part of the mechanism.
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/module/module.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
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
  kprintf(
      "modbench: module=%s insmod_instructions=%llu rmmod_instructions=%llu "
      "cycle_instructions=%llu (idle time excluded)\n",
      argv[1], static_cast<unsigned long long>(t1 - t0), static_cast<unsigned long long>(t2 - t1),
      static_cast<unsigned long long>(t2 - t0));
  return 0;
}
}  // namespace

SHELL_COMMAND(modstress, "NAME COUNT [SPIN]", "insmod/rmmod NAME COUNT times at varied tick phases",
              cmd_modstress);
SHELL_COMMAND(modcall, "MODULE SYMBOL | --again", "call a module's function (again: after rmmod)",
              cmd_modcall);
SHELL_COMMAND(modbench, "NAME", "instructions for one insmod+rmmod cycle", cmd_modbench);
}  // namespace quartz
