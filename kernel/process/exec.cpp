// execve: reading and validating the executable (kernel/lib/elf_exec), building the new
// address space and the initial stack, and switching the process over to it.
#include "kernel/process/exec.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/idt.h"
#include "kernel/arch/x86/uaccess.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/elf_exec.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/user_stack.h"
#include "kernel/process/process.h"
#include "kernel/trace.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {

constexpr size_t kMaxExecutable = 16 << 20;  // bytes read for one executable
constexpr size_t kMaxArgs = 1024;            // argv plus envp entries

// Copies n bytes to va in `as` (not active) through the frames' identity mapping; with
// src null, writes zeros.
void copy_into(AddressSpace* as, uintptr_t va, const void* src, size_t n) {
  const auto* s = static_cast<const uint8_t*>(src);
  while (n) {
    uintptr_t pa = 0;
    as_translate(as, va, &pa, nullptr);  // mapped by the caller
    const size_t room = kPageSize - (va & (kPageSize - 1));
    const size_t chunk = room < n ? room : n;
    if (s) {
      __builtin_memcpy(reinterpret_cast<void*>(pa), s, chunk);
      s += chunk;
    } else {
      __builtin_memset(reinterpret_cast<void*>(pa), 0, chunk);
    }
    va += chunk;
    n -= chunk;
  }
}

size_t count(const char* const* v) {
  size_t n = 0;
  while (v && v[n]) ++n;
  return n;
}

// The initial stack (kernel/lib/user_stack: Linux's layout) in `buf`, which stands for the
// top `cap` bytes below `top`. Returns the user esp, or 0 if it does not fit (E2BIG).
uintptr_t build_stack(uint8_t* buf, size_t cap, uintptr_t top, const char* const* argv,
                      const char* const* envp, uintptr_t entry) {
  const size_t argc = count(argv), envc = count(envp);
  if (argc + envc > kMaxArgs) return 0;
  auto* strings = static_cast<UserString*>(kmalloc((argc + envc + 1) * sizeof(UserString)));
  if (!strings) return 0;
  for (size_t i = 0; i < argc + envc; ++i) {
    const char* s = i < argc ? argv[i] : envp[i - argc];
    strings[i] = {s, uint32_t(__builtin_strlen(s))};
  }
  uint32_t sp = 0;
  const int r = user_stack_build(buf, uint32_t(cap), uint32_t(top), strings, uint32_t(argc),
                                 strings + argc, uint32_t(envc), uint32_t(entry), &sp);
  kfree(strings);
  return r == 0 ? sp : 0;
}

}  // namespace

namespace {
struct LoadCall {
  const char* path;
  const char* const* argv;
  const char* const* envp;
  ExecImage* out;
};

// The loading proper, with the file's bytes in place (vfs_with_file).
int load_image(void* ctx, const uint8_t* file, size_t size) {
  const auto* c = static_cast<const LoadCall*>(ctx);
  ExecPlan plan;
  ExecError err;
  int r = elf_exec_plan(file, size, &plan, &err);
  if (r < 0) {
    kprintf("exec: %s: %s\n", c->path, err.msg);
    return r;
  }
  AddressSpace* as = as_create();
  auto* stack = static_cast<uint8_t*>(kmalloc(kUserArgBytes));
  r = as && stack ? 0 : -ENOMEM;
  for (uint32_t i = 0; r == 0 && i < plan.count; ++i) {
    const ExecSegment& s = plan.segments[i];
    uint32_t start, end;
    elf_exec_pages(s, &start, &end);
    const uint32_t flags = (s.flags & PF_W) ? pte::kWritable : 0;
    // Every byte of the pages is written once: zeros before the segment in its first
    // page, the file's bytes, zeros after them (the .bss and the last page's tail).
    if (!as_map_fresh(as, start, end - start, flags, false)) {
      r = -ENOMEM;
      break;
    }
    copy_into(as, start, nullptr, s.vaddr - start);
    copy_into(as, s.vaddr, file + s.offset, s.filesz);
    copy_into(as, s.vaddr + s.filesz, nullptr, end - (s.vaddr + s.filesz));
  }
  uintptr_t esp = 0;
  if (r == 0) {
    esp = build_stack(stack, kUserArgBytes, kUserStackTop, c->argv, c->envp, plan.entry);
    if (!esp) r = -E2BIG;
  }
  // Only the stack's top pages, which hold the arguments, are mapped now; the rest of
  // the stack area is mapped page by page as the program first touches it.
  const uintptr_t stack_low = esp & ~(kPageSize - 1);
  if (r == 0 && !as_map_fresh(as, stack_low, kUserStackTop - stack_low, pte::kWritable))
    r = -ENOMEM;
  if (r == 0)
    copy_into(as, esp, stack + (esp - (kUserStackTop - kUserArgBytes)), kUserStackTop - esp);
  kfree(stack);
  if (r < 0) {
    as_destroy(as);
    return r;
  }
  *c->out = ExecImage{as, plan.entry, esp, plan.brk};
  return 0;
}
}  // namespace

int exec_load(Node* cwd, const char* path, const char* const* argv, const char* const* envp,
              ExecImage* out) {
  LoadCall call{path, argv, envp, out};
  return vfs_with_file(cwd, path, kMaxExecutable, load_image, &call);
}

InterruptFrame user_entry_frame(uintptr_t entry, uintptr_t esp) {
  InterruptFrame f{};
  f.vector = kSyscallVector;
  f.eip = entry;
  f.cs = kUserCodeSelector;
  f.eflags = cpu::kEflagsIf | 0x2;  // interrupts on; bit 1 is always set
  f.user_esp = esp;
  f.user_ss = kUserDataSelector;
  return f;
}

namespace {
// execve's arguments, copied out of the old program before it goes: the path, and argv
// and envp as arrays of pointers into one string area.
struct ExecArgs {
  char path[QUARTZ_PATH_MAX];
  const char* argv[kMaxArgs / 2 + 1];
  const char* envp[kMaxArgs / 2 + 1];
  char strings[kUserArgBytes];
};

// Copies a user array of string pointers (null-terminated) into `out`, its strings into
// a->strings from *used on. 0, -EFAULT or -E2BIG.
int copy_strings(ExecArgs* a, size_t* used, uintptr_t user_vec, const char** out, size_t cap) {
  size_t n = 0;
  for (;; ++n) {
    uint32_t p = 0;
    if (user_vec && copy_from_user(&p, user_vec + 4 * n, 4) < 0) return -EFAULT;
    if (!user_vec || !p) break;
    if (n + 1 >= cap) return -E2BIG;
    const int len = strncpy_from_user(a->strings + *used, p, sizeof a->strings - *used);
    if (len == -ENAMETOOLONG) return -E2BIG;
    if (len < 0) return len;
    out[n] = a->strings + *used;
    *used += size_t(len) + 1;
  }
  out[n] = nullptr;
  return 0;
}
}  // namespace

int sys_execve(InterruptFrame& f) {
  Process* p = current_process();
  auto* a = static_cast<ExecArgs*>(kmalloc(sizeof(ExecArgs)));
  if (!a) return -ENOMEM;
  size_t used = 0;
  int r = strncpy_from_user(a->path, f.ebx, sizeof a->path);
  if (r >= 0) r = copy_strings(a, &used, f.ecx, a->argv, kMaxArgs / 2 + 1);
  if (r >= 0) r = copy_strings(a, &used, f.edx, a->envp, kMaxArgs / 2 + 1);
  ExecImage img;
  if (r >= 0) r = exec_load(p->cwd, a->path, a->argv, a->envp, &img);
  if (r < 0) {
    kfree(a);
    return r;
  }
  // The point of no return: the old program's memory goes.
  AddressSpace* old = p->as;
  {
    cpu::raw_cli();
    p->as = img.as;
    as_activate(img.as);
    cpu::raw_sti();
  }
  as_destroy(old);
  p->brk_start = p->brk = img.brk;
  process_name_from_path(p, a->path);
  kfree(a);
  for (File*& file : p->fds)
    if (file && (file->flags & O_CLOEXEC)) {
      file_put(file);
      file = nullptr;
    }
  f = user_entry_frame(img.entry, img.esp);
  trace(TraceType::Exec, uint32_t(p->pid), 0);
  return 0;
}

}  // namespace quartz
