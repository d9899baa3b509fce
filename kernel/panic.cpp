// panic(): report, backtrace, and stop the machine (halt, or exit QEMU for tests).
#include "kernel/panic.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/console.h"
#include "kernel/arch/x86/power.h"

namespace quartz {
namespace {
bool exit_on_panic = false;
volatile bool panicking = false;
}  // namespace

void panic_set_exit_on_panic(bool exit) { exit_on_panic = exit; }

[[noreturn]] void panic_stop() {
  cpu::raw_cli();
  if (exit_on_panic) {
    kprintf("(panic=exit: ending the run with code %d)\n", kPanicExitCode);
    power_off(kPanicExitCode);
  }
  kprintf("System halted.\n");
  cpu::halt_forever();
}

[[noreturn]] void panic(const char* fmt, ...) {
  cpu::raw_cli();
  if (panicking) {
    kprintf("kernel panic: nested panic\n");
    panic_stop();
  }
  panicking = true;
  kprintf("kernel panic: ");
  va_list ap;
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
  kprintf("\n");
  print_backtrace(cpu::frame_pointer());
  panic_stop();
}

}  // namespace quartz
