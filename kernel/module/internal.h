// The module subsystem's own declarations, shared by its files and by nobody else:
// struct module, the module list and its lock, and the helpers each phase uses.
//
// Rules for the module list (g_modules) and each module's life (ModLife):
//   - Changed only with the module lock held AND interrupts off: insmod publishes a
//     module, rmmod removes it, both under the lock; states and counts change with
//     interrupts off (the fault path marks a module failed with interrupts off).
//   - Read either with the module lock held (insmod, rmmod, module_symbol: may sleep)
//     or with interrupts off (lsmod and /proc/modules copy it, the fault path names
//     addresses, module_enter takes a use count). Nobody walks it with interrupts on
//     and without the lock, so no reader ever meets a freed module.
//   - The lock is never held while module code runs (constructors, init_module,
//     cleanup_module, destructors) or while rmmod waits for readers to leave: a module
//     that hangs there jams only the operation on itself.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/arch/x86/interrupt_frame.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/lib/elf_module.h"
#include "kernel/lib/intrusive_list.h"
#include "kernel/lib/ksyms.h"
#include "kernel/module/module.h"
#include "kernel/lib/module_core.h"
#include "kernel/lib/module_param.h"
#include "kernel/multiboot.h"
#include "kernel/procfs.h"
#include "kernel/sched.h"
#include "kernel/tq_kernel.h"
#include <quartz/export.h>
#include <quartz/mutex.h>
#include <quartz/wait.h>

extern "C" const kernel_symbol __ksymtab_start[], __ksymtab_end[];

namespace quartz {
namespace mod {
constexpr int kMaxDeps = 8;
constexpr size_t kNameMax = 31;
constexpr int kMaxSections = 24;        // remembered for debuggers
constexpr int kMaxGhosts = 8;           // unloaded modules remembered for naming
constexpr size_t kGhostSymbols = 2048;  // bytes of symbols kept per unloaded module
constexpr unsigned kReaderWaitSeconds = 5;

struct AtExit {
  void (*fn)(void*);
  void* arg;
  AtExit* next;
};
}  // namespace mod
}  // namespace quartz

// THIS_MODULE points at one of these; modules see only the name.
struct module {
  char name[quartz::mod::kNameMax + 1];
  quartz::ModLife life;            // interrupts off to read or change
  uintptr_t text_addr, data_addr;  // page aligned; text_addr is the start of the range
  uint32_t text_size, text_exec_size, data_size;  // page-rounded
  int (*init)();
  void (*cleanup)();
  module* deps[quartz::mod::kMaxDeps];  // modules whose exports we use (we hold a reference)
  int ndeps;                            // module lock
  const kernel_symbol* exports;         // our .quartz_ksymtab, in our (relocated) memory
  uint32_t nexports;
  uint32_t* ctors;              // .init_array entries in call order, then
  uint32_t nctors, ndtors;      // .fini_array entries in call order (one allocation)
  quartz::mod::AtExit* atexit;  // __cxa_atexit registrations, newest first
  uint8_t* symblob;             // our symbols, for naming addresses ("sched_tick+0x12")
  size_t symblob_len;
  quartz::SymbolTable syms;
  quartz::IntrusiveListNode node;  // g_modules
  wait_queue_head_t unload_wq;     // rmmod waits here for the last reader to leave
  // The image the module was loaded from, when it is a copy the module owns (init_module
  // from a program; freed with the module). Null for a boot module, which stays in memory.
  uint8_t* owned_image;
  // Parameters (module_param): the descriptors in our relocated .quartz_params, the
  // descriptions of .quartz_parm_desc, and the kernel's copy of the params string that
  // charp parameters point into (freed with the module; null when none was given).
  const quartz::ParamDesc* params;
  uint32_t nparams;
  const quartz::ParamText* param_texts;
  uint32_t nparam_texts;
  char* params_copy;
  // Where each allocated section went, for debuggers (`add-symbol-file NAME.ko -s ...`).
  // Names point into the image (a boot module's, or owned_image).
  struct {
    const char* name;
    uint32_t addr;
  } sections[quartz::mod::kMaxSections];
  int nsections;
  uintptr_t end() const { return data_addr + data_size; }
  bool contains(uintptr_t a) const { return a >= text_addr && a < end(); }
};

extern "C" void quartz_module_event(struct module* m, int loaded);

namespace quartz {
// Named for tools/gdb/quartz.py. See the rules at the top.
extern IntrusiveList<module, &module::node> g_modules;

namespace mod {
inline IntrusiveList<module, &module::node>& loaded = g_modules;

// ---- the module lock (commands.cpp) ----
// A mutex (modules/include/quartz/mutex.h): the holder may sleep (allocate, print), a
// contender sleeps on its wait queue. A fault in kernel code under the lock (never in
// module code: the lock is not held there) makes the fault path release it
// (failure.cpp), so it is not left held for good.
extern struct mutex module_mutex;
class ModuleLockGuard {
 public:
  ModuleLockGuard() { mutex_lock(&module_mutex); }
  ~ModuleLockGuard() {
    if (mutex_held_by_current(&module_mutex)) mutex_unlock(&module_mutex);
  }
  ModuleLockGuard(const ModuleLockGuard&) = delete;
  ModuleLockGuard& operator=(const ModuleLockGuard&) = delete;
};

// ---- names.cpp: finding modules and naming addresses ----
module* module_at(uintptr_t addr);                         // interrupts off or module lock
module* find_loaded(const char* name);                     // module lock
ModState state_of(const module* m);                        // any
bool name_address(uintptr_t addr, char* buf, size_t len);  // any context
void print_target(uintptr_t a);
void remember_ghost(const module& m);
void boot_module_name(const BootModule& bm, char* out, size_t cap);
const BootModule* find_boot_module(const char* name);

// ---- load.cpp ----
// params (null or "" = none): "name=value ..." for the module's module_param variables,
// applied after relocation and before init_module; a refused string fails the load with
// EINVAL and one line naming the parameter, nothing loaded.
int load(const char* name, const char* params = nullptr);
// Loads `name` from image[0, size); owned (may be null) is a kmalloc'd copy the module
// keeps and frees, or that is freed at once if the load fails. 0 or a negative errno.
int load_image(const char* name, const uint8_t* image, size_t size, uint8_t* owned,
               const char* params = nullptr);
void free_module(module* m);  // module lock; nothing may reach it
void set_not_busy(module* m);
void run_cleanup(void* module);      // for fault_call_recoverable
void run_destructors(void* module);  // for fault_call_recoverable

// ---- unload.cpp ----
// flags: delete_module's (O_NONBLOCK: refuse a module with readers inside at once).
int unload(const char* name, int flags = 0);
int check_leftovers(module* m);  // module lock; prints each, returns the count
void undo_init(module* m);       // takes away its tasks and /proc files

// ---- failure.cpp ----
void detach(module* m);                  // failed: tasks and /proc files taken away
void on_fault(const InterruptFrame& f);  // the fault recovery hook
}  // namespace mod
}  // namespace quartz
