// Exception reporting: names, error codes, registers and a symbolized backtrace; the
// return to the shell when a command faulted; the double-fault task.
#include "kernel/arch/x86/fault.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/arch/x86/uaccess.h"
#include "kernel/console.h"
#include "kernel/kallsyms.h"
#include "kernel/panic.h"
#include "kernel/sched.h"
#include "kernel/trace.h"
#include "kernel/shell.h"

extern "C" char boot_stack_guard[], boot_stack_bottom[];

namespace quartz {
namespace {

StackOwnerFn stack_owner_lookup = nullptr;
AddressNameFn address_namer = nullptr;
UserFaultFn user_fault_handler = nullptr;
FaultRecoveryHook recovery_hooks[kMaxFaultRecoveryHooks];  // boot only
int recovery_hook_count = 0;
alignas(16) uint8_t double_fault_stack[8192];

constexpr const char* kNames[32] = {"#DE divide error",
                                    "#DB debug",
                                    "NMI",
                                    "#BP breakpoint",
                                    "#OF overflow",
                                    "#BR bound range exceeded",
                                    "#UD invalid opcode",
                                    "#NM device not available",
                                    "#DF double fault",
                                    "coprocessor segment overrun",
                                    "#TS invalid TSS",
                                    "#NP segment not present",
                                    "#SS stack-segment fault",
                                    "#GP general protection",
                                    "#PF page fault",
                                    "reserved (15)",
                                    "#MF x87 floating-point error",
                                    "#AC alignment check",
                                    "#MC machine check",
                                    "#XM SIMD floating-point",
                                    "#VE virtualization",
                                    "#CP control protection",
                                    "reserved (22)",
                                    "reserved (23)",
                                    "reserved (24)",
                                    "reserved (25)",
                                    "reserved (26)",
                                    "reserved (27)",
                                    "#HV hypervisor injection",
                                    "#VC VMM communication",
                                    "#SX security",
                                    "reserved (31)"};

constexpr bool has_error_code(uint32_t v) {
  // LAB(2) BEGIN: true for the vectors whose exception pushes an error code (Intel SDM Vol. 3A Table 6-1)
  return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
  // LAB(2) STUB: (void)v;
  // LAB(2) STUB: return false;
  // LAB(2) END
}

const char* stack_owner(uintptr_t addr) {
  const auto guard = reinterpret_cast<uintptr_t>(boot_stack_guard);
  if (addr >= guard && addr < guard + kPageSize) return "thread idle (the boot stack)";
  return stack_owner_lookup ? stack_owner_lookup(addr) : nullptr;
}

void print_registers(uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx, uint32_t esi,
                     uint32_t edi, uint32_t ebp, uint32_t esp, uint32_t eflags) {
  // LAB(2) BEGIN: the register dump: three lines, general registers, then segment registers (read them now) and EFLAGS
  kprintf("EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", eax, ebx, ecx, edx);
  kprintf("ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", esi, edi, ebp, esp);
  kprintf("CS=%04x DS=%04x ES=%04x FS=%04x GS=%04x SS=%04x EFLAGS=%08x\n", cpu::read_cs(),
          cpu::read_ds(), cpu::read_es(), cpu::read_fs(), cpu::read_gs(), cpu::read_ss(), eflags);
  // LAB(2) STUB: (void)eax; (void)ebx; (void)ecx; (void)edx; (void)esi; (void)edi; (void)ebp; (void)esp; (void)eflags;
  // LAB(2) END
}

void explain_page_fault(uint32_t error, uint32_t cr2) {
  // LAB(2) BEGIN: decode the page-fault error code (P, W/R, RSVD, I/D bits) and CR2; flag an address in page 0 as a NULL dereference
  // Intel SDM Vol. 3A §4.7, Figure 4-12: P, W/R, U/S, RSVD, I/D bits.
  kprintf("CR2=%08x: %s %s%s", cr2, (error & 1) ? "protection violation on" : "not-present page,",
          (error & 16)  ? "instruction fetch"
          : (error & 2) ? "write"
                        : "read",
          (error & 8) ? " (reserved bit set)" : "");
  if (cr2 < kPageSize) kprintf(" -- a NULL pointer dereference?");
  // LAB(2) STUB: (void)error;
  // LAB(2) STUB: kprintf("CR2=%08x", cr2);
  // LAB(2) END
  if (const char* owner = stack_owner(cr2)) kprintf(" -- guard page of %s: stack overflow", owner);
  char where[96];
  if (address_namer && address_namer(cr2, where, sizeof where)) kprintf(" -- %s", where);
  kprintf("\n");
}

// Extra words in a frame are pointers into a stack we may not trust; only follow
// frames whose addresses are mapped, aligned and moving up the stack.
bool frame_ok(uintptr_t ebp, uintptr_t prev) {
  return ebp && !(ebp & 3) && ebp > prev && paging_is_mapped(ebp) && paging_is_mapped(ebp + 4);
}

void double_fault_task() {
  const Tss& t = main_tss();
  kprintf("\n*** EXCEPTION 8: #DF double fault (on its own stack)\n");
  kprintf("EIP=");
  print_symbol(t.eip);
  kprintf("\n");
  print_registers(t.eax, t.ebx, t.ecx, t.edx, t.esi, t.edi, t.ebp, t.esp, t.eflags);
  const char* owner = stack_owner(t.esp);
  if (!owner) owner = stack_owner(t.esp - 4);
  if (owner)
    kprintf("kernel panic: kernel stack overflow in %s (ESP=%08x hit the guard page)\n", owner,
            t.esp);
  else
    kprintf("kernel panic: double fault\n");
  print_backtrace(t.ebp, 0);
  panic_stop();
}

}  // namespace

const char* exception_name(uint32_t vector) { return vector < 32 ? kNames[vector] : "IRQ"; }

void fault_set_recovery(JmpBuf* buf) { current_thread()->fault_recovery = buf; }
void fault_set_stack_owner_lookup(StackOwnerFn fn) { stack_owner_lookup = fn; }
void fault_set_address_namer(AddressNameFn fn) { address_namer = fn; }
void fault_set_user_handler(UserFaultFn fn) { user_fault_handler = fn; }
void fault_add_recovery_hook(FaultRecoveryHook hook) {
  if (recovery_hook_count == kMaxFaultRecoveryHooks) panic("fault_add_recovery_hook: table full");
  recovery_hooks[recovery_hook_count++] = hook;
}
bool fault_name_address(uintptr_t addr, char* buf, size_t len) {
  return address_namer && address_namer(addr, buf, len);
}

bool fault_call_recoverable(void (*fn)(void* arg), void* arg) {
  Thread* const self = current_thread();
  JmpBuf* const outer = self->fault_recovery;
  JmpBuf here;
  if (arch_setjmp(&here) != 0) {
    // Back from the fault path: interrupts are off, the hooks have run.
    self->fault_recovery = outer;
    cpu::raw_sti();
    return false;
  }
  self->fault_recovery = &here;
  fn(arg);
  self->fault_recovery = outer;
  return true;
}

void fault_init_double_fault() {
  gdt_init_double_fault_task(
      paging_cr3(), double_fault_task,
      reinterpret_cast<uintptr_t>(double_fault_stack + sizeof(double_fault_stack)));
  idt_set_double_fault_task(kDoubleFaultTssSelector);
}

void print_symbol(uintptr_t addr, bool is_return_address) {
  const char* name;
  uint32_t off;
  // A return address can sit just past its function when the call was the function's
  // last instruction (a call to a noreturn function): look up the call itself.
  const uintptr_t probe = is_return_address ? addr - 1 : addr;
  if (ksyms_lookup(probe, &name, &off)) {
    if (is_return_address) ++off;
    kprintf("%08x <%s+0x%x>", unsigned(addr), name, off);
    return;
  }
  char buf[96];
  if (address_namer && address_namer(addr, buf, sizeof buf)) {
    kprintf("%08x <%s>", unsigned(addr), buf);
    return;
  }
  kprintf("%08x", unsigned(addr));
}

void walk_frames(uintptr_t ebp, FrameFn fn, void* ctx) {
  uintptr_t prev = 0;
  for (int depth = 0; depth < 16 && frame_ok(ebp, prev); ++depth) {
    const auto* frame = reinterpret_cast<const uint32_t*>(ebp);
    const uint32_t ret = frame[1];
    if (!ret || !fn(ctx, ret)) break;
    prev = ebp;
    ebp = frame[0];
  }
}

void print_backtrace(uintptr_t ebp, uintptr_t first_pc) {
  kprintf("Backtrace:\n");
  if (first_pc) {
    kprintf("  ");
    print_symbol(first_pc);
    kprintf("\n");
  }
  walk_frames(
      ebp,
      [](void*, uintptr_t ret) {
        kprintf("  ");
        print_symbol(ret, true);
        kprintf("\n");
        return true;
      },
      nullptr);
}

void fault_handle(InterruptFrame& f) {
  const uint32_t v = f.vector;
  if (v == 2) {  // NMI: nothing to fix, nothing to stop
    kprintf("NMI received (ignored)\n");
    return;
  }
  if (f.from_user() && user_fault_handler) {
    user_fault_handler(f);
    return;
  }
  if (v == 14 && uaccess_fixup(f)) return;
  trace(TraceType::Fault, v, f.eip);
  kprintf("\n*** EXCEPTION %u: %s", v, kNames[v]);
  if (has_error_code(v)) kprintf(", error code 0x%x", f.error_code);
  kprintf("\nEIP=");
  print_symbol(f.eip);
  kprintf("\n");
  if (v == 14) explain_page_fault(f.error_code, cpu::read_cr2());
  print_registers(f.eax, f.ebx, f.ecx, f.edx, f.esi, f.edi, f.ebp, f.interrupted_esp(), f.eflags);
  print_backtrace(f.ebp, f.eip);
  // Returning to the shell is safe only for a fault in a command itself: not nested in
  // an interrupt handler (depth 1 is this fault) and not inside a section that had
  // interrupts off, whose data may be half-updated.
  const bool in_thread = __atomic_load_n(&g_interrupt_depth, __ATOMIC_RELAXED) == 1;
  const bool interrupts_were_on = (f.eflags & cpu::kEflagsIf) != 0;
  JmpBuf* recovery = current_thread()->fault_recovery;
  if (recovery && in_thread && interrupts_were_on) {
    JmpBuf* r = recovery;
    current_thread()->fault_recovery = nullptr;
    current_thread()->preempt_off = 0;  // a fault inside kprintf must not leave it set
    for (int i = 0; i < recovery_hook_count; ++i) recovery_hooks[i](f);
    trace(TraceType::IrqExit, v);  // the jump skips the dispatcher's own exit record
    __atomic_store_n(&g_interrupt_depth, 0, __ATOMIC_RELAXED);
    arch_longjmp(r, 1);
  }
  panic("unrecoverable %s at %08x%s", kNames[v], f.eip,
        !in_thread            ? " in interrupt context"
        : !interrupts_were_on ? " with interrupts off"
                              : "");
}

}  // namespace quartz
