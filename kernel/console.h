// The console: every line the kernel prints goes to the serial port and the VGA screen;
// every key from the serial port or the PS/2 keyboard lands in one input queue.
//
// Contract: console_write/printk from any context (interrupt handlers included; output
// is polled). console_input_from_irq only from IRQ handlers (interrupts off).
// console_getc only from thread context: it waits with the CPU halted. Bytes from the
// keyboard are dropped (and counted) when the queue is full; the UART is flow-controlled.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <quartz/wait.h>

namespace quartz {

void console_init();
void console_write(const char* s, size_t n);
void console_input_from_irq(char c);
// Flow control for a producer that can wait (the UART): true if the queue has room.
// When it has none, the producer stops reading its device and asks to be resumed; the
// consumer calls `resume` (interrupts off) once half the queue is free again.
bool console_input_has_room();
void console_input_resume_later(void (*resume)());
int console_getc();
// For readers that wait their own way (a process's read, which a signal may end): the
// queue to wait on and whether a byte is there.
wait_queue_head_t* console_input_queue();
bool console_input_ready();
// Ctrl-C (byte 3) from the keyboard or serial port goes to handler (IRQ context) first; if
// it returns true the byte was taken (a program was interrupted) and is not queued.
void console_set_interrupt_handler(bool (*handler)());
bool console_try_getc(char* c);
uint32_t console_input_dropped();

int kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char* fmt, va_list ap);

}  // namespace quartz

extern "C" int printk(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
