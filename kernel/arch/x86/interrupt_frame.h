// InterruptFrame: the register block the entry stubs in isr.asm build on the stack.
#pragma once
#include <cstdint>

namespace quartz {

struct InterruptFrame {
  uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;  // pusha order, reversed
  uint32_t vector, error_code;
  uint32_t eip, cs, eflags;  // pushed by the CPU
  // Pushed by the CPU only when the interrupt came from user mode (ring 3): read them
  // only if from_user().
  uint32_t user_esp, user_ss;
  bool from_user() const { return (cs & 3) != 0; }
  // The stack pointer of the interrupted code: for kernel code just above the CPU-pushed
  // words; for user code the user stack pointer the CPU saved.
  uint32_t interrupted_esp() const {
    return from_user() ? user_esp : reinterpret_cast<uint32_t>(&eflags + 1);
  }
};

}  // namespace quartz
