// The file layer, first version: the initramfs read in place (files and directories of
// the cpio archive, read-only), /dev/console and the /proc files. Open files, their
// reference counts and the file system calls' checks are final; the tree moves to the
// writable in-memory file system (kernel/lib/ramfs) next.
#include "kernel/fs/vfs.h"
#include <new>
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/cpio.h"
#include "kernel/lib/kstring.h"
#include "kernel/procfs.h"
#include "kernel/process/process.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {

// A node is a path in this version: the archive is the tree.
struct Node {
  int refs;
  uint32_t mode;
  const uint8_t* data;
  uint32_t size;
  uint32_t ino;
  char path[QUARTZ_PATH_MAX];  // absolute, normalised, "/" for the root
};

namespace {

const uint8_t* archive = nullptr;
size_t archive_size = 0;
Node root{1, S_IFDIR | 0755, nullptr, 0, 1, "/"};
constexpr size_t kProcText = 16384;  // a /proc file's text is cut here

// "/a/./b/../c//" relative to base -> "/a/c" into out. -ENAMETOOLONG, -ENOENT for "".
// Appends the components of `path` to the absolute path out[0, *o).
int walk_components(const char* path, char* out, size_t* o, size_t cap) {
  for (const char* s = path; *s;) {
    while (*s == '/') ++s;
    const char* e = s;
    while (*e && *e != '/') ++e;
    const size_t len = size_t(e - s);
    if (len == 0) break;
    if (len > QUARTZ_NAME_MAX) return -ENAMETOOLONG;
    if (len == 2 && s[0] == '.' && s[1] == '.') {
      while (*o > 1 && out[*o - 1] != '/') --*o;
      if (*o > 1) --*o;
    } else if (!(len == 1 && s[0] == '.')) {
      if (*o > 1) out[(*o)++] = '/';
      if (*o + len + 1 > cap) return -ENAMETOOLONG;
      __builtin_memcpy(out + *o, s, len);
      *o += len;
    }
    s = e;
  }
  return 0;
}

int normalise(const char* base, const char* path, char* out, size_t cap) {
  size_t o = 1;
  out[0] = '/';
  int r = path[0] == '/' ? 0 : walk_components(base, out, &o, cap);
  if (r == 0) r = walk_components(path, out, &o, cap);
  out[o] = 0;
  return r;
}

// Finds the archive entry for an absolute path ("/" is the root directory).
bool find_entry(const char* abs, CpioEntry* found, uint32_t* ino) {
  CpioReader r;
  cpio_init(&r, archive, archive_size);
  CpioEntry e;
  uint32_t index = 1;
  while (archive && cpio_next(&r, &e, nullptr) == 1) {
    ++index;
    if (str_eq(e.name, abs + 1)) {
      *found = e;
      *ino = index;
      return true;
    }
  }
  return false;
}

Node* new_node(const char* abs, uint32_t mode, const uint8_t* data, uint32_t size, uint32_t ino) {
  auto* n = static_cast<Node*>(kmalloc(sizeof(Node)));
  if (!n) return nullptr;
  n->refs = 1;
  n->mode = mode;
  n->data = data;
  n->size = size;
  n->ino = ino;
  str_copy(n->path, abs, sizeof n->path);
  return n;
}

bool is_proc(const char* abs) { return str_starts_with(abs, "/proc/") && abs[6]; }

int lookup_abs(const char* abs, Node** out);

int lookup(Node* cwd, const char* path, Node** out) {
  char* abs = static_cast<char*>(kmalloc(QUARTZ_PATH_MAX));
  if (!abs) return -ENOMEM;
  int r = normalise(cwd ? cwd->path : "/", path, abs, QUARTZ_PATH_MAX);
  if (r == 0) r = lookup_abs(abs, out);
  kfree(abs);
  return r;
}

int lookup_abs(const char* abs, Node** out) {
  if (str_eq(abs, "/")) {
    node_get(&root);
    *out = &root;
    return 0;
  }
  if (str_eq(abs, "/dev/console")) {
    *out = new_node(abs, S_IFCHR | 0620, nullptr, 0, 2);
    return *out ? 0 : -ENOMEM;
  }
  if (str_eq(abs, "/proc") || str_eq(abs, "/dev")) {
    *out = new_node(abs, S_IFDIR | 0555, nullptr, 0, 3);
    return *out ? 0 : -ENOMEM;
  }
  if (is_proc(abs)) {
    *out = new_node(abs, S_IFREG | 0444, nullptr, 0, 4);
    return *out ? 0 : -ENOMEM;
  }
  CpioEntry e;
  uint32_t ino;
  if (!find_entry(abs, &e, &ino)) return -ENOENT;
  *out = new_node(abs, e.mode, e.type == CpioType::Regular ? e.data : nullptr, e.size, ino);
  return *out ? 0 : -ENOMEM;
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

long file_data_read(File* f, char* buf, size_t n) {
  const uint8_t* data = f->text ? reinterpret_cast<const uint8_t*>(f->text) : f->node->data;
  const size_t size = f->text ? f->text_len : f->node->size;
  if (f->pos >= size) return 0;
  const size_t k = size - f->pos < n ? size_t(size - f->pos) : n;
  __builtin_memcpy(buf, data + f->pos, k);
  f->pos += k;
  return long(k);
}

long no_write(File*, const char*, size_t) { return -EROFS; }

void put_dirent(char* buf, size_t* used, uint64_t ino, const char* name, uint8_t type, uint64_t next) {
  const size_t len = __builtin_strlen(name);
  const size_t reclen = (sizeof(quartz_dirent64) + len + 1 + 7) & ~size_t(7);
  auto* d = reinterpret_cast<quartz_dirent64*>(buf + *used);
  __builtin_memset(d, 0, reclen);
  d->d_ino = ino;
  d->d_off = int64_t(next);
  d->d_reclen = uint16_t(reclen);
  d->d_type = type;
  __builtin_memcpy(d->d_name, name, len + 1);
  *used += reclen;
}

// Directory listing from the archive: the entries whose parent is this directory. f->pos
// counts the entries already returned.
long dir_getdents(File* f, char* buf, size_t n) {
  const char* dir = f->node->path;
  const size_t dlen = str_eq(dir, "/") ? 0 : __builtin_strlen(dir + 1);
  size_t used = 0;
  uint64_t index = 0;
  auto offer = [&](uint64_t ino, const char* name, uint8_t type) {
    const size_t reclen = (sizeof(quartz_dirent64) + __builtin_strlen(name) + 1 + 7) & ~size_t(7);
    if (index++ < f->pos) return true;
    if (used + reclen > n) return false;
    put_dirent(buf, &used, ino, name, type, index);
    f->pos = index;
    return true;
  };
  if (!offer(f->node->ino, ".", DT_DIR) || !offer(1, "..", DT_DIR)) return used ? long(used) : -EINVAL;
  CpioReader r;
  cpio_init(&r, archive, archive_size);
  CpioEntry e;
  uint32_t ino = 1;
  while (archive && cpio_next(&r, &e, nullptr) == 1) {
    ++ino;
    if (!e.name[0]) continue;
    if (dlen && (!str_starts_with(e.name, dir + 1) || e.name[dlen] != '/')) continue;
    const char* rest = dlen ? e.name + dlen + 1 : e.name;
    bool nested = false;
    for (const char* s = rest; *s; ++s) nested |= *s == '/';
    if (nested || !*rest) continue;
    if (!offer(ino, rest, e.type == CpioType::Directory ? DT_DIR : DT_REG))
      return used ? long(used) : -EINVAL;
  }
  return long(used);
}

const FileOps kConsoleOps{console_read, console_write_op, nullptr, nullptr, false};
const FileOps kDataOps{file_data_read, no_write, nullptr, nullptr, true};
const FileOps kDirOps{nullptr, no_write, dir_getdents, nullptr, false};

File* new_file(const FileOps* ops, Node* node, int flags) {
  File* f = new (static_cast<File*>(kzalloc(sizeof(File)))) File;
  if (!f) return nullptr;
  f->ops = ops;
  f->node = node;
  f->flags = flags;
  return f;
}

void fill_stat(const Node* n, quartz_stat64* st) {
  __builtin_memset(st, 0, sizeof *st);
  st->st_mode = n->mode;
  st->st_nlink = 1;
  st->st_size = n->size;
  st->st_blksize = 4096;
  st->st_blocks = (n->size + 511) / 512;
  st->st_ino = n->ino;
  st->__st_ino = n->ino;
}

}  // namespace

void vfs_init(const uint8_t* initramfs, size_t size) {
  archive = initramfs;
  archive_size = size;
  if (!initramfs) return;
  CpioReader r;
  cpio_init(&r, initramfs, size);
  CpioEntry e;
  CpioError err;
  size_t files = 0, bytes = 0;
  int rc;
  while ((rc = cpio_next(&r, &e, &err)) == 1) {
    ++files;
    bytes += e.size;
  }
  if (rc < 0) {
    kprintf("initramfs: refused: %s\n", err.msg);
    archive = nullptr;
    archive_size = 0;
    return;
  }
  kprintf("initramfs: %u entries, %u KiB\n", unsigned(files), unsigned(bytes / 1024));
}

Node* vfs_root() { return &root; }
void node_get(Node* n) {
  if (n) __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}
void node_put(Node* n) {
  if (n && __atomic_sub_fetch(&n->refs, 1, __ATOMIC_RELAXED) == 0 && n != &root) kfree(n);
}

int vfs_open(Node* cwd, const char* path, int flags, File** out) {
  Node* n = nullptr;
  int r = lookup(cwd, path, &n);
  if (r < 0) return (flags & O_CREAT) && r == -ENOENT ? -EROFS : r;
  if ((flags & O_CREAT) && (flags & O_EXCL)) r = -EEXIST;
  const bool dir = S_ISDIR(n->mode);
  if (r == 0 && (flags & O_DIRECTORY) && !dir) r = -ENOTDIR;
  if (r == 0 && dir && (flags & O_ACCMODE) != O_RDONLY) r = -EISDIR;
  if (r == 0 && !S_ISCHR(n->mode) && (flags & (O_ACCMODE | O_TRUNC)) != O_RDONLY) r = -EROFS;
  if (r < 0) {
    node_put(n);
    return r;
  }
  const FileOps* ops = S_ISCHR(n->mode) ? &kConsoleOps : dir ? &kDirOps : &kDataOps;
  File* f = new_file(ops, n, flags);
  if (!f) {
    node_put(n);
    return -ENOMEM;
  }
  if (is_proc(n->path)) {
    f->text = static_cast<char*>(kmalloc(kProcText));
    const int rc = f->text ? proc_read_into(n->path + 6, f->text, kProcText, &f->text_len) : 2;
    if (rc != 0) {
      file_put(f);
      return rc == 1 ? -ENOENT : f->text ? -EIO : -ENOMEM;
    }
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
  if (f->ops->release) f->ops->release(f);
  node_put(f->node);
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
  const int64_t size = f->text ? int64_t(f->text_len) : int64_t(f->node->size);
  int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? int64_t(f->pos) : size;
  if (whence < SEEK_SET || whence > SEEK_END) return -EINVAL;
  if (base + off < 0 || base + off > 0x7fffffff) return -EINVAL;
  f->pos = uint64_t(base + off);
  return long(f->pos);
}

int file_stat(File* f, quartz_stat64* st) {
  fill_stat(f->node, st);
  if (f->text) st->st_size = f->text_len;
  return 0;
}

int vfs_stat(Node* cwd, const char* path, quartz_stat64* st) {
  Node* n = nullptr;
  const int r = lookup(cwd, path, &n);
  if (r < 0) return r;
  fill_stat(n, st);
  node_put(n);
  return 0;
}

int vfs_chdir(Node* cwd, const char* path, Node** dir) {
  Node* n = nullptr;
  const int r = lookup(cwd, path, &n);
  if (r < 0) return r;
  if (!S_ISDIR(n->mode)) {
    node_put(n);
    return -ENOTDIR;
  }
  *dir = n;
  return 0;
}

int vfs_getcwd(Node* cwd, char* buf, size_t n) {
  const char* p = cwd ? cwd->path : "/";
  const size_t len = __builtin_strlen(p) + 1;
  if (len > n) return -ERANGE;
  __builtin_memcpy(buf, p, len);
  return int(len);
}

int vfs_mkdir(Node* cwd, const char* path) {
  Node* n = nullptr;
  const int r = lookup(cwd, path, &n);
  if (r == 0) node_put(n);
  return r == 0 ? -EEXIST : r == -ENOENT ? -EROFS : r;
}

int vfs_unlink(Node* cwd, const char* path) {
  Node* n = nullptr;
  const int r = lookup(cwd, path, &n);
  if (r < 0) return r;
  const bool dir = S_ISDIR(n->mode);
  node_put(n);
  return dir ? -EISDIR : -EROFS;
}

int vfs_read_whole(Node* cwd, const char* path, size_t max, uint8_t** data, size_t* size) {
  Node* n = nullptr;
  int r = lookup(cwd, path, &n);
  if (r < 0) return r;
  if (S_ISDIR(n->mode)) r = -EACCES;
  else if (!S_ISREG(n->mode) || !n->data) r = -EACCES;
  else if (n->size > max) r = -EFBIG;
  uint8_t* buf = nullptr;
  if (r == 0) {
    buf = static_cast<uint8_t*>(kmalloc(n->size ? n->size : 1));
    if (!buf) r = -ENOMEM;
    else __builtin_memcpy(buf, n->data, n->size);
  }
  if (r == 0) {
    *data = buf;
    *size = n->size;
  }
  node_put(n);
  return r;
}

size_t vfs_bytes_in_use() { return 0; }

}  // namespace quartz
