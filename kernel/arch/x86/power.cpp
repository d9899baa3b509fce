// poweroff and reboot on the PC: the isa-debug-exit port, ACPI shutdown, and the 8042 reset
// line (port I/O: it lives with the CPU code, not in the generic kernel).
#include "kernel/arch/x86/power.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/shell.h"

namespace quartz {
namespace {
constexpr uint16_t kDebugExitPort = 0xF4;
constexpr uint16_t kAcpiPm1aQemu = 0x604, kAcpiPm1aBochs = 0xB004;
constexpr uint16_t kAcpiSleepS5 = 0x2000;  // SLP_EN with SLP_TYP = S5 on QEMU/Bochs
constexpr uint16_t kKbcCommand = 0x64;
constexpr uint8_t kKbcPulseReset = 0xFE;
}  // namespace

[[noreturn]] void power_off(int code) {
  cpu::raw_cli();
  cpu::outl(kDebugExitPort, uint32_t(code));
  cpu::outw(kAcpiPm1aQemu, kAcpiSleepS5);
  cpu::outw(kAcpiPm1aBochs, kAcpiSleepS5);
  kprintf("poweroff: no shutdown device answered; halting\n");
  cpu::halt_forever();
}

[[noreturn]] void reboot() {
  cpu::raw_cli();
  cpu::outb(kKbcCommand, kKbcPulseReset);
  // If the controller ignored us, an empty IDT and an interrupt force a triple fault.
  struct [[gnu::packed]] {
    uint16_t limit = 0;
    uint32_t base = 0;
  } empty;
  asm volatile("lidt %0; int3" ::"m"(empty));
  cpu::halt_forever();
}

namespace {
int cmd_poweroff(int argc, char** argv) {
  long long code = 0;
  if (argc > 2 || (argc == 2 && (!parse_int(argv[1], &code) || code < 0 || code > 127)))
    return shell_usage("poweroff");
  kprintf("poweroff: code %d\n", int(code));
  power_off(int(code));
}

int cmd_reboot(int, char**) {
  kprintf("rebooting\n");
  reboot();
}
}  // namespace

SHELL_COMMAND(poweroff, "[CODE 0..127]",
              "end the run; under QEMU with isa-debug-exit the status is CODE*2+1", cmd_poweroff);
SHELL_COMMAND(reboot, "", "reset the machine", cmd_reboot);

}  // namespace quartz
