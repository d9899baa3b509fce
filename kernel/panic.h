// Kernel panic: the one way out when the kernel cannot go on safely.
#pragma once

namespace quartz {
// Prints "kernel panic: <message>" and a backtrace, then halts (or, with panic=exit on
// the command line, ends QEMU with kPanicExitCode). Any context; never returns.
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Ends the run after a fatal report printed elsewhere (the fault paths).
[[noreturn]] void panic_stop();
constexpr int kPanicExitCode = 0x50;  // QEMU isa-debug-exit status (0x50 << 1) | 1 = 161
void panic_set_exit_on_panic(bool exit);
}  // namespace quartz
