// libFuzzer harness for kernel/lib/ramfs path handling: the input is a script of lines,
// "OP PATH", run against a small tree (/tmp writable) with a 256 KiB cap; ops are lookup,
// open (with flags from the op byte), mkdir, unlink, chdir, write, read, getdents, getcwd
// and close. Checks the answers agree with each other (what mkdir made can be looked up,
// getcwd's path leads back to the directory) and that destroying the tree frees every byte.
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/ramfs.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace quartz;

namespace {

[[noreturn]] void die(const char* why) {
  std::fprintf(stderr, "ramfs_fuzz: %s\n", why);
  std::abort();
}

size_t g_live = 0;
std::map<void*, size_t>* g_sizes = new std::map<void*, size_t>;
void* counted_alloc(void*, size_t n) {
  void* p = std::malloc(n);
  (*g_sizes)[p] = n;
  g_live += n;
  return p;
}
void counted_free(void*, void* p) {
  g_live -= (*g_sizes)[p];
  g_sizes->erase(p);
  std::free(p);
}

bool is_errno(int r) { return r < 0 && r >= -ELOOP; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Ramfs fs;
  if (ramfs_init(&fs, RamfsAllocator{counted_alloc, counted_free, nullptr}, 256u << 10) != 0)
    die("init");
  ramfs_mkdir(&fs, nullptr, "/tmp", 0777, true);
  ramfs_mkdir(&fs, nullptr, "/etc", 0755, true);
  RamfsNode* tmp;
  if (ramfs_lookup(&fs, nullptr, "/tmp", &tmp) != 0) die("setup");
  ramfs_set_writable(tmp, true);
  RamfsNode* cwd = fs.root;
  std::vector<RamfsNode*> open;
  std::string script(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  int steps = 0;
  while (pos < script.size() && steps++ < 200) {
    size_t nl = script.find('\n', pos);
    std::string line = script.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? script.size() : nl + 1;
    if (line.empty()) continue;
    uint8_t op = static_cast<uint8_t>(line[0]);
    std::string path = line.substr(1);  // may hold NULs: the C string ends at the first
    const char* p = path.c_str();
    RamfsNode* n = nullptr;
    int r = 0;
    switch (op % 10) {
      case 0:
        r = ramfs_lookup(&fs, cwd, p, &n);
        if (r == 0 && n == nullptr) die("lookup");
        break;
      case 1: {
        uint32_t flags = (op >> 4 & 3) | (op & 0x10 ? O_CREAT : 0) | (op & 0x20 ? O_EXCL : 0) |
                         (op & 0x40 ? O_TRUNC : 0) | (op & 0x80 ? O_DIRECTORY : 0);
        r = ramfs_open(&fs, cwd, p, flags, 0644, &n);
        if (r == 0) open.push_back(n);
        break;
      }
      case 2:
        r = ramfs_mkdir(&fs, cwd, p, 0755);
        if (r == 0 && (ramfs_lookup(&fs, cwd, p, &n) != 0 || n->type != RamfsType::Directory))
          die("mkdir made nothing");
        break;
      case 3:
        r = ramfs_unlink(&fs, cwd, p);
        if (r == 0 && ramfs_lookup(&fs, cwd, p, &n) == 0) die("unlinked but still there");
        break;
      case 4:
        r = ramfs_lookup(&fs, cwd, p, &n);
        if (r == 0 && n->type == RamfsType::Directory) cwd = n;
        break;
      case 5:
        if (!open.empty()) {
          RamfsNode* f = open[path.size() % open.size()];
          r = ramfs_write(&fs, f, path.size() * 97, p, static_cast<uint32_t>(path.size()));
        }
        break;
      case 6:
        if (!open.empty()) {
          char buf[256];
          RamfsNode* f = open[path.size() % open.size()];
          r = ramfs_read(f, path.size() * 13, buf, sizeof buf);
          if (r > 0 && static_cast<uint64_t>(r) > f->size) die("read past the size");
        }
        break;
      case 7: {
        uint8_t buf[300];
        uint64_t cookie = 0;
        uint32_t len = static_cast<uint32_t>(path.size() % sizeof buf);
        while ((r = ramfs_getdents(cwd, &cookie, buf, len)) > 0) {
          if (static_cast<uint32_t>(r) > len || r % 8 != 0) die("getdents length");
        }
        break;
      }
      case 8: {
        char buf[QUARTZ_PATH_MAX];
        r = ramfs_path(cwd, buf, path.size() % 64 + 1);
        if (r > 0 && (ramfs_lookup(&fs, nullptr, buf, &n) != 0 || n != cwd))
          die("getcwd's path does not lead back");
        break;
      }
      case 9:
        if (!open.empty()) {
          ramfs_close(&fs, open.back());
          open.pop_back();
        }
        break;
    }
    if (r < 0 && !is_errno(r)) die("not an errno");
    if (fs.bytes_in_use != g_live || fs.bytes_in_use > fs.max_bytes) die("accounting");
  }
  for (RamfsNode* n : open) ramfs_close(&fs, n);
  if (fs.orphans != nullptr) die("orphan left after the last close");
  ramfs_destroy(&fs);
  if (g_live != 0) die("leak");
  return 0;
}
