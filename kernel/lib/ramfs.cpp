// The in-memory file system of ramfs.h: nodes, path walks, file data, directory listing.
#include "kernel/lib/ramfs.h"

#include <cstdarg>

#include "kernel/lib/format.h"
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {

constexpr uint32_t kPermBits = 07777;
constexpr uint32_t kDirentHeader = 19;  // offsetof(struct quartz_dirent64, d_name)
constexpr uint64_t kFirstChildPos = 2;  // 0 is ".", 1 is ".."
constexpr uint32_t kMinCapacity = 64;

// ---- memory, counted ----

void* fs_alloc(Ramfs* fs, size_t bytes, int* err) {
  if (fs->max_bytes != 0 && bytes > fs->max_bytes - fs->bytes_in_use) {
    *err = -ENOSPC;
    return nullptr;
  }
  void* p = fs->allocator.alloc(fs->allocator.ctx, bytes);
  if (p == nullptr) {
    *err = -ENOMEM;
    return nullptr;
  }
  fs->bytes_in_use += bytes;
  return p;
}

void fs_free(Ramfs* fs, void* p, size_t bytes) {
  if (p == nullptr) return;
  fs->allocator.free(fs->allocator.ctx, p);
  fs->bytes_in_use -= bytes;
}

size_t node_bytes(const RamfsNode* n) { return sizeof(RamfsNode) + n->name_len + 1; }

int new_node(Ramfs* fs, RamfsType type, uint32_t mode, const char* name, size_t len,
             RamfsNode** out) {
  int err = 0;
  void* mem = fs_alloc(fs, sizeof(RamfsNode) + len + 1, &err);
  if (mem == nullptr) return err;
  RamfsNode* n = static_cast<RamfsNode*>(mem);
  __builtin_memset(n, 0, sizeof *n);
  n->type = type;
  n->ino = fs->next_ino++;
  n->mode = mode;
  n->next_pos = kFirstChildPos;
  n->name = reinterpret_cast<char*>(n + 1);
  n->name_len = static_cast<uint32_t>(len);
  __builtin_memcpy(n->name, name, len);
  n->name[len] = '\0';
  ++fs->nodes;
  *out = n;
  return 0;
}

void free_node(Ramfs* fs, RamfsNode* n) {
  fs_free(fs, n->data, n->capacity);
  --fs->nodes;
  fs_free(fs, n, node_bytes(n));
}

// ---- directories ----

RamfsNode* find_child(const RamfsNode* dir, const char* name, size_t len) {
  for (RamfsNode* c = dir->first_child; c != nullptr; c = c->next)
    if (c->name_len == len && __builtin_memcmp(c->name, name, len) == 0) return c;
  return nullptr;
}

void attach(RamfsNode* dir, RamfsNode* n) {
  n->parent = dir;
  n->pos = dir->next_pos++;
  n->prev = dir->last_child;
  n->next = nullptr;
  if (dir->last_child != nullptr)
    dir->last_child->next = n;
  else
    dir->first_child = n;
  dir->last_child = n;
  n->nlink = n->type == RamfsType::Directory ? 2 : 1;
  if (n->type == RamfsType::Directory) ++dir->nlink;
  n->writable = dir->writable;
}

void detach(RamfsNode* n) {
  RamfsNode* dir = n->parent;
  if (n->prev != nullptr)
    n->prev->next = n->next;
  else
    dir->first_child = n->next;
  if (n->next != nullptr)
    n->next->prev = n->prev;
  else
    dir->last_child = n->prev;
  if (n->type == RamfsType::Directory) --dir->nlink;
  n->parent = n->next = n->prev = nullptr;
  n->nlink = 0;
}

// Creates name in dir (which has no entry of that name). Ignores the marks.
int create_in(Ramfs* fs, RamfsNode* dir, const char* name, size_t len, RamfsType type,
              uint32_t mode, RamfsNode** out) {
  uint32_t fmt = type == RamfsType::Directory ? S_IFDIR : type == RamfsType::Regular ? S_IFREG : 0;
  if (type == RamfsType::Special) {
    mode &= S_IFMT | kPermBits;
  } else {
    mode = fmt | (mode & kPermBits);
  }
  RamfsNode* n;
  if (int r = new_node(fs, type, mode, name, len, &n); r != 0) return r;
  attach(dir, n);
  *out = n;
  return 0;
}

// ---- path walks ----

struct Walk {
  RamfsNode* dir = nullptr;    // the directory holding the last component
  const char* last = nullptr;  // the last component, not terminated (null if none: "/")
  size_t last_len = 0;
  bool dots = false;            // the last component is "." or ".."
  bool trailing_slash = false;  // a '/' follows the last component
  RamfsNode* node = nullptr;    // what the path names, null if the last component is missing
};

bool is_dot(const char* c, size_t n) { return n == 1 && c[0] == '.'; }
bool is_dotdot(const char* c, size_t n) { return n == 2 && c[0] == '.' && c[1] == '.'; }

// The entry c of directory dir: itself, its parent, a child, or null.
RamfsNode* step(RamfsNode* dir, const char* c, size_t n) {
  if (is_dot(c, n)) return dir;
  if (is_dotdot(c, n)) return dir->parent != nullptr ? dir->parent : dir;
  return find_child(dir, c, n);
}

int walk(Ramfs* fs, RamfsNode* cwd, const char* path, Walk* w) {
  size_t len = 0;
  while (path[len] != '\0') {
    if (++len >= QUARTZ_PATH_MAX) return -ENAMETOOLONG;
  }
  if (len == 0) return -ENOENT;
  RamfsNode* cur = path[0] == '/' || cwd == nullptr ? fs->root : cwd;
  w->node = cur;
  w->dir = cur->parent != nullptr ? cur->parent : cur;
  size_t i = 0;
  for (;;) {
    while (path[i] == '/') ++i;
    if (path[i] == '\0') return 0;  // "/" or only slashes after the last component
    size_t start = i;
    while (path[i] != '\0' && path[i] != '/') ++i;
    const char* c = path + start;
    size_t n = i - start;
    size_t after = i;
    while (path[after] == '/') ++after;
    bool last = path[after] == '\0';
    if (cur->type != RamfsType::Directory) return -ENOTDIR;
    if (n > QUARTZ_NAME_MAX) return -ENAMETOOLONG;
    RamfsNode* next = step(cur, c, n);
    if (last) {
      w->dir = cur;
      w->last = c;
      w->last_len = n;
      w->dots = is_dot(c, n) || is_dotdot(c, n);
      w->trailing_slash = after != i;
      w->node = next;
      return 0;
    }
    if (next == nullptr) return -ENOENT;
    cur = next;
  }
}

// The node the whole path names (the lookup of ramfs_lookup).
int resolve(Ramfs* fs, RamfsNode* cwd, const char* path, RamfsNode** out) {
  Walk w;
  if (int r = walk(fs, cwd, path, &w); r != 0) return r;
  if (w.node == nullptr) return -ENOENT;
  if (w.trailing_slash && w.node->type != RamfsType::Directory) return -ENOTDIR;
  *out = w.node;
  return 0;
}

// ---- file data ----

int reserve(Ramfs* fs, RamfsNode* n, uint32_t needed) {
  if (needed <= n->capacity) return 0;
  uint64_t cap = n->capacity < kMinCapacity ? kMinCapacity : n->capacity;
  while (cap < needed) cap *= 2;
  if (cap > kRamfsMaxFileSize) cap = needed;
  int err = 0;
  uint8_t* data = static_cast<uint8_t*>(fs_alloc(fs, cap, &err));
  if (data == nullptr) return err;
  if (n->size != 0) __builtin_memcpy(data, n->data, n->size);
  fs_free(fs, n->data, n->capacity);
  n->data = data;
  n->capacity = static_cast<uint32_t>(cap);
  return 0;
}

// Writes without looking at the marks (the loader's and ramfs_write's common part).
int32_t write_data(Ramfs* fs, RamfsNode* n, uint64_t offset, const void* buf, uint32_t len) {
  if (offset >= kRamfsMaxFileSize) return len == 0 ? 0 : -EFBIG;
  if (len == 0) return 0;
  uint32_t off = static_cast<uint32_t>(offset);
  if (len > kRamfsMaxFileSize - off) len = kRamfsMaxFileSize - off;
  uint32_t end = off + len;
  if (int r = reserve(fs, n, end); r != 0) return r;
  if (off > n->size) __builtin_memset(n->data + n->size, 0, off - n->size);
  __builtin_memcpy(n->data + off, buf, len);
  if (end > n->size) n->size = end;
  return static_cast<int32_t>(len);
}

void drop_data(Ramfs* fs, RamfsNode* n) {
  fs_free(fs, n->data, n->capacity);
  n->data = nullptr;
  n->capacity = 0;
  n->size = 0;
}

uint8_t dirent_type(const RamfsNode* n) {
  switch (n->mode & S_IFMT) {
    case S_IFDIR:
      return DT_DIR;
    case S_IFREG:
      return DT_REG;
    case S_IFCHR:
      return DT_CHR;
    default:
      return DT_UNKNOWN;
  }
}

// ---- the loader's helpers ----

int load_fail(CpioError* err, int code, const CpioEntry& e, const char* why) {
  if (err != nullptr) {
    snformat(err->msg, sizeof err->msg, "cpio offset %zu: \"%.48s\": %s", e.offset, e.name, why);
    make_printable(err->msg);
  }
  return code;
}

const char* errno_text(int code) {
  switch (code) {
    case -ENOSPC:
      return "no space left in the file system (ENOSPC)";
    case -ENOMEM:
      return "out of memory (ENOMEM)";
    case -EFBIG:
      return "file larger than the file size limit (EFBIG)";
    default:
      return "cannot create it";
  }
}

// The directory that holds entry name[0, len): walks and creates the parents (mode 0755).
int parent_dir(Ramfs* fs, const char* name, size_t len, RamfsNode** dir, size_t* last) {
  RamfsNode* cur = fs->root;
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    if (name[i] != '/') continue;
    RamfsNode* next = find_child(cur, name + start, i - start);
    if (next == nullptr) {
      if (int r = create_in(fs, cur, name + start, i - start, RamfsType::Directory, 0755, &next);
          r != 0)
        return r;
    } else if (next->type != RamfsType::Directory) {
      return -ENOTDIR;
    }
    cur = next;
    start = i + 1;
  }
  *dir = cur;
  *last = start;
  return 0;
}

int load_entry(Ramfs* fs, const CpioEntry& e, RamfsLoadStats* st, CpioError* err) {
  if (e.type == CpioType::Other) {
    ++st->skipped;
    return 0;
  }
  if (e.name_len == 0) {  // the root
    fs->root->mode = S_IFDIR | (e.mode & kPermBits);
    ++st->directories;
    return 0;
  }
  RamfsNode* dir;
  size_t last;
  if (int r = parent_dir(fs, e.name, e.name_len, &dir, &last); r != 0)
    return load_fail(err, r, e, r == -ENOTDIR ? "a parent is not a directory" : errno_text(r));
  const char* leaf = e.name + last;
  size_t leaf_len = e.name_len - last;
  RamfsNode* n = find_child(dir, leaf, leaf_len);
  if (e.type == CpioType::Directory) {
    if (n != nullptr && n->type != RamfsType::Directory)
      return load_fail(err, -EEXIST, e, "a directory where a file already is");
    if (n == nullptr) {
      if (int r = create_in(fs, dir, leaf, leaf_len, RamfsType::Directory, e.mode, &n); r != 0)
        return load_fail(err, r, e, errno_text(r));
    }
    n->mode = S_IFDIR | (e.mode & kPermBits);
    ++st->directories;
    return 0;
  }
  if (n != nullptr && n->type != RamfsType::Regular)
    return load_fail(err, -EEXIST, e, "a file where a directory or special node already is");
  bool created = n == nullptr;
  if (created) {
    if (int r = create_in(fs, dir, leaf, leaf_len, RamfsType::Regular, e.mode, &n); r != 0)
      return load_fail(err, r, e, errno_text(r));
  } else {
    drop_data(fs, n);
    n->mode = S_IFREG | (e.mode & kPermBits);
  }
  int32_t w = write_data(fs, n, 0, e.data, e.size);
  if (w < 0 || static_cast<uint32_t>(w) != e.size) {
    int r = w < 0 ? w : -EFBIG;
    if (created) {
      detach(n);
      free_node(fs, n);
    }
    return load_fail(err, r, e, errno_text(r));
  }
  ++st->files;
  st->bytes += e.size;
  return 0;
}

}  // namespace

int ramfs_init(Ramfs* fs, const RamfsAllocator& allocator, size_t max_bytes) {
  *fs = Ramfs{};
  fs->allocator = allocator;
  fs->max_bytes = max_bytes;
  RamfsNode* root;
  if (int r = new_node(fs, RamfsType::Directory, S_IFDIR | 0755, "", 0, &root); r != 0) return r;
  root->nlink = 2;
  fs->root = root;
  return 0;
}

void ramfs_destroy(Ramfs* fs) {
  // Post-order without recursion: descend to a leaf, free it, go back up.
  RamfsNode* n = fs->root;
  while (n != nullptr) {
    if (n->first_child != nullptr) {
      n = n->first_child;
      continue;
    }
    RamfsNode* parent = n->parent;
    if (parent != nullptr) detach(n);
    free_node(fs, n);
    n = parent;
  }
  while (fs->orphans != nullptr) {
    RamfsNode* o = fs->orphans;
    fs->orphans = o->next;
    free_node(fs, o);
  }
  fs->root = nullptr;
}

int ramfs_lookup(Ramfs* fs, RamfsNode* cwd, const char* path, RamfsNode** out) {
  return resolve(fs, cwd, path, out);
}

int ramfs_open(Ramfs* fs, RamfsNode* cwd, const char* path, uint32_t flags, uint32_t mode,
               RamfsNode** out) {
  Walk w;
  if (int r = walk(fs, cwd, path, &w); r != 0) return r;
  RamfsNode* n = w.node;
  bool writing = (flags & O_ACCMODE) != O_RDONLY;
  if (n == nullptr) {
    if ((flags & O_CREAT) == 0) return -ENOENT;
    if (w.trailing_slash) return -EISDIR;
    if (!w.dir->writable) return -EROFS;
    if (int r = create_in(fs, w.dir, w.last, w.last_len, RamfsType::Regular, mode, &n); r != 0)
      return r;
  } else {
    if ((flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) return -EEXIST;
    if (n->type == RamfsType::Directory) {
      if ((flags & O_CREAT) != 0 || writing || (flags & O_TRUNC) != 0) return -EISDIR;
    } else {
      if (w.trailing_slash || (flags & O_DIRECTORY) != 0) return -ENOTDIR;
      if (n->type == RamfsType::Regular) {
        if ((writing || (flags & O_TRUNC) != 0) && !n->writable) return -EROFS;
        if ((flags & O_TRUNC) != 0) drop_data(fs, n);
      }
    }
  }
  ++n->open_count;
  *out = n;
  return 0;
}

void ramfs_ref(RamfsNode* n) { ++n->open_count; }

void ramfs_close(Ramfs* fs, RamfsNode* n) {
  if (n->open_count == 0) return;
  if (--n->open_count != 0 || n->nlink != 0 || n == fs->root) return;
  // The last reference to an unlinked node: take it off the orphan list and free it.
  RamfsNode** link = &fs->orphans;
  while (*link != nullptr && *link != n) link = &(*link)->next;
  if (*link == n) *link = n->next;
  free_node(fs, n);
}

int ramfs_mkdir(Ramfs* fs, RamfsNode* cwd, const char* path, uint32_t mode, bool kernel) {
  Walk w;
  if (int r = walk(fs, cwd, path, &w); r != 0) return r;
  if (w.node != nullptr) return -EEXIST;
  if (!kernel && !w.dir->writable) return -EROFS;
  RamfsNode* n;
  return create_in(fs, w.dir, w.last, w.last_len, RamfsType::Directory, mode, &n);
}

int ramfs_unlink(Ramfs* fs, RamfsNode* cwd, const char* path) {
  Walk w;
  if (int r = walk(fs, cwd, path, &w); r != 0) return r;
  if (w.last == nullptr || w.dots) return -EISDIR;
  if (!w.dir->writable) return -EROFS;
  RamfsNode* n = w.node;
  if (n == nullptr) return -ENOENT;
  if (n->type == RamfsType::Directory) return -EISDIR;
  if (w.trailing_slash) return -ENOTDIR;
  detach(n);
  if (n->open_count == 0) {
    free_node(fs, n);
  } else {
    n->next = fs->orphans;
    fs->orphans = n;
  }
  return 0;
}

int ramfs_add_special(Ramfs* fs, RamfsNode* cwd, const char* path, uint32_t mode, int kind,
                      void* ptr, RamfsNode** out) {
  Walk w;
  if (int r = walk(fs, cwd, path, &w); r != 0) return r;
  if (w.node != nullptr) return -EEXIST;
  if (w.trailing_slash) return -ENOTDIR;
  RamfsNode* n;
  if (int r = create_in(fs, w.dir, w.last, w.last_len, RamfsType::Special, mode, &n); r != 0)
    return r;
  n->special_kind = kind;
  n->special_ptr = ptr;
  if (out != nullptr) *out = n;
  return 0;
}

void ramfs_set_writable(RamfsNode* dir, bool writable) { dir->writable = writable; }

int32_t ramfs_read(const RamfsNode* n, uint64_t offset, void* buf, uint32_t len) {
  if (n->type == RamfsType::Directory) return -EISDIR;
  if (n->type != RamfsType::Regular) return -EINVAL;
  if (offset >= n->size) return 0;
  uint32_t off = static_cast<uint32_t>(offset);
  if (len > n->size - off) len = n->size - off;
  if (len != 0) __builtin_memcpy(buf, n->data + off, len);
  return static_cast<int32_t>(len);
}

int32_t ramfs_write(Ramfs* fs, RamfsNode* n, uint64_t offset, const void* buf, uint32_t len) {
  if (n->type == RamfsType::Directory) return -EISDIR;
  if (n->type != RamfsType::Regular) return -EINVAL;
  if (!n->writable) return -EROFS;
  return write_data(fs, n, offset, buf, len);
}

int ramfs_truncate(Ramfs* fs, RamfsNode* n) {
  if (n->type == RamfsType::Directory) return -EISDIR;
  if (n->type != RamfsType::Regular) return 0;
  if (!n->writable) return -EROFS;
  drop_data(fs, n);
  return 0;
}

uint32_t ramfs_put_dirent(void* buf, uint32_t room, uint64_t ino, int64_t next, uint8_t type,
                          const char* name, uint32_t name_len) {
  const uint32_t reclen = (kDirentHeader + name_len + 1 + 7) & ~7u;
  if (reclen > room) return 0;
  uint8_t* rec = static_cast<uint8_t*>(buf);
  __builtin_memset(rec, 0, reclen);
  const uint16_t rl = static_cast<uint16_t>(reclen);
  __builtin_memcpy(rec + 0, &ino, 8);
  __builtin_memcpy(rec + 8, &next, 8);
  __builtin_memcpy(rec + 16, &rl, 2);
  rec[18] = type;
  __builtin_memcpy(rec + kDirentHeader, name, name_len);
  return reclen;
}

int32_t ramfs_getdents(const RamfsNode* dir, uint64_t* cookie, void* buf, uint32_t len) {
  if (dir->type != RamfsType::Directory) return -ENOTDIR;
  uint8_t* out = static_cast<uint8_t*>(buf);
  uint32_t used = 0;
  const RamfsNode* child = dir->first_child;
  while (child != nullptr && child->pos < *cookie) child = child->next;
  for (;;) {
    // The entry at the cookie: ".", "..", or the next child.
    const RamfsNode* n;
    const char* name;
    uint32_t name_len;
    uint64_t pos;
    if (*cookie == 0) {
      n = dir, name = ".", name_len = 1, pos = 0;
    } else if (*cookie == 1) {
      n = dir->parent != nullptr ? dir->parent : dir, name = "..", name_len = 2, pos = 1;
    } else if (child != nullptr) {
      n = child, name = child->name, name_len = child->name_len, pos = child->pos;
    } else {
      return static_cast<int32_t>(used);
    }
    const uint32_t reclen =
        ramfs_put_dirent(out + used, len - used, n->ino, static_cast<int64_t>(pos + 1),
                         dirent_type(n), name, name_len);
    if (reclen == 0) {
      if (used == 0) return -EINVAL;
      return static_cast<int32_t>(used);
    }
    used += reclen;
    *cookie = pos + 1;
    if (pos >= kFirstChildPos) child = child->next;
  }
}

void ramfs_stat(const RamfsNode* n, quartz_stat64* st) {
  __builtin_memset(st, 0, sizeof *st);
  st->st_dev = kRamfsDev;
  st->__st_ino = n->ino;
  st->st_ino = n->ino;
  st->st_mode = n->mode;
  st->st_nlink = n->nlink;
  st->st_size = n->type == RamfsType::Regular ? n->size : 0;
  st->st_blksize = kRamfsBlockSize;
  st->st_blocks = (uint64_t{n->capacity} + 511) / 512;
}

int ramfs_path(const RamfsNode* n, char* buf, size_t cap) {
  if (n->nlink == 0) return -ENOENT;
  size_t len = 0;
  for (const RamfsNode* p = n; p->parent != nullptr; p = p->parent) len += 1 + p->name_len;
  if (len == 0) len = 1;  // "/"
  if (len + 1 > cap) return -ERANGE;
  buf[len] = '\0';
  buf[0] = '/';
  size_t end = len;
  for (const RamfsNode* p = n; p->parent != nullptr; p = p->parent) {
    end -= p->name_len;
    __builtin_memcpy(buf + end, p->name, p->name_len);
    buf[--end] = '/';
  }
  return static_cast<int>(len + 1);
}

int ramfs_load_cpio(Ramfs* fs, const uint8_t* archive, size_t size, RamfsLoadStats* stats,
                    CpioError* err) {
  RamfsLoadStats local;
  RamfsLoadStats* st = stats != nullptr ? stats : &local;
  *st = RamfsLoadStats{};
  CpioReader reader;
  CpioEntry e;
  // Pass 1: the whole archive is well-formed, or nothing changes.
  cpio_init(&reader, archive, size);
  int r;
  while ((r = cpio_next(&reader, &e, err)) == 1) {
  }
  if (r < 0) return r;
  // Pass 2: load.
  cpio_init(&reader, archive, size);
  while (cpio_next(&reader, &e, err) == 1) {
    if (int lr = load_entry(fs, e, st, err); lr != 0) return lr;
  }
  return 0;
}

}  // namespace quartz
