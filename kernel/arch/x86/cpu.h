// Tiny named wrappers around the x86 instructions the kernel needs (port I/O, control
// registers, flags, TSC); the only place outside .asm files where inline asm lives.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quartz::cpu {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint16_t inw(uint16_t port) {
  uint16_t v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
// A write to the unused port 0x80 takes about a microsecond on real hardware: the
// classic delay between 8259 initialisation words.
inline void io_wait() { outb(0x80, 0); }

// Port I/O as a type, so the chip logic in kernel/lib can be instantiated with it here
// and with a recording fake in the host tests.
struct PortIo {
  static void out8(uint16_t port, uint8_t v) { outb(port, v); }
  static uint8_t in8(uint16_t port) { return inb(port); }
  static void wait() { io_wait(); }
};

inline uint32_t read_eflags() {
  uint32_t f;
  asm volatile("pushfl; popl %0" : "=r"(f)::"memory");
  return f;
}
constexpr uint32_t kEflagsIf = 1u << 9;  // Intel SDM Vol. 1 §3.4.3: interrupt enable flag
inline bool interrupts_enabled() { return (read_eflags() & kEflagsIf) != 0; }

// Raw cli/sti are private to the guard below and to the few places that must set the
// state outright (boot, the idle loop); everything else uses InterruptDisabler.
inline void raw_cli() { asm volatile("cli" ::: "memory"); }
inline void raw_sti() { asm volatile("sti" ::: "memory"); }
// Enable interrupts and halt in one step: sti's one-instruction shadow guarantees that
// an interrupt pending at the sti wakes the hlt rather than slipping in before it.
inline void sti_and_hlt() { asm volatile("sti; hlt" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
[[noreturn]] inline void halt_forever() {
  for (;;) asm volatile("cli; hlt" ::: "memory");
}

inline uint32_t read_cr0() {
  uint32_t v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
inline uint32_t read_cr2() {
  uint32_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
inline uint32_t read_cr3() {
  uint32_t v;
  asm volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
inline uint32_t read_cr4() {
  uint32_t v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
inline void write_cr0(uint32_t v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
inline void write_cr3(uint32_t v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
inline void write_cr4(uint32_t v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
inline void invlpg(uintptr_t va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }

inline uint16_t read_cs() {
  uint16_t v;
  asm volatile("mov %%cs, %0" : "=r"(v));
  return v;
}
inline uint16_t read_ds() {
  uint16_t v;
  asm volatile("mov %%ds, %0" : "=r"(v));
  return v;
}
inline uint16_t read_es() {
  uint16_t v;
  asm volatile("mov %%es, %0" : "=r"(v));
  return v;
}
inline uint16_t read_fs() {
  uint16_t v;
  asm volatile("mov %%fs, %0" : "=r"(v));
  return v;
}
inline uint16_t read_gs() {
  uint16_t v;
  asm volatile("mov %%gs, %0" : "=r"(v));
  return v;
}
inline uint16_t read_ss() {
  uint16_t v;
  asm volatile("mov %%ss, %0" : "=r"(v));
  return v;
}

// CPUID leaf 1, EDX: the feature flags (Intel SDM Vol. 2A, CPUID, Table 3-11).
inline uint32_t cpuid_features_edx() {
  uint32_t a = 1, b, c = 0, d;
  asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return d;
}

// Under QEMU with -icount shift=0 the time-stamp counter advances by one per guest
// instruction, which is what makes the benchmarks exact.
inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

// Deliberate faults for the `crash` command, each the textbook way to raise its vector.
inline void fault_ud() { asm volatile("ud2"); }
inline void fault_bp() { asm volatile("int3"); }
inline uint32_t fault_de(uint32_t divisor) {
  uint32_t q, r;
  asm volatile("divl %2" : "=a"(q), "=d"(r) : "r"(divisor), "a"(1), "d"(0));
  return q + r;
}
inline void fault_gp(uint16_t bad_selector) {
  asm volatile("mov %0, %%ds" ::"r"(bad_selector) : "memory");
}

// A software interrupt through the IDT, as if the device on that vector had raised it.
template <uint8_t Vector>
inline void soft_interrupt() {
  asm volatile("int %0" ::"i"(Vector) : "memory");
}

inline uintptr_t frame_pointer() { return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)); }

// Block moves and fills, 4 bytes per step (`rep movsl` / `rep stosl`): what memcpy and
// memset use for the bulk of a copy. Under -icount each step counts as one instruction.
inline void rep_movsl(void* dst, const void* src, size_t words) {
  asm volatile("rep movsl" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
}
inline void rep_stosl(void* dst, uint32_t value, size_t words) {
  asm volatile("rep stosl" : "+D"(dst), "+c"(words) : "a"(value) : "memory");
}

}  // namespace quartz::cpu
