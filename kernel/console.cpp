// Console fan-out (UART + VGA), printk, and the shared input queue fed by the UART and
// keyboard interrupt handlers.
#include "kernel/console.h"
#include "kernel/lib/linux_compat.h"
#include "kernel/sched.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/might_sleep.h"
#include "kernel/lib/format.h"
#include <quartz/wait.h>
#include "kernel/lib/ring_buffer.h"
#include "drivers/uart.h"
#include "drivers/vga.h"

namespace quartz {
namespace {
RingBuffer<1024> input;  // producer: IRQ handlers (interrupts off); consumer: the shell
void (*resume_producer)() = nullptr;  // interrupts off
DECLARE_WAIT_QUEUE_HEAD(input_wq);
bool (*interrupt_handler)() = nullptr;  // Ctrl-C; IRQ context    // the shell sleeps here for input

struct Sink {
  char buf[128];
  size_t len = 0;
  void flush() {
    console_write(buf, len);
    len = 0;
  }
};
void sink_putc(void* ctx, char c) {
  auto* s = static_cast<Sink*>(ctx);
  s->buf[s->len++] = c;
  if (s->len == sizeof(s->buf)) s->flush();
}
}  // namespace

void console_init() {
  uart_init();
  vga_init();
}

void console_write(const char* s, size_t n) {
  uart_write(s, n);
  vga_write(s, n);
}

void console_input_from_irq(char c) {
  // Ctrl-C ends the foreground program when user programs run (it is not input then).
  if (c == '\x03' && interrupt_handler && interrupt_handler()) return;
  input.push(uint8_t(c));
  wake_up(&input_wq);
}

void console_set_interrupt_handler(bool (*handler)()) { interrupt_handler = handler; }
wait_queue_head_t* console_input_queue() { return &input_wq; }
bool console_input_ready() { return input.size() != 0; }

bool console_input_has_room() { return input.size() < input.capacity(); }

void console_input_resume_later(void (*resume)()) { resume_producer = resume; }

bool console_try_getc(char* c) {
  uint8_t b;
  if (!input.pop(&b)) return false;
  *c = char(b);
  if (resume_producer && input.size() <= input.capacity() / 2) {
    InterruptDisabler guard;
    if (void (*resume)() = resume_producer) {
      resume_producer = nullptr;
      resume();
    }
  }
  return true;
}

int console_getc() {
  might_sleep("console_getc", __builtin_return_address(0));
  for (;;) {
    char c;
    if (console_try_getc(&c)) return uint8_t(c);
    // Queue first, test second: a byte that arrives in between wakes us anyway.
    wait_event(input_wq, input.size() != 0);
  }
}

uint32_t console_input_dropped() { return uint32_t(input.dropped()); }

int vkprintf(const char* fmt, va_list ap) {
  // One call's text comes out in one piece: another thread cannot be switched in half
  // way (interrupt handlers still can print in between).
  preempt_disable();
  Sink sink;
  const int n = vformat(sink_putc, &sink, fmt, ap);
  sink.flush();
  preempt_enable();
  return n;
}

int kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = vkprintf(fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace quartz

// Linux's printk(KERN_ALERT "...") : a leading "<N>" level is stripped, never filtered
// (every level reaches the console).
extern "C" int printk(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int n = quartz::vkprintf(quartz::printk_skip_level(fmt), ap);
  va_end(ap);
  return n;
}
