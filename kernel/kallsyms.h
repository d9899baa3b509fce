// The kernel's own symbol table, built into the image at link time, for backtraces.
#pragma once
#include <cstdint>

namespace quartz {
void ksyms_init();  // boot; prints a warning if the table is missing or malformed
// The function containing addr; false if none. Any context.
bool ksyms_lookup(uintptr_t addr, const char** name, uint32_t* offset);
bool ksyms_find(const char* name, uintptr_t* addr);
}  // namespace quartz
