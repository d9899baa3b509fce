// The file system calls: descriptors of the calling process, user buffers copied through
// a kernel bounce buffer, paths copied with a length limit, then kernel/fs/vfs does the rest.
#include "kernel/arch/x86/uaccess.h"
#include "kernel/kheap.h"
#include "kernel/process/process.h"
#include "kernel/process/syscall.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {

constexpr size_t kChunk = 512;  // bytes moved per step between user memory and a file

File* fd_file(int fd) {
  Process* p = current_process();
  return fd >= 0 && fd < kMaxFds ? p->fds[fd] : nullptr;
}

// A user path in a kmalloc'd buffer, or null with *err set.
char* user_path(uintptr_t user, int* err) {
  char* path = static_cast<char*>(kmalloc(QUARTZ_PATH_MAX));
  if (!path) {
    *err = -ENOMEM;
    return nullptr;
  }
  const int r = strncpy_from_user(path, user, QUARTZ_PATH_MAX);
  if (r < 0) {
    kfree(path);
    *err = r;
    return nullptr;
  }
  if (r == 0) {  // "" names nothing (Linux: ENOENT)
    kfree(path);
    *err = -ENOENT;
    return nullptr;
  }
  return path;
}

// Reading and writing both go through `moved` chunks; a fault part-way returns what
// was moved before it (Linux returns the short count too), or -EFAULT if nothing was.
long transfer(File* f, uintptr_t ubuf, size_t n, bool to_user) {
  if (n == 0) return 0;  // as Linux: nothing to move, the buffer is not looked at
  if (!user_range_ok(ubuf, n)) return -EFAULT;
  char buf[kChunk];
  size_t done = 0;
  while (done < n) {
    const size_t want = n - done < kChunk ? n - done : kChunk;
    long got;
    if (to_user) {
      got = file_read(f, buf, want);
      if (got > 0 && copy_to_user(ubuf + done, buf, size_t(got)) < 0) got = -EFAULT;
    } else {
      got = copy_from_user(buf, ubuf + done, want) < 0 ? -EFAULT : file_write(f, buf, want);
    }
    if (got < 0) return done ? long(done) : got;
    done += size_t(got);
    // A short read (end of file, one console line) ends the call.
    if (size_t(got) < want || got == 0) break;
  }
  return long(done);
}

}  // namespace

long sys_read(InterruptFrame& fr) {
  File* f = fd_file(int(fr.ebx));
  if (!f || (f->flags & O_ACCMODE) == O_WRONLY) return -EBADF;
  return transfer(f, fr.ecx, fr.edx, true);
}

long sys_write(InterruptFrame& fr) {
  File* f = fd_file(int(fr.ebx));
  if (!f || (f->flags & O_ACCMODE) == O_RDONLY) return -EBADF;
  return transfer(f, fr.ecx, fr.edx, false);
}

long sys_open(InterruptFrame& fr) {
  Process* p = current_process();
  int err = 0;
  char* path = user_path(fr.ebx, &err);
  if (!path) return err;
  int fd = 0;
  while (fd < kMaxFds && p->fds[fd]) ++fd;
  File* f = nullptr;
  const int r = fd == kMaxFds ? -EMFILE : vfs_open(p->cwd, path, int(fr.ecx), &f);
  kfree(path);
  if (r < 0) return r;
  p->fds[fd] = f;
  return fd;
}

long sys_close(InterruptFrame& fr) {
  Process* p = current_process();
  const int fd = int(fr.ebx);
  File* f = fd_file(fd);
  if (!f) return -EBADF;
  p->fds[fd] = nullptr;
  file_put(f);
  return 0;
}

long sys_lseek(InterruptFrame& fr) {
  File* f = fd_file(int(fr.ebx));
  if (!f) return -EBADF;
  return file_lseek(f, int32_t(fr.ecx), int(fr.edx));
}

long sys_fstat64(InterruptFrame& fr) {
  File* f = fd_file(int(fr.ebx));
  if (!f) return -EBADF;
  quartz_stat64 st;
  const int r = file_stat(f, &st);
  if (r < 0) return r;
  return copy_to_user(fr.ecx, &st, sizeof st);
}

long sys_stat64(InterruptFrame& fr) {
  int err = 0;
  char* path = user_path(fr.ebx, &err);
  if (!path) return err;
  quartz_stat64 st;
  const int r = vfs_stat(current_process()->cwd, path, &st);
  kfree(path);
  if (r < 0) return r;
  return copy_to_user(fr.ecx, &st, sizeof st);
}

long sys_getdents64(InterruptFrame& fr) {
  File* f = fd_file(int(fr.ebx));
  if (!f) return -EBADF;
  const size_t n = fr.edx < kChunk ? fr.edx : kChunk;
  if (!user_range_ok(fr.ecx, fr.edx)) return -EFAULT;
  char buf[kChunk];
  const uint64_t pos = f->pos;
  const long got = file_getdents(f, buf, n);
  if (got <= 0) return got;
  if (copy_to_user(fr.ecx, buf, size_t(got)) < 0) {
    f->pos = pos;  // the records were not delivered: the next call returns them again
    return -EFAULT;
  }
  return got;
}

long sys_chdir(InterruptFrame& fr) {
  Process* p = current_process();
  int err = 0;
  char* path = user_path(fr.ebx, &err);
  if (!path) return err;
  Node* dir = nullptr;
  const int r = vfs_chdir(p->cwd, path, &dir);
  kfree(path);
  if (r < 0) return r;
  p->cwd = dir;
  return 0;
}

long sys_getcwd(InterruptFrame& fr) {
  char* buf = static_cast<char*>(kmalloc(QUARTZ_PATH_MAX));
  if (!buf) return -ENOMEM;
  const size_t n = fr.ecx < QUARTZ_PATH_MAX ? fr.ecx : QUARTZ_PATH_MAX;
  int len = vfs_getcwd(current_process()->cwd, buf, n);
  if (len >= 0 && copy_to_user(fr.ebx, buf, size_t(len)) < 0) len = -EFAULT;
  kfree(buf);
  return len;
}

long sys_mkdir(InterruptFrame& fr) {
  int err = 0;
  char* path = user_path(fr.ebx, &err);
  if (!path) return err;
  const int r = vfs_mkdir(current_process()->cwd, path);
  kfree(path);
  return r;
}

long sys_unlink(InterruptFrame& fr) {
  int err = 0;
  char* path = user_path(fr.ebx, &err);
  if (!path) return err;
  const int r = vfs_unlink(current_process()->cwd, path);
  kfree(path);
  return r;
}

}  // namespace quartz
