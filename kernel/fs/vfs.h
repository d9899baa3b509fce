// The file layer under the file system calls: one tree (the in-memory file system of
// kernel/lib/ramfs, filled from the initramfs, writable in /tmp) with /dev/console as a
// special node and /proc's files served from the procfs table, and open files (File)
// that processes share after fork.
//
// Contract: thread context (system calls, the shell, boot). Buffers are kernel memory:
// the system calls copy to and from user memory around these calls. Every function
// returns a negative errno (Linux's values) on failure and changes nothing then.
#pragma once
#include <cstddef>
#include <cstdint>
#include "kernel/uapi/quartz/abi.h"

namespace quartz {

struct RamfsNode;
using Node = RamfsNode;  // a file, directory or special node of the tree (kernel/lib/ramfs.h)
struct File;

struct FileOps {
  // Reads at f->pos into buf, advancing it; 0 at the end. May sleep (the console).
  long (*read)(File* f, char* buf, size_t n);
  long (*write)(File* f, const char* buf, size_t n);
  // Directory records (struct quartz_dirent64) from f->pos on; 0 at the end.
  long (*getdents)(File* f, char* buf, size_t n);
  bool seekable;
};

struct File {
  const FileOps* ops = nullptr;
  Node* node = nullptr;  // holds an open reference (null for a /proc file)
  uint64_t pos = 0;
  int flags = 0;         // the open() flags
  int refs = 1;          // descriptors (in any process) that refer to it
  char* text = nullptr;  // /proc files: the text their show function produced at open
  size_t text_len = 0;
};

// Boot: builds the tree from the initramfs image (null: an empty tree), with /dev/console,
// /proc and /tmp (writable). Prints what it loaded or why it refused the archive.
void vfs_init(const uint8_t* initramfs, size_t size);
// Directories are never removed (there is no rmdir), so a working directory needs no
// reference: a Node* of a directory stays valid.
Node* vfs_root();

// open(2) relative to `cwd`: O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC,
// O_APPEND, O_DIRECTORY. A /proc file runs its show function here (with the module use
// count) and reads serve that text.
int vfs_open(Node* cwd, const char* path, int flags, File** out);
// The console as an open file (the first three descriptors of a process the kernel starts).
File* vfs_open_console();
File* file_get(File* f);
void file_put(File* f);
long file_read(File* f, char* buf, size_t n);
long file_write(File* f, const char* buf, size_t n);
long file_getdents(File* f, char* buf, size_t n);
long file_lseek(File* f, int64_t off, int whence);
int file_stat(File* f, quartz_stat64* st);

int vfs_stat(Node* cwd, const char* path, quartz_stat64* st);
// chdir: *dir becomes the directory at path (references moved).
int vfs_chdir(Node* cwd, const char* path, Node** dir);
int vfs_getcwd(Node* cwd, char* buf, size_t n);  // the length with the NUL
int vfs_mkdir(Node* cwd, const char* path);
int vfs_unlink(Node* cwd, const char* path);
// Calls fn(ctx, data, size) with the bytes of the regular file at path, in place (no
// copy), and returns what fn returns. The file system is locked meanwhile: fn must not
// call back into it. -EACCES for a directory or a special file, -EFBIG over `max`.
int vfs_with_file(Node* cwd, const char* path, size_t max,
                  int (*fn)(void* ctx, const uint8_t* data, size_t size), void* ctx);
// Bytes the tree holds (files, directories, nodes): for the leak tests.
size_t vfs_bytes_in_use();

}  // namespace quartz
