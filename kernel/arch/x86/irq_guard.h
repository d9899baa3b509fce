// InterruptDisabler: the RAII guard that masks interrupts and restores exactly the state
// it found (xv6 pushcli/popcli, SerenityOS InterruptDisabler).
#pragma once
#include "cpu.h"

namespace quartz {

class InterruptDisabler {
 public:
  InterruptDisabler() : flags_(cpu::read_eflags()) { cpu::raw_cli(); }
  // popf puts back exactly the IF we found (and nothing the kernel cares about
  // besides): one instruction cheaper than test-and-sti on the drain's per-task path.
  ~InterruptDisabler() { asm volatile("pushl %0; popfl" ::"g"(flags_) : "memory", "cc"); }
  InterruptDisabler(const InterruptDisabler&) = delete;
  InterruptDisabler& operator=(const InterruptDisabler&) = delete;
  bool were_enabled() const { return (flags_ & cpu::kEflagsIf) != 0; }

 private:
  uint32_t flags_;
};

}  // namespace quartz
