// mutex_cpp: C++ namespace-scope mutexes, one DEFINE_MUTEX and one plain (zero-filled), on purpose: both must be constant-initialised (no .init_array: tools/build-module.sh refuses a module that has one) and work as unlocked mutexes.
#include <quartz/module.h>

namespace
{
DEFINE_MUTEX(cpp_named);
struct mutex cpp_plain; // zero-filled: an unlocked mutex without a name
constinit struct mutex cpp_constinit = __MUTEX_INITIALIZER(cpp_constinit);
} // namespace

extern "C" int init_module(void)
{
    int ok = 1;
    struct mutex *const all[] = {&cpp_named, &cpp_plain, &cpp_constinit};
    for (struct mutex *m : all) {
        ok &= !mutex_is_locked(m);
        mutex_lock(m);
        ok &= mutex_is_locked(m) && !mutex_trylock(m);
        mutex_unlock(m);
        ok &= mutex_trylock(m);
        mutex_unlock(m);
        ok &= !mutex_is_locked(m);
    }
    printk("mutex_cpp: %s, named %s\n", ok ? "three mutexes work" : "FAILED", cpp_named.wait.name);
    return ok ? 0 : -EINVAL;
}

extern "C" void cleanup_module(void) {}
