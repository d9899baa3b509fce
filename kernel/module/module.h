// Loadable modules: the ELF loader's kernel side (kernel/lib/elf_module does the pure
// work), the lifecycle coming -> live -> going -> freed (or failed), exports and
// references, use counts for calls into a module from threads, the check after
// cleanup_module that nothing still points into a module, and naming of addresses in
// modules (live or unloaded) for faults and backtraces. kernel/lib/module_core.h holds
// the states and the decisions as host-tested logic.
//
// Contract: module_load/module_unload from thread context (they may sleep:
// constructors, init_module and cleanup_module run in the calling thread, which blocks
// until they return). Any number of threads may call them at once: the module lock
// orders what changes the module list, and is not held while module code runs, so a
// module that hangs in its init or cleanup blocks only the operation on that module;
// a second operation on a module that is being loaded or unloaded is refused.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {
struct module;  // opaque to modules: THIS_MODULE points at one
}

namespace quartz {
void modules_init();
// All return 0 on success, or print one line saying why not and return a negative errno
// (Linux's values: EEXIST, ENOENT, ENOEXEC, ENOMEM, EBUSY, EWOULDBLOCK, or init_module's
// own error); a refused load changes nothing (heap, module list, queues).
// params (null or "" = none): the module parameters, "interval=5 name=\"two words\""
// (docs/modules.md, Parameters); a refused string is EINVAL with one line, nothing loaded.
int module_load(const char* name, const char* params = nullptr);  // a boot module
// From an image in memory (init_module from a program). owned: a kmalloc'd image the
// module keeps (its section names point into it) and frees; freed at once on failure.
int module_load_image(const char* name, const uint8_t* image, size_t size, uint8_t* owned,
                      const char* params = nullptr);
// flags: delete_module(2)'s; with O_NONBLOCK a module that readers are inside is refused
// at once (EWOULDBLOCK) instead of waited for (up to 5 s, then EBUSY).
int module_unload(const char* name, int flags = 0);
// The address of a global symbol of a loaded module (for tests and the debugger).
bool module_symbol(const char* module, const char* symbol, uintptr_t* addr);

// Entering a module from a thread, for a call into it (a /proc show function): Linux's
// try_module_get/module_put. Interrupts on or off; module_enter never sleeps.
//   Entered     addr lies in a live module: its use count is taken (*m), rmmod waits
//               for module_leave(*m) before it runs cleanup_module.
//   Refused     addr lies in a module that is loading, unloading or failed: nothing
//               taken; why (if not null) holds e.g. "module sched is going".
//   NotAModule  addr lies in no module (kernel code).
enum class ModuleEntry : uint8_t { NotAModule, Entered, Refused };
ModuleEntry module_enter(uintptr_t addr, module** m, char* why, size_t why_len);
// Gives the use count back; wakes an rmmod waiting for the last one. Thread context.
void module_leave(module* m);
// The module's name; valid while the caller holds its use count.
const char* module_name(const module* m);

// __cxa_atexit for a module's C++ objects with destructors (dso = the module's
// __dso_handle): the destructor runs after its cleanup_module. -1 if dso is no module
// that is running its constructors.
int module_atexit(void (*fn)(void*), void* arg, void* dso);
}  // namespace quartz
