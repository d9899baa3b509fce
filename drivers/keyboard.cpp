// Driver for the PS/2 keyboard on the 8042 controller: reads scancodes on IRQ 1 and
// decodes them (set 1, US layout, kernel/lib/keymap) into console input.
#include "drivers/keyboard.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/console.h"
#include "kernel/lib/keymap.h"

namespace quartz {
namespace {
constexpr uint16_t kData = 0x60, kStatus = 0x64;
constexpr uint8_t kStatusOutputFull = 0x01;
constexpr int kIrq = 1;
ScancodeDecoder decoder;  // touched only by the IRQ 1 handler

void keyboard_irq(InterruptFrame&) {
  if (!(cpu::inb(kStatus) & kStatusOutputFull)) return;
  const int c = decoder.feed(cpu::inb(kData));
  if (c >= 0) console_input_from_irq(char(c));
}
}  // namespace

void keyboard_init() {
  // Discard whatever the controller buffered before we were ready.
  for (int n = 0; n < 32 && (cpu::inb(kStatus) & kStatusOutputFull); ++n) (void)cpu::inb(kData);
  irq_register(kIrq, keyboard_irq);
}

}  // namespace quartz
