// In-kernel self-tests: SELFTEST(name) { ... } registers a test that the `selftest` shell
// command runs under QEMU (for what needs the real machine). They live in
// kernel/tests/*_tests.cpp, files that hold only tests; a subsystem gives them narrow
// accessors under a "For tests" comment in its header.
//
// Contract: tests run in the shell's thread context with interrupts on, one at a time,
// and must leave the kernel as they found it (memory freed, handlers restored).
#pragma once
#include "kernel/console.h"

namespace quartz {
struct SelfTest {
  const char* name;
  bool (*run)();
};
}  // namespace quartz

#define SELFTEST(test_name)                                                             \
  static bool selftest_fn_##test_name();                                                \
  [[gnu::used, gnu::section(".selftests." #test_name)]] static const ::quartz::SelfTest \
      selftest_##test_name = {#test_name, selftest_fn_##test_name};                     \
  static bool selftest_fn_##test_name()

// Inside a SELFTEST: on failure, prints the file, line and condition and fails the test.
#define ST_EXPECT(cond)                                                                \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      ::quartz::kprintf("    check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      return false;                                                                    \
    }                                                                                  \
  } while (0)
