// The file layer: the in-memory tree (kernel/lib/ramfs) filled from the initramfs, behind
// one mutex; /dev/console as a special node; /proc's files from the procfs table; and open
// files with their operations and reference counts.
#include "kernel/fs/vfs.h"
#include <new>
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/ramfs.h"
#include "kernel/pmm.h"
#include "kernel/procfs.h"
#include "kernel/process/process.h"
#include "kernel/uapi/quartz/errno.h"
#include <quartz/mutex.h>

namespace quartz {
namespace {

Ramfs fs;
DEFINE_MUTEX(fs_mutex);  // every ramfs call (the library does no locking of its own)
RamfsNode* proc_dir = nullptr;
constexpr int kSpecialConsole = 1;
constexpr int kSpecialNull = 2;
constexpr size_t kProcText = 16384;            // a /proc file's text is cut here
constexpr uint32_t kProcIno = 0x70000000;      // /proc files' inode numbers start here
constexpr size_t kProcTableMax = 32;           // procfs's table holds no more
char proc_table[kProcTableMax][kProcNameMax];  // fs_mutex: the names, copied to list or find

struct FsLock {
  FsLock() { mutex_lock(&fs_mutex); }
  ~FsLock() { mutex_unlock(&fs_mutex); }
  FsLock(const FsLock&) = delete;
  FsLock& operator=(const FsLock&) = delete;
};

const RamfsAllocator kAllocator{[](void*, size_t n) { return kmalloc(n); },
                                [](void*, void* p) { kfree(p); }, nullptr};

// The last component of a path, and the directory it lies in (looked up). Used to spot
// /proc/NAME whatever the spelling ("/proc/x", "../proc/x" from /tmp, "x" in /proc).
int split_parent(Node* cwd, const char* path, Node** dir, const char** base) {
  const size_t len = __builtin_strlen(path);
  if (len == 0) return -ENOENT;
  if (len >= QUARTZ_PATH_MAX) return -ENAMETOOLONG;
  size_t end = len;
  while (end > 1 && path[end - 1] == '/') --end;
  size_t slash = end;
  while (slash > 0 && path[slash - 1] != '/') --slash;
  *base = path + slash;
  if (slash == 0) {
    *dir = cwd ? cwd : fs.root;
    return 0;
  }
  char* parent = static_cast<char*>(kmalloc(slash + 1));
  if (!parent) return -ENOMEM;
  __builtin_memcpy(parent, path, slash);
  parent[slash] = 0;
  const int r = ramfs_lookup(&fs, cwd, parent, dir);
  kfree(parent);
  return r;
}

// Whether path names a /proc file; if so, its name (without the directory) in name.
bool proc_file_name(Node* cwd, const char* path, char* name, size_t cap) {
  if (!proc_dir) return false;
  Node* dir = nullptr;
  const char* base = nullptr;
  if (split_parent(cwd, path, &dir, &base) < 0 || dir != proc_dir) return false;
  size_t n = 0;
  while (base[n] && base[n] != '/') ++n;
  if (n == 0 || n >= cap || (n == 1 && base[0] == '.') ||
      (n == 2 && base[0] == '.' && base[1] == '.'))
    return false;
  __builtin_memcpy(name, base, n);
  name[n] = 0;
  return true;
}

// ---- file operations ----

long console_read(File*, char* buf, size_t n) {
  // Cooked mode: a line at a time, echoed, with backspace; Ctrl-D at the start is the end.
  size_t len = 0;
  while (len < n) {
    if (!console_input_ready()) {
      auto ready = [](void*) { return console_input_ready(); };
      if (wait_interruptible(console_input_queue(), ready, nullptr) < 0)
        return len ? long(len) : -EINTR;
    }
    char c;
    if (!console_try_getc(&c)) continue;
    if (c == 4) {
      if (len == 0) return 0;
      break;
    }
    if (c == '\r') c = '\n';
    if (c == '\b' || c == 0x7f) {
      if (len) {
        --len;
        console_write("\b \b", 3);
      }
      continue;
    }
    buf[len++] = c;
    console_write(&c, 1);
    if (c == '\n') break;
  }
  return long(len);
}

long console_write_op(File*, const char* buf, size_t n) {
  console_write(buf, n);
  return long(n);
}

long null_read(File*, char*, size_t) { return 0; }
long null_write(File*, const char*, size_t n) { return long(n); }

long node_read(File* f, char* buf, size_t n) {
  FsLock lock;
  const int32_t r = ramfs_read(f->node, f->pos, buf, uint32_t(n));
  if (r > 0) f->pos += uint64_t(r);
  return r;
}

long node_write(File* f, const char* buf, size_t n) {
  FsLock lock;
  if (f->flags & O_APPEND) f->pos = f->node->size;
  const int32_t r = ramfs_write(&fs, f->node, f->pos, buf, uint32_t(n));
  if (r > 0) f->pos += uint64_t(r);
  return r;
}

long node_getdents(File* f, char* buf, size_t n) {
  FsLock lock;
  return ramfs_getdents(f->node, &f->pos, buf, uint32_t(n));
}

long text_read(File* f, char* buf, size_t n) {
  if (f->pos >= f->text_len) return 0;
  const size_t k = f->text_len - f->pos < n ? size_t(f->text_len - f->pos) : n;
  __builtin_memcpy(buf, f->text + f->pos, k);
  f->pos += k;
  return long(k);
}

long read_only(File*, const char*, size_t) { return -EROFS; }

// /proc: the tree's entries (none, normally) and then the procfs table's files. f->pos
// counts the records of the table returned, after the tree's own (positions from 2^32).
long proc_getdents(File* f, char* buf, size_t n) {
  constexpr uint64_t kTableStart = 1ull << 32;
  long used = 0;
  if (f->pos < kTableStart) {
    {
      FsLock lock;
      used = ramfs_getdents(f->node, &f->pos, buf, uint32_t(n));
    }
    if (used != 0) return used;  // records, or -EINVAL (not even one fits)
    f->pos = kTableStart;
  }
  FsLock lock;
  const size_t count = proc_names(proc_table, kProcTableMax);
  for (size_t i = size_t(f->pos - kTableStart); i < count; ++i) {
    const uint32_t reclen =
        ramfs_put_dirent(buf + used, uint32_t(n - size_t(used)), kProcIno + i, int64_t(f->pos + 1),
                         DT_REG, proc_table[i], uint32_t(__builtin_strlen(proc_table[i])));
    if (reclen == 0) return used ? used : -EINVAL;
    used += long(reclen);
    ++f->pos;
  }
  return used;
}

const FileOps kConsoleOps{console_read, console_write_op, nullptr, false};
const FileOps kNullOps{null_read, null_write, nullptr, false};
const FileOps kNodeOps{node_read, node_write, node_getdents, true};
const FileOps kProcDirOps{nullptr, read_only, proc_getdents, false};
const FileOps kProcFileOps{text_read, read_only, nullptr, true};

File* new_file(const FileOps* ops, Node* node, int flags) {
  File* f = new (static_cast<File*>(kzalloc(sizeof(File)))) File;
  if (!f) return nullptr;
  f->ops = ops;
  f->node = node;
  f->flags = flags;
  return f;
}

int open_proc_file(const char* name, int flags, File** out) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_DIRECTORY))) return -EACCES;
  File* f = new_file(&kProcFileOps, nullptr, flags);
  if (!f) return -ENOMEM;
  f->text = static_cast<char*>(kmalloc(kProcText));
  // The show function runs now, in the opening process, with its module's use count.
  const int rc = f->text ? proc_read_into(name, f->text, kProcText, &f->text_len) : 2;
  if (rc != 0) {
    file_put(f);
    return rc == 1 ? -ENOENT : f->text ? -EIO : -ENOMEM;
  }
  *out = f;
  return 0;
}

void proc_stat(quartz_stat64* st) {
  __builtin_memset(st, 0, sizeof *st);
  st->st_mode = S_IFREG | 0444;  // size 0, as Linux's /proc files
  st->st_nlink = 1;
  st->st_blksize = kRamfsBlockSize;
  st->st_dev = kRamfsDev;
  st->st_ino = st->__st_ino = kProcIno;
}

bool proc_exists(const char* name) {
  FsLock lock;
  const size_t n = proc_names(proc_table, kProcTableMax);
  for (size_t i = 0; i < n; ++i)
    if (str_eq(proc_table[i], name)) return true;
  return false;
}

}  // namespace

void vfs_init(const uint8_t* initramfs, size_t size) {
  // The tree may take a quarter of RAM (files in /tmp included), so that a program
  // filling /tmp gets ENOSPC long before the kernel heap runs dry.
  if (ramfs_init(&fs, kAllocator, pmm_total_pages() * kPageSize / 4) < 0) {
    kprintf("vfs: no memory for the root file system\n");
    return;
  }
  if (initramfs) {
    RamfsLoadStats stats;
    CpioError err;
    const int r = ramfs_load_cpio(&fs, initramfs, size, &stats, &err);
    if (r < 0)
      kprintf("initramfs: %s\n", err.msg);
    else
      kprintf("initramfs: %u files, %u directories, %u KiB%s\n", stats.files, stats.directories,
              unsigned(stats.bytes / 1024), stats.skipped ? " (other types skipped)" : "");
  }
  // What every system has, archive or not: /dev/console, /dev/null, /proc, a writable /tmp.
  RamfsNode* node = nullptr;
  ramfs_mkdir(&fs, nullptr, "/dev", 0755, true);
  ramfs_mkdir(&fs, nullptr, "/proc", 0555, true);
  ramfs_mkdir(&fs, nullptr, "/tmp", 01777, true);
  ramfs_add_special(&fs, nullptr, "/dev/console", S_IFCHR | 0620, kSpecialConsole, nullptr, &node);
  ramfs_add_special(&fs, nullptr, "/dev/null", S_IFCHR | 0666, kSpecialNull, nullptr, &node);
  if (ramfs_lookup(&fs, nullptr, "/proc", &proc_dir) < 0) proc_dir = nullptr;
  if (ramfs_lookup(&fs, nullptr, "/tmp", &node) == 0) ramfs_set_writable(node, true);
}

Node* vfs_root() { return fs.root; }

int vfs_open(Node* cwd, const char* path, int flags, File** out) {
  char name[kProcNameMax];
  {
    FsLock lock;
    if (!proc_file_name(cwd, path, name, sizeof name)) name[0] = 0;
  }
  if (name[0]) {
    if (flags & O_CREAT) return -EACCES;
    return open_proc_file(name, flags, out);
  }
  FsLock lock;
  Node* n = nullptr;
  const int r = ramfs_open(&fs, cwd, path, uint32_t(flags), 0644, &n);
  if (r < 0) return r;
  const FileOps* ops = &kNodeOps;
  if (n->type == RamfsType::Special)
    ops = n->special_kind == kSpecialNull ? &kNullOps : &kConsoleOps;
  else if (n == proc_dir)
    ops = &kProcDirOps;
  File* f = new_file(ops, n, flags);
  if (!f) {
    ramfs_close(&fs, n);
    return -ENOMEM;
  }
  *out = f;
  return 0;
}

File* vfs_open_console() {
  File* f = nullptr;
  return vfs_open(nullptr, "/dev/console", O_RDWR, &f) == 0 ? f : nullptr;
}

File* file_get(File* f) {
  if (f) __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
  return f;
}

void file_put(File* f) {
  if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_RELAXED) != 0) return;
  if (f->node) {
    FsLock lock;
    ramfs_close(&fs, f->node);
  }
  kfree(f->text);
  f->~File();
  kfree(f);
}

long file_read(File* f, char* buf, size_t n) {
  if (!f->ops->read) return -EISDIR;
  return n ? f->ops->read(f, buf, n) : 0;
}
long file_write(File* f, const char* buf, size_t n) {
  if (!f->ops->write) return -EINVAL;
  return n ? f->ops->write(f, buf, n) : 0;
}
long file_getdents(File* f, char* buf, size_t n) {
  if (!f->ops->getdents) return -ENOTDIR;
  return f->ops->getdents(f, buf, n);
}

long file_lseek(File* f, int64_t off, int whence) {
  if (!f->ops->seekable) return -ESPIPE;
  if (whence < SEEK_SET || whence > SEEK_END) return -EINVAL;
  int64_t size;
  if (f->node) {
    FsLock lock;
    size = f->node->size;
  } else {
    size = int64_t(f->text_len);
  }
  const int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? int64_t(f->pos) : size;
  if (base + off < 0 || base + off > 0x7fffffff) return -EINVAL;
  f->pos = uint64_t(base + off);
  return long(f->pos);
}

int file_stat(File* f, quartz_stat64* st) {
  if (!f->node) {
    proc_stat(st);
    return 0;
  }
  FsLock lock;
  ramfs_stat(f->node, st);
  return 0;
}

int vfs_stat(Node* cwd, const char* path, quartz_stat64* st) {
  char name[kProcNameMax];
  bool is_proc;
  {
    FsLock lock;
    is_proc = proc_file_name(cwd, path, name, sizeof name);
  }
  if (is_proc) {
    if (!proc_exists(name)) return -ENOENT;
    proc_stat(st);
    return 0;
  }
  FsLock lock;
  Node* n = nullptr;
  const int r = ramfs_lookup(&fs, cwd, path, &n);
  if (r < 0) return r;
  ramfs_stat(n, st);
  return 0;
}

int vfs_chdir(Node* cwd, const char* path, Node** dir) {
  FsLock lock;
  Node* n = nullptr;
  const int r = ramfs_lookup(&fs, cwd, path, &n);
  if (r < 0) return r;
  if (n->type != RamfsType::Directory) return -ENOTDIR;
  *dir = n;
  return 0;
}

int vfs_getcwd(Node* cwd, char* buf, size_t n) {
  FsLock lock;
  return ramfs_path(cwd ? cwd : fs.root, buf, n);
}

int vfs_mkdir(Node* cwd, const char* path) {
  FsLock lock;
  return ramfs_mkdir(&fs, cwd, path, 0755);
}

int vfs_unlink(Node* cwd, const char* path) {
  FsLock lock;
  return ramfs_unlink(&fs, cwd, path);
}

int vfs_with_file(Node* cwd, const char* path, size_t max,
                  int (*fn)(void* ctx, const uint8_t* data, size_t size), void* ctx) {
  FsLock lock;
  Node* n = nullptr;
  const int r = ramfs_lookup(&fs, cwd, path, &n);
  if (r < 0) return r;
  if (n->type != RamfsType::Regular) return -EACCES;  // execve of a directory or device
  if (n->size > max) return -EFBIG;
  static const uint8_t kEmpty[1] = {};
  return fn(ctx, n->size ? n->data : kEmpty, n->size);
}

size_t vfs_bytes_in_use() { return fs.bytes_in_use; }

}  // namespace quartz
