// The /proc table (fixed size, no allocation) and the `cat` and `ls` commands.
#include "kernel/procfs.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/module/module.h"
#include "kernel/shell.h"
#include "kernel/arch/x86/fault.h"

struct ProcFile {
  int bytes;            // written so far
  bool discard;         // read for the side effect only (like `cat FILE > /dev/null`)
  char* buf = nullptr;  // if set: the text goes here (cap bytes, cut at the end), not the console
  size_t cap = 0;
  size_t len = 0;
};

namespace quartz {
namespace {
constexpr int kMaxEntries = 32;
constexpr size_t kMaxName = 31;
constexpr const char* kPrefix = "/proc/";

struct Entry {
  char name[kMaxName + 1];
  proc_show_fn show;
  void* data;
  const void* owner;
  uintptr_t (*code_of)(void* data);  // null: the show function is the code to enter
};
Entry entries[kMaxEntries];  // interrupts off to read or change

Entry* find(const char* name) {
  for (Entry& e : entries)
    if (e.show && str_eq(e.name, name)) return &e;
  return nullptr;
}

int cmd_cat(int argc, char** argv) {
  if (argc != 2) return shell_usage("cat");
  const size_t plen = __builtin_strlen(kPrefix);
  if (!str_starts_with(argv[1], kPrefix)) {
    kprintf("cat: %s: no such file (Quartz has only /proc)\n", argv[1]);
    return 1;
  }
  const int rc = proc_cat(argv[1] + plen);
  if (rc == 1) kprintf("cat: %s: no such file\n", argv[1]);
  return rc ? 1 : 0;
}

int cmd_read(int argc, char** argv) {
  const size_t plen = __builtin_strlen(kPrefix);
  if (argc != 2 || !str_starts_with(argv[1], kPrefix)) return shell_usage("read");
  const int rc = proc_read(argv[1] + plen, true);
  if (rc == 1) kprintf("read: %s: no such file\n", argv[1]);
  return rc ? 1 : 0;
}

int cmd_ls(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && !str_eq(argv[1], "/proc") && !str_eq(argv[1], "/proc/")))
    return shell_usage("ls");
  // Names are copied under the guard and printed after it.
  char names[kMaxEntries][kProcNameMax];  // 1 KiB: the table's own limit
  const size_t n = proc_names(names, kMaxEntries);
  for (size_t i = 0; i < n; ++i) kprintf("/proc/%s\n", names[i]);
  return 0;
}
}  // namespace

SHELL_COMMAND(cat, "/proc/NAME", "print a /proc file", cmd_cat);
SHELL_COMMAND(ls, "[/proc]", "list the /proc files", cmd_ls);
SHELL_COMMAND(read, "/proc/NAME", "read a /proc file and discard what it says", cmd_read);

int proc_cat(const char* name) { return proc_read(name, false); }

size_t proc_names(char (*names)[kProcNameMax], size_t cap) {
  static_assert(kProcNameMax == kMaxName + 1);
  InterruptDisabler guard;
  size_t n = 0;
  for (const Entry& e : entries)
    if (e.show && n < cap) __builtin_memcpy(names[n++], e.name, kMaxName + 1);
  return n;
}

int proc_read_to(const char* name, bool discard, ProcFile* into);

int proc_read_into(const char* name, char* buf, size_t cap, size_t* len) {
  ProcFile out{0, false, buf, cap, 0};
  const int rc = proc_read_to(name, false, &out);
  *len = out.len;
  return rc;
}

namespace {
struct ShowCall {
  proc_show_fn show;
  ProcFile* out;
  void* data;
};
void call_show(void* arg) {
  auto* c = static_cast<ShowCall*>(arg);
  c->show(c->out, c->data);
}
bool matches(const Entry& e, const void* owner, uintptr_t lo, uintptr_t hi) {
  const auto show = reinterpret_cast<uintptr_t>(e.show), data = reinterpret_cast<uintptr_t>(e.data);
  return e.show &&
         ((owner && e.owner == owner) || (show >= lo && show < hi) || (data >= lo && data < hi));
}
}  // namespace

int proc_read(const char* name, bool discard) { return proc_read_to(name, discard, nullptr); }

int proc_read_to(const char* name, bool discard, ProcFile* into) {
  Entry copy;
  module* owner = nullptr;
  ModuleEntry entered;
  char why[64];
  {
    // Finding the entry and entering its module is one step: once the use count is
    // taken, rmmod cannot run the module's cleanup_module until this read is over.
    InterruptDisabler guard;
    Entry* e = find(name);
    if (!e) return 1;
    copy = *e;
    const uintptr_t code =
        copy.code_of ? copy.code_of(copy.data) : reinterpret_cast<uintptr_t>(copy.show);
    entered = module_enter(code, &owner, why, sizeof why);
  }
  if (entered == ModuleEntry::Refused) {
    kprintf("/proc/%s: not read: %s\n", name, why);
    return 2;
  }
  ProcFile local{0, discard};
  ProcFile& out = into ? *into : local;
  if (entered == ModuleEntry::NotAModule) {
    copy.show(&out, copy.data);
    return 0;
  }
  ShowCall call{copy.show, &out, copy.data};
  const bool ok = fault_call_recoverable(call_show, &call);
  if (!ok)
    kprintf("/proc/%s: the show function faulted; module %s is marked failed\n", name,
            module_name(owner));
  module_leave(owner);
  return ok ? 0 : 2;
}

void proc_find(const void* owner, uintptr_t lo, uintptr_t hi,
               void (*fn)(void* ctx, const char* name), void* ctx) {
  InterruptDisabler guard;
  for (const Entry& e : entries)
    if (matches(e, owner, lo, hi)) fn(ctx, e.name);
}

int proc_remove_matching(const void* owner, uintptr_t lo, uintptr_t hi) {
  InterruptDisabler guard;
  int n = 0;
  for (Entry& e : entries) {
    if (!matches(e, owner, lo, hi)) continue;
    e = Entry{};
    ++n;
  }
  return n;
}

}  // namespace quartz

using namespace quartz;

extern "C" int proc_create(const char* name, proc_show_fn show, void* data, const void* owner) {
  return proc_create_entered(name, show, data, owner, nullptr);
}

int quartz::proc_create_entered(const char* name, proc_show_fn show, void* data, const void* owner,
                                uintptr_t (*code_of)(void* data)) {
  if (!name || !show) return -1;
  const size_t n = __builtin_strlen(name);
  if (n == 0 || n > kMaxName) return -1;
  InterruptDisabler guard;
  if (find(name)) return -1;
  for (Entry& e : entries) {
    if (e.show) continue;
    __builtin_memcpy(e.name, name, n + 1);
    e.data = data;
    e.owner = owner;
    e.code_of = code_of;
    e.show = show;
    return 0;
  }
  return -1;
}

extern "C" int proc_remove(const char* name) {
  InterruptDisabler guard;
  Entry* e = name ? find(name) : nullptr;
  if (!e) return -1;
  *e = Entry{};
  return 0;
}

extern "C" int proc_printf(ProcFile* out, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n;
  if (out && out->buf) {
    n = vformat(
        [](void* ctx, char c) {
          auto* o = static_cast<ProcFile*>(ctx);
          if (o->len < o->cap) o->buf[o->len++] = c;
        },
        out, fmt, ap);
  } else {
    n = (out && out->discard) ? vformat([](void*, char) {}, nullptr, fmt, ap) : vkprintf(fmt, ap);
  }
  va_end(ap);
  if (out) out->bytes += n;
  return n;
}
