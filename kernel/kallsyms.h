// The kernel's own symbol table, built into the image at link time, for backtraces, and
// the one way the kernel names a code address in a message (ksyms_describe).
#pragma once
#include <cstddef>
#include <cstdint>

namespace quartz {
void ksyms_init();  // boot; prints a warning if the table is missing or malformed
// The function containing addr; false if none. Any context.
bool ksyms_lookup(uintptr_t addr, const char** name, uint32_t* offset);
bool ksyms_find(const char* name, uintptr_t* addr);
// Names a code address into buf: "name+0xoff" inside the kernel; else what the module
// loader's namer says ("sched_tick+0x0 [sched]", "in unloaded module sched:
// sched_tick+0x0", see fault_name_address); else the bare address "0xd0001234".
// Always NUL-terminates (len > 0); returns the length written, like snprintf. Any
// context, interrupts on or off; never allocates.
int ksyms_describe(uintptr_t addr, char* buf, size_t len);
}  // namespace quartz
