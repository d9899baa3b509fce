// init_module and delete_module: loading a module from an image a program read (Linux 2.6's
// system call, the one /sbin/insmod uses) and unloading one by name.
#include "kernel/arch/x86/uaccess.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/elf_module.h"
#include "kernel/lib/module_param.h"
#include "kernel/module/module.h"
#include "kernel/process/syscall.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {
constexpr size_t kMaxModuleImage = 8 << 20;  // bytes init_module takes
constexpr size_t kModuleNameMax = 31;        // kernel/module: the longest name

// The image at user_image[0, len) loaded as a module, named after what its compiler
// recorded (elf_module_name), as Linux names a module after what it was built from, not
// after the file it was read from.
long load_from_user(uintptr_t user_image, size_t len, const char* params) {
  auto* image = static_cast<uint8_t*>(kmalloc(len));
  if (!image) return -ENOMEM;
  if (copy_from_user(image, user_image, len) < 0) {
    kfree(image);
    return -EFAULT;
  }
  ElfInfo info;
  ElfError err;
  char name[kModuleNameMax + 1];
  if (!elf_validate(image, len, &info, &err)) {
    kprintf("init_module: %s\n", err.msg);
    kfree(image);
    return -ENOEXEC;
  }
  if (!elf_module_name(info, name, sizeof name)) {
    kprintf("init_module: the image has no module name (no STT_FILE symbol: stripped?)\n");
    kfree(image);
    return -ENOEXEC;
  }
  return module_load_image(name, image, len, image, params);
}
}  // namespace

// init_module(image, len, params). params (may be null): "name=value ..." for the
// module's module_param variables (docs/modules.md, Parameters), applied by the loader
// before init_module runs; a refused or over-long (1023+ characters) string is EINVAL,
// nothing loaded.
long sys_init_module(InterruptFrame& f) {
  const uintptr_t user_image = f.ebx;
  const size_t len = f.ecx;
  if (len == 0) return -ENOEXEC;
  if (len > kMaxModuleImage) return -EFBIG;
  char* params = nullptr;  // freed below; the module keeps a copy of its own
  if (f.edx) {
    params = static_cast<char*>(kmalloc(kParamsMax));
    if (!params) return -ENOMEM;
    const int r = strncpy_from_user(params, f.edx, kParamsMax);
    if (r < 0) {
      kfree(params);
      if (r != -ENAMETOOLONG) return r;
      kprintf("init_module: the parameters are longer than %u characters\n",
              unsigned(kParamsMax - 1));
      return -EINVAL;
    }
  }
  const long rc = load_from_user(user_image, len, params);
  kfree(params);
  return rc;
}

// delete_module(name, flags). O_NONBLOCK: a module whose /proc files are being read is
// refused at once with EWOULDBLOCK (Linux's rule); without it the caller waits for the
// readers to leave (up to 5 s, then EBUSY), as Linux 2.6's `rmmod --wait` did. Either way
// the caller then sleeps in cleanup_module for as long as the module's protocol takes.
// O_TRUNC (force) is not supported: it is ignored.
long sys_delete_module(InterruptFrame& f) {
  char name[kModuleNameMax + 1];
  const int r = strncpy_from_user(name, f.ebx, sizeof name);
  if (r == -ENAMETOOLONG) return -ENOENT;  // no module has a name that long
  if (r < 0) return r;
  return module_unload(name, int(f.ecx));
}

}  // namespace quartz
