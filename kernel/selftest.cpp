// The `selftest` command: runs the registered in-kernel tests and reports
// "N passed, N failed"; with --exit it then ends QEMU with status 0 (all passed) or 1.
#include "kernel/selftest.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/power.h"
#include "kernel/shell.h"

extern "C" const quartz::SelfTest __selftests_start[], __selftests_end[];

namespace quartz {
namespace {
bool matches(const char* name, const char* pattern) {
  if (!pattern) return true;
  // A pattern matches a whole name, or a prefix ending in '*'.
  const size_t n = __builtin_strlen(pattern);
  char prefix[kShellLineMax + 1];  // a shell word is never longer
  if (n && pattern[n - 1] == '*' && str_copy_n(prefix, pattern, n - 1, sizeof prefix))
    return str_starts_with(name, prefix);
  return str_eq(name, pattern);
}

int cmd_selftest(int argc, char** argv) {
  bool exit_after = false, list = false;
  const char* pattern = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (str_eq(argv[i], "--exit"))
      exit_after = true;
    else if (str_eq(argv[i], "--list"))
      list = true;
    else if (!pattern)
      pattern = argv[i];
    else
      return shell_usage("selftest");
  }
  int passed = 0, failed = 0;
  for (const SelfTest* t = __selftests_start; t < __selftests_end; ++t) {
    if (!matches(t->name, pattern)) continue;
    if (list) {
      kprintf("%s\n", t->name);
      continue;
    }
    kprintf("selftest %s ...\n", t->name);
    const bool ok = t->run();
    kprintf("selftest %s: %s\n", t->name, ok ? "ok" : "FAILED");
    ok ? ++passed : ++failed;
  }
  if (list) return 0;
  if (passed + failed == 0) kprintf("selftest: no test matches '%s'\n", pattern ? pattern : "");
  kprintf("%d passed, %d failed\n", passed, failed);
  const int status = (failed || passed == 0) ? 1 : 0;
  if (exit_after) power_off(status);
  return status;
}
}  // namespace

SHELL_COMMAND(selftest, "[--list] [--exit] [NAME|PREFIX*]", "run the in-kernel self-tests",
              cmd_selftest);

}  // namespace quartz
