// The C++ runtime support a freestanding kernel must supply itself: global
// constructors, operator new/delete on the kernel heap, and the pure-virtual trap.
#include <cstddef>
#include <quartz/export.h>
#include "kernel/kheap.h"
#include "kernel/module/module.h"
#include "kernel/panic.h"

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace quartz {
void run_global_constructors() {
  for (auto* ctor = __init_array_start; ctor != __init_array_end; ++ctor) (*ctor)();
}
}  // namespace quartz

extern "C" void __cxa_pure_virtual() { quartz::panic("pure virtual function called"); }
void* __dso_handle = nullptr;
// The kernel never exits, so destructors of its own static objects are never registered
// to run. A module's (dso = its __dso_handle, resolved to its struct module) run after
// its cleanup_module: exported for the modules' C++ constructors.
extern "C" int __cxa_atexit(void (*fn)(void*), void* arg, void* dso) {
  if (dso == &__dso_handle) return 0;
  return quartz::module_atexit(fn, arg, dso);
}
EXPORT_SYMBOL(__cxa_atexit);
extern "C" int atexit(void (*)()) { return 0; }

void* operator new(size_t size) {
  void* p = kmalloc(size);
  if (!p) quartz::panic("operator new: out of memory (%u bytes)", unsigned(size));
  return p;
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { kfree(p); }
void operator delete[](void* p) noexcept { kfree(p); }
void operator delete(void* p, size_t) noexcept { kfree(p); }
void operator delete[](void* p, size_t) noexcept { kfree(p); }
