// `crash KIND`: raises a CPU exception on purpose, for demos and the fault tests (the
// dump, the return to the shell, the stack-overflow report). Not part of the mechanism.
#include "kernel/arch/x86/cpu.h"
#include "kernel/console.h"
#include "kernel/lib/kstring.h"
#include "kernel/shell.h"

namespace quartz {
namespace {
volatile bool stop_recursion = false;

[[gnu::noinline]] uint32_t overflow_stack(uint32_t depth) {
  volatile uint8_t pad[256];
  pad[depth & 0xFF] = uint8_t(depth);
  if (stop_recursion) return 0;
  return overflow_stack(depth + 1) + pad[depth & 0xFF];
}

int cmd_crash(int argc, char** argv) {
  if (argc != 2) return shell_usage("crash");
  const char* kind = argv[1];
  auto is = [&](const char* k) { return str_eq(kind, k); };
  kprintf("crash: raising %s on purpose\n", kind);
  if (is("de")) {
    volatile uint32_t zero = 0;
    kprintf("%u\n", cpu::fault_de(zero));
  } else if (is("ud")) {
    cpu::fault_ud();
  } else if (is("pf")) {
    volatile uintptr_t address = 0x10;  // opaque to the compiler: a real load happens
    auto* p = reinterpret_cast<volatile uint32_t*>(address);
    kprintf("%u\n", *p);
  } else if (is("gp")) {
    cpu::fault_gp(0x38);  // one past the last GDT entry
  } else if (is("bp")) {
    cpu::fault_bp();
  } else if (is("stack")) {
    kprintf("%u\n", overflow_stack(0));
  } else {
    kprintf("crash: unknown kind '%s' (de, ud, pf, gp, bp, stack)\n", kind);
    return 1;
  }
  kprintf("crash: %s did not fault\n", kind);
  return 1;
}
}  // namespace

SHELL_COMMAND(crash, "de|ud|pf|gp|bp|stack", "raise a CPU exception on purpose", cmd_crash);

}  // namespace quartz
