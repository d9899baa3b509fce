// Driver for the 16550 UART on COM1 (registers: National Semiconductor PC16550D
// datasheet, Table II): polled transmit, receive interrupt feeding the console input.
#include "drivers/uart.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/console.h"

namespace quartz {
namespace {
constexpr uint16_t kCom1 = 0x3F8;
constexpr uint16_t kData = kCom1 + 0;  // RBR/THR (DLAB=0), DLL (DLAB=1)
constexpr uint16_t kIer = kCom1 + 1;   // interrupt enable (DLAB=0), DLM (DLAB=1)
constexpr uint16_t kFcr = kCom1 + 2;   // FIFO control
constexpr uint16_t kLcr = kCom1 + 3;   // line control
constexpr uint16_t kMcr = kCom1 + 4;   // modem control
constexpr uint16_t kLsr = kCom1 + 5;   // line status
constexpr uint8_t kLcrDlab = 0x80, kLcr8N1 = 0x03;
constexpr uint8_t kFcrEnableClear14 = 0xC7;  // enable FIFOs, clear both, 14-byte trigger
constexpr uint8_t kMcrDtrRtsOut2 = 0x0B;     // OUT2 gates the IRQ line on PC boards
constexpr uint8_t kIerRxAvailable = 0x01;
constexpr uint8_t kLsrDataReady = 0x01, kLsrThrEmpty = 0x20;
constexpr uint16_t kDivisor115200 = 1;  // 1.8432 MHz / (16 * 115200)
constexpr int kIrq = 4;

bool present = false;

void resume_rx() { cpu::outb(kIer, kIerRxAvailable); }

void uart_irq(InterruptFrame&) {
  // Drain the receive FIFO: one interrupt can stand for many bytes.
  for (int n = 0; n < 64 && (cpu::inb(kLsr) & kLsrDataReady); ++n) {
    if (!console_input_has_room()) {
      // Flow control: leave the bytes in the UART (whose full FIFO holds back the
      // sender) and stop interrupting until the shell has read half the queue.
      cpu::outb(kIer, 0);
      console_input_resume_later(resume_rx);
      return;
    }
    console_input_from_irq(char(cpu::inb(kData)));
  }
}
}  // namespace

void uart_init() {
  cpu::outb(kIer, 0);
  cpu::outb(kLcr, kLcrDlab);
  cpu::outb(kData, kDivisor115200 & 0xFF);
  cpu::outb(kIer, kDivisor115200 >> 8);
  cpu::outb(kLcr, kLcr8N1);
  cpu::outb(kFcr, kFcrEnableClear14);
  cpu::outb(kMcr, kMcrDtrRtsOut2);
  // A missing UART reads back 0xFF from every register.
  present = cpu::inb(kLsr) != 0xFF;
}

void uart_enable_rx_interrupt() {
  if (!present) return;
  irq_register(kIrq, uart_irq);
  cpu::outb(kIer, kIerRxAvailable);
  // Bytes that arrived during boot are input too: hand them over rather than drop them.
  while (cpu::inb(kLsr) & kLsrDataReady) console_input_from_irq(char(cpu::inb(kData)));
}

void uart_putc(char c) {
  if (!present) return;
  for (int spin = 0; spin < 100000 && !(cpu::inb(kLsr) & kLsrThrEmpty); ++spin) {
  }
  cpu::outb(kData, uint8_t(c));
}

void uart_write(const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == '\n') uart_putc('\r');
    uart_putc(s[i]);
  }
}

}  // namespace quartz
