// kernel_main: the boot sequence from the Multiboot entry to the shell, in order.
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/lib/cmdline.h"
#include "kernel/console.h"
#include "kernel/kallsyms.h"
#include "kernel/kheap.h"
#include "kernel/module/module.h"
#include "kernel/multiboot.h"
#include "kernel/panic.h"
#include "kernel/lib/pit8253.h"
#include "kernel/pmm.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/fs/vfs.h"
#include "kernel/process/process.h"
#include "kernel/ktasklet.h"
#include "kernel/ktimer.h"
#include "kernel/tq_kernel.h"
#include "kernel/workqueue.h"
#include "kernel/keventd.h"
#include "drivers/keyboard.h"
#include "drivers/uart.h"

namespace quartz {
void run_global_constructors();

namespace {
KernelCmdline cmdline;

uint32_t hz_from_cmdline() {
  const char* v = cmdline.get("hz");
  if (!v) return pit::kDefaultHz;
  long long hz;
  if (!parse_int(v, &hz) || !pit::hz_valid(hz)) {
    kprintf("cmdline: hz=%s is not a number in %u..%u; using HZ=%u\n", v, pit::kMinHz, pit::kMaxHz,
            pit::kDefaultHz);
    return pit::kDefaultHz;
  }
  return uint32_t(hz);
}

// slice=TICKS and watchdog=MS, after the scheduler exists.
void apply_sched_cmdline() {
  long long v;
  if (const char* s = cmdline.get("slice")) {
    if (parse_int(s, &v) && v >= 1 && v <= 1000)
      sched_set_slice(unsigned(v));
    else
      kprintf("cmdline: slice=%s is not a number of ticks in 1..1000; using %u\n", s,
              sched_slice());
  }
  if (const char* s = cmdline.get("watchdog")) {
    if (parse_int(s, &v) && v >= 0 && v <= 600000)
      sched_set_watchdog((unsigned long)(v * timer_hz() / 1000));
    else
      kprintf("cmdline: watchdog=%s is not milliseconds in 0..600000; keeping %lu ticks\n", s,
              sched_watchdog());
  }
  if (const char* s = cmdline.get("cleanup_race")) {
    if (str_eq(s, "1"))
      sched_set_cleanup_race(true);
    else if (!str_eq(s, "0"))
      kprintf("cmdline: cleanup_race=%s is not 0 or 1; off\n", s);
  }
}

void apply_cmdline() {
  const char* panic_mode = cmdline.get("panic");
  if (panic_mode) {
    if (str_eq(panic_mode, "exit"))
      panic_set_exit_on_panic(true);
    else if (!str_eq(panic_mode, "halt"))
      kprintf("cmdline: panic=%s is not 'halt' or 'exit'; halting on panic\n", panic_mode);
  }
}
}  // namespace

void shell_thread(void* script) { shell_main(static_cast<const char*>(script)); }

void start_shell() {
  if (!thread_create("shell", shell_thread, const_cast<char*>(cmdline.get("run"))))
    panic("cannot create the shell thread");
}

// The initramfs is the boot module whose name ends in ".cpio" (a GRUB `module` line, or
// QEMU's -initrd list).
void vfs_init_from_boot_modules(const BootInfo& info) {
  for (int i = 0; i < info.module_count; ++i) {
    const BootModule& m = info.modules[i];
    const size_t n = __builtin_strlen(m.name);
    if (n >= 5 && str_eq(m.name + n - 5, ".cpio")) {
      vfs_init(reinterpret_cast<const uint8_t*>(m.start), m.end - m.start);
      return;
    }
  }
  vfs_init(nullptr, 0);
}

}  // namespace quartz

using namespace quartz;

extern "C" [[noreturn]] void kernel_main(uint32_t magic, uint32_t info_phys) {
  console_init();
  const char* error = nullptr;
  if (!multiboot_copy(magic, info_phys, &error)) {
    kprintf("Quartz: %s\n", error);
    cpu::halt_forever();
  }
  gdt_init();
  run_global_constructors();
  ksyms_init();
  kprintf("Quartz teaching kernel\n");

  const BootInfo& info = boot_info();
  char cmdline_error[128];
  if (!cmdline.parse(info.cmdline, cmdline_error, sizeof(cmdline_error)))
    kprintf("cmdline: %s; ignoring the command line\n", cmdline_error);
  if (info.cmdline_truncated)
    kprintf("cmdline: longer than %u characters; truncated\n", unsigned(sizeof(info.cmdline) - 1));
  apply_cmdline();

  idt_init();
  const uintptr_t ram_top = pmm_init(info);
  paging_init(ram_top);
  fault_init_double_fault();
  kheap_init();

  const uint32_t hz = hz_from_cmdline();
  timer_init(hz);
  tqueue_init();
  timers_init();
  tasklets_init();
  sched_init();
  apply_sched_cmdline();
  workqueue_init();
  workqueue_start_workers();  // kworker/0:0: thread 1
  keventd_init();             // keventd: thread 2 (the shell comes after them)
  modules_init();
  vfs_init_from_boot_modules(info);
  process_init();
  idt_register_proc();
  uart_enable_rx_interrupt();
  keyboard_init();
  cpu::raw_sti();

  kprintf("memory: %u KiB usable, %d boot module(s); HZ=%u\n", unsigned(pmm_total_pages() * 4),
          info.module_count, hz);
  if (info.modules_ignored)
    kprintf("boot: %d boot module(s) beyond the first %d ignored\n", info.modules_ignored,
            kMaxBootModules);
  kprintf("Type 'help' for the commands.\n");
  // init=PATH starts user space instead of the kernel shell (which starts if init
  // cannot, or when it exits). The shell is a thread of its own; this boot context
  // becomes the idle thread.
  process_set_init_exit_hook(start_shell);
  const char* init = cmdline.get("init");
  if (!init || process_start_init(init) < 0) start_shell();
  sched_idle_loop();
}
