// Loadable modules: the ELF loader's kernel side (kernel/lib/elf_module does the pure
// work), the lifecycle coming -> live -> going -> freed, exports and references, the
// check after cleanup_module that nothing still points into a module, and naming of
// addresses in modules (live or unloaded) for faults and backtraces.
//
// Contract: module_load/module_unload from thread context (they may sleep: init_module
// and cleanup_module run in the calling thread, which blocks until they return). One
// module operation at a time: a second one meanwhile is refused with a message.
#pragma once
#include <cstddef>
#include <cstdint>

namespace quartz {
void modules_init();
// Both return 0 on success, or print one line saying why not and return nonzero; a
// refused load changes nothing (heap, module list, queues).
int module_load(const char* name);
int module_unload(const char* name);
// The address of a global symbol of a loaded module (for tests and the debugger).
bool module_symbol(const char* module, const char* symbol, uintptr_t* addr);
}  // namespace quartz

extern "C" {
struct module;  // opaque to modules: THIS_MODULE points at one
}
