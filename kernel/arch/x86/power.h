// Ending the run: QEMU's isa-debug-exit device, ACPI/Bochs shutdown ports, and reset.
#pragma once
namespace quartz {
// With -device isa-debug-exit,iobase=0xf4,iosize=0x04, QEMU exits with status
// (code << 1) | 1. Without it, falls back to the ACPI (QEMU PIIX4 0x604) and Bochs
// (0xB004) shutdown ports, where QEMU exits with 0. Halts if nothing worked.
[[noreturn]] void power_off(int code);
[[noreturn]] void reboot();
}  // namespace quartz
