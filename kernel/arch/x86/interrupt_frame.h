// InterruptFrame: the register block the entry stubs in isr.asm build on the stack.
#pragma once
#include <cstdint>

namespace quartz {

struct InterruptFrame {
  uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;  // pusha order, reversed
  uint32_t vector, error_code;
  uint32_t eip, cs, eflags;  // pushed by the CPU; ring 0 only, so no esp/ss
  // The stack pointer of the interrupted code: just above the CPU-pushed words.
  uint32_t interrupted_esp() const { return reinterpret_cast<uint32_t>(&eflags + 1); }
};

}  // namespace quartz
