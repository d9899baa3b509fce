// A small in-memory file system (the root file system of user space): directories, regular
// files and "special" nodes the kernel gives a meaning (/dev/console, /proc entries), with
// path lookup, the file operations behind open/read/write/mkdir/unlink/getdents64/stat64/
// getcwd, and loading of a whole initramfs (cpio.h).
//
// Contract:
//   - Callers: the kernel's system calls (thread context) and host tests. No locking
//     inside: the caller serialises every call on one Ramfs (one lock around the file
//     system). Nothing here sleeps; every function uses well under 1 KiB of stack and
//     none recurses.
//   - All memory comes from the RamfsAllocator hooks (kmalloc/kfree in the kernel, a
//     counting malloc in the host tests). bytes_in_use counts the bytes held through them;
//     max_bytes (0: no cap) bounds it. An operation that would pass the cap fails with
//     -ENOSPC, one whose allocation the hook refuses with -ENOMEM; either way nothing has
//     changed. ramfs_destroy frees everything, bringing bytes_in_use back to 0.
//   - Functions return 0 (or a count) or a negative errno. Paths are kernel strings
//     (already copied from user space), absolute or relative to cwd (null cwd: the root).
//     Lookup follows Linux: repeated slashes count as one, "." is the directory itself,
//     ".." its parent ("/.." is "/"); -ENOENT for a missing component or an empty path,
//     -ENOTDIR when a non-directory is walked through (or named with a trailing slash),
//     -ENAMETOOLONG for a component over QUARTZ_NAME_MAX bytes or a path of
//     QUARTZ_PATH_MAX bytes or more.
//   - Writability: a directory marked writable (ramfs_set_writable) allows create, mkdir
//     and unlink inside it; what is created inside inherits the mark, so a file is
//     writable when it was created in a writable directory. Anywhere else these, and write
//     or truncate of a file, return -EROFS. Loading an archive and ramfs_add_special are
//     the kernel's own doing and ignore the marks. The root starts read-only.
//   - Lifetime: nodes are never moved. A regular file or special node removed by
//     ramfs_unlink while open (open_count > 0) stays usable through its open references
//     and is freed at the last ramfs_close. Directories are never removed (there is no
//     rmdir), so a cwd pointer stays valid until ramfs_destroy.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/cpio.h"

struct quartz_stat64;

namespace quartz {

// A regular file grows to at most this size: write beyond it returns -EFBIG.
inline constexpr uint32_t kRamfsMaxFileSize = 64u << 20;
// st_dev of every node, and st_blksize.
inline constexpr uint32_t kRamfsDev = 1;
inline constexpr uint32_t kRamfsBlockSize = 4096;

struct RamfsAllocator {
  void* (*alloc)(void* ctx, size_t bytes);  // null when out of memory
  void (*free)(void* ctx, void* p);
  void* ctx;
};

enum class RamfsType : uint8_t { Directory, Regular, Special };

// Callers read the fields marked (read); the others belong to ramfs.cpp.
struct RamfsNode {
  RamfsType type;       // (read)
  bool writable;        // (read) see the contract; change with ramfs_set_writable
  uint32_t ino;         // (read) unique in the file system, never reused; the root's is 1
  uint32_t mode;        // (read) S_IFMT type bits | permission bits
  uint32_t nlink;       // (read) 0 once unlinked; a directory's is 2 + its subdirectories
  uint32_t open_count;  // (read) references taken by ramfs_open / ramfs_ref
  uint32_t size;        // (read) regular files: bytes of data
  int special_kind;     // (read) special nodes: what ramfs_add_special was given
  void* special_ptr;    // (read)
  // Tree links: parent is null for the root and for unlinked nodes.
  RamfsNode* parent;
  RamfsNode* first_child;
  RamfsNode* last_child;
  RamfsNode* next;
  RamfsNode* prev;
  uint64_t pos;       // this entry's getdents64 position in its parent
  uint64_t next_pos;  // directories: the position the next new entry gets
  uint8_t* data;      // regular files: capacity bytes, size of them in use
  uint32_t capacity;
  uint32_t name_len;
  char* name;  // NUL-terminated, stored after the node in the same allocation
};

struct Ramfs {
  RamfsAllocator allocator{};
  RamfsNode* root = nullptr;
  size_t bytes_in_use = 0;  // bytes held through the allocator
  size_t max_bytes = 0;     // cap on bytes_in_use, 0 for none
  uint32_t next_ino = 1;
  uint32_t nodes = 0;            // live nodes, orphans included
  RamfsNode* orphans = nullptr;  // unlinked while open, linked through next
};

// An empty file system: a read-only root directory (mode 0755). -ENOMEM/-ENOSPC.
int ramfs_init(Ramfs* fs, const RamfsAllocator& allocator, size_t max_bytes = 0);
// Frees every node, open or not. The Ramfs may be initialised again.
void ramfs_destroy(Ramfs* fs);

// The node path names. Takes no reference.
int ramfs_lookup(Ramfs* fs, RamfsNode* cwd, const char* path, RamfsNode** out);

// open(2)'s part in the file system. flags: O_ACCMODE, O_CREAT (create a regular file with
// mode & 07777 when missing), O_EXCL (with O_CREAT: -EEXIST if it exists), O_TRUNC
// (truncate a regular file), O_DIRECTORY (-ENOTDIR unless a directory); others are the
// caller's. A directory opened for writing, with O_TRUNC or O_CREAT gives -EISDIR; a
// read-only file opened for writing or O_TRUNC gives -EROFS. On success takes one open
// reference (release with ramfs_close) and sets *out.
int ramfs_open(Ramfs* fs, RamfsNode* cwd, const char* path, uint32_t flags, uint32_t mode,
               RamfsNode** out);
// Another open reference to n (a duplicated open file), and the release of one: the last
// release of an unlinked node frees it.
void ramfs_ref(RamfsNode* n);
void ramfs_close(Ramfs* fs, RamfsNode* n);

// mkdir(2): a directory with mode & 07777. -EEXIST if the path names anything (including
// "/", "." and ".."); -EROFS in a read-only directory unless kernel is true.
int ramfs_mkdir(Ramfs* fs, RamfsNode* cwd, const char* path, uint32_t mode, bool kernel = false);
// unlink(2): removes a regular file or special node. -EISDIR for a directory (and "/",
// ".", ".."), -EROFS in a read-only directory, -ENOENT if missing.
int ramfs_unlink(Ramfs* fs, RamfsNode* cwd, const char* path);
// A special node for the kernel (mode: its S_IFMT bits and permissions, e.g. S_IFCHR |
// 0620), whatever the marks; its directory must exist. -EEXIST if the name is taken.
int ramfs_add_special(Ramfs* fs, RamfsNode* cwd, const char* path, uint32_t mode, int kind,
                      void* ptr, RamfsNode** out);

// Marks a directory (and what will be created in it) writable or read-only.
void ramfs_set_writable(RamfsNode* dir, bool writable);

// Bytes read at offset (0 at or past the end). -EISDIR for a directory, -EINVAL for a
// special node (the caller handles those itself).
int32_t ramfs_read(const RamfsNode* n, uint64_t offset, void* buf, uint32_t len);
// Bytes written at offset, growing the file (a hole reads as zeros). Stops at
// kRamfsMaxFileSize (a short count), -EFBIG if offset is already there. -EROFS, -EISDIR,
// -EINVAL (special), -ENOSPC, -ENOMEM: then the file is unchanged.
int32_t ramfs_write(Ramfs* fs, RamfsNode* n, uint64_t offset, const void* buf, uint32_t len);
// Truncates a regular file to 0 bytes (a special node: nothing to do). -EROFS, -EISDIR.
int ramfs_truncate(Ramfs* fs, RamfsNode* n);

// getdents64(2): fills buf with struct quartz_dirent64 records (8-byte aligned d_reclen),
// ".", ".." then the entries in creation order, starting at position *cookie (0 at the
// start) and advancing it. Returns the bytes written, 0 at the end, -EINVAL if buf cannot
// hold the next record, -ENOTDIR. Entries added or removed between calls do not make
// others repeat or go missing.
int32_t ramfs_getdents(const RamfsNode* dir, uint64_t* cookie, void* buf, uint32_t len);
// One such record (for entries that are not nodes of the tree, e.g. /proc's table): the
// record's length, or 0 if it needs more than room bytes.
uint32_t ramfs_put_dirent(void* buf, uint32_t room, uint64_t ino, int64_t next, uint8_t type,
                          const char* name, uint32_t name_len);

// stat64(2)'s answer for n (times are 0: Quartz has no clock of dates).
void ramfs_stat(const RamfsNode* n, quartz_stat64* st);

// The absolute path of n ("/" for the root), NUL-terminated, for getcwd(2): returns the
// bytes written including the NUL, -ERANGE if cap is too small, -ENOENT if n was unlinked.
int ramfs_path(const RamfsNode* n, char* buf, size_t cap);

struct RamfsLoadStats {
  uint32_t directories = 0;  // created or updated
  uint32_t files = 0;
  uint32_t skipped = 0;  // entries of other types (symlinks, devices, fifos)
  uint64_t bytes = 0;    // file data loaded
};

// Loads a newc archive into the tree: directories and files where the names say, missing
// parents created (mode 0755), an existing file replaced; the root entry "." sets the
// root's permissions. Created nodes inherit the mark of their directory. The archive is
// checked in full first: a malformed one changes nothing and returns -EINVAL with
// cpio_next's message. Then -EEXIST (a file where the tree has a directory or the
// reverse), -ENOSPC or -ENOMEM with a one-line message leave what was loaded so far.
int ramfs_load_cpio(Ramfs* fs, const uint8_t* archive, size_t size, RamfsLoadStats* stats,
                    CpioError* err);

}  // namespace quartz
