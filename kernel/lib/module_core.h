// Module lifetime as pure logic: the states a loaded module goes through, the counts that
// keep it alive, the decision rmmod makes, where a new module is placed in the module
// area, and the word scan that finds pointers into a module about to be freed.
//
// Contract: every ModLife function is called with the guard that protects the module
// list held (interrupts off in the kernel: kernel/module/internal.h says which). They never
// sleep, allocate or fail loudly; they only decide, and the caller acts and prints.
//
// The life of a module (Linux's MODULE_STATE_* plus one state of our own):
//   Coming  insmod: placed, linked, published in the list; constructors and init_module
//           run. Its exports are not visible yet; nobody may enter it (try_get fails).
//   Live    init_module returned 0. /proc readers may enter it (try_get).
//   Going   rmmod started: no new reader may enter; rmmod waits for the readers inside,
//           runs cleanup_module, then checks that nothing points in. If something does,
//           the module stays Going, and a later rmmod only re-checks.
//   Failed  its code faulted (in init_module, cleanup_module, a /proc read or a routine
//           run by a thread). It is never run again: no cleanup_module; its tasks and
//           /proc files were taken away when it faulted. rmmod frees it once nothing
//           points in.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

enum class ModState : uint8_t { Coming, Live, Going, Failed };
const char* mod_state_name(ModState s);

struct ModLife {
  ModState state = ModState::Coming;
  bool busy = true;      // an insmod or rmmod is working on it right now
  bool cleaned = false;  // cleanup_module has run (or never will: Failed)
  int users = 0;         // modules that use its exports (a reference each)
  int active = 0;        // threads inside it through try_get (a /proc read)
};

// try_module_get: enter a Live module (true, active + 1); anything else is refused.
bool mod_try_get(ModLife& m);
// module_put: leave it. Returns true when an unloader is waiting for the last one out
// (the module is Going and active dropped to 0): the caller wakes it.
bool mod_put(ModLife& m);

// What rmmod may do with a module, decided in one step under the guard.
enum class UnloadVerdict : uint8_t {
  Start,          // Live: now Going and busy; wait for `active` to drain, run cleanup
  Recheck,        // Going after a cleanup that left things behind: busy; check again
  FreeFailed,     // Failed: busy; check and free, its code never runs again
  UsedByModules,  // other modules use its exports (users > 0): refused, nothing changed
  Busy,           // an insmod or rmmod is working on it: refused, nothing changed
};
UnloadVerdict mod_begin_unload(ModLife& m);
// rmmod gave up waiting for readers (Start only): Live again, not busy.
void mod_abort_unload(ModLife& m);
// Init or cleanup faulted, or a routine/reader of it did: Failed, forever.
void mod_mark_failed(ModLife& m);

// The module area: places `need` bytes (plus one unmapped guard page after them) at or
// after *cursor, clear of every used range [lo, hi + guard) that `used(ctx, i, &lo, &hi)`
// yields for i = 0.. until it returns false. Wraps around to `base` once, so the oldest
// freed ranges are reused last. Returns the address and advances *cursor, or 0 if no
// room. Addresses are page-aligned when base, need and the ranges are.
using UsedRangeFn = bool (*)(void* ctx, size_t i, uintptr_t* lo, uintptr_t* hi);
uintptr_t mod_place(uintptr_t* cursor, uintptr_t base, uintptr_t size, uintptr_t need,
                    uintptr_t guard, UsedRangeFn used, void* ctx);

// Calls fn(ctx, offset, value) for every aligned 32-bit word of [mem, mem + len) whose
// value lies in [lo, hi): the pointers another module's data or a kernel table holds into
// a module about to be freed. Returns the number found (fn may be null).
using WordHitFn = void (*)(void* ctx, size_t offset, uint32_t value);
size_t mod_scan_words(const void* mem, size_t len, uint32_t lo, uint32_t hi, WordHitFn fn,
                      void* ctx);

}  // namespace quartz
