// In-kernel self-tests of the boot sequence: the global constructors ran
// (run_global_constructors in kernel_main).
#include "kernel/selftest.h"

namespace quartz {
namespace {

// A global with a constructor: its value is set only if the constructors ran.
struct ConstructorProbe {
  volatile int value = 0;
  ConstructorProbe() { value = 0x5157; }
};
ConstructorProbe constructor_probe;

SELFTEST(global_constructors_ran) {
  ST_EXPECT(constructor_probe.value == 0x5157);
  return true;
}

}  // namespace
}  // namespace quartz
