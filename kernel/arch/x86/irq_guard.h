// InterruptDisabler: the RAII guard that masks interrupts and restores exactly the state
// it found (xv6 pushcli/popcli, SerenityOS InterruptDisabler), and assert_irqs_off(), the
// check that a contract saying "interrupts off" holds (Zircon's
// DEBUG_ASSERT(arch_ints_disabled()), Linux's lockdep_assert_irqs_disabled()).
//
// Contract: both from any context. assert_irqs_off(where) panics with
// "BUG: WHERE called with interrupts on" if EFLAGS.IF is set, and costs four
// instructions (pushf, pop, test, a branch not taken) when it holds.
#pragma once
#include "kernel/arch/x86/cpu.h"

namespace quartz {

// The panic behind assert_irqs_off, out of line so the check stays four instructions.
[[noreturn, gnu::cold, gnu::noinline]] void irqs_on_bug(const char* where);

inline void assert_irqs_off(const char* where) {
  if (cpu::read_eflags() & cpu::kEflagsIf) [[unlikely]]
    irqs_on_bug(where);
}

class InterruptDisabler {
 public:
  InterruptDisabler() : flags_(cpu::read_eflags()) { cpu::raw_cli(); }
  // popf puts back exactly the IF we found (and nothing the kernel cares about
  // besides): one instruction cheaper than test-and-sti on the drain's per-task path.
  ~InterruptDisabler() { asm volatile("pushl %0; popfl" ::"g"(flags_) : "memory", "cc"); }
  InterruptDisabler(const InterruptDisabler&) = delete;
  InterruptDisabler& operator=(const InterruptDisabler&) = delete;
  bool were_enabled() const { return (flags_ & cpu::kEflagsIf) != 0; }
  // What a function documented "interrupts off" asserts: the guard (or the interrupt
  // gate, or boot) holds. The interrupt flag is the guard's whole state, so "held" is IF
  // clear; a host fake guard counts its depth instead.
  static void assert_held(const char* where) { assert_irqs_off(where); }

 private:
  uint32_t flags_;
};

}  // namespace quartz
