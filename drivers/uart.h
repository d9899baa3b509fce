// 16550 UART on COM1: 115200 8N1, output polled, input by IRQ 4 into the console.
#pragma once
#include <cstddef>

namespace quartz {
void uart_init();                 // boot, interrupts off
void uart_enable_rx_interrupt();  // after the IDT and PIC are ready
void uart_putc(char c);           // any context; polls the transmitter
void uart_write(const char* s, size_t n);
}  // namespace quartz
