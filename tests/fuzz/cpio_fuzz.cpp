// libFuzzer harness for kernel/lib/cpio and ramfs_load_cpio: every entry the reader
// returns keeps the header's promises (a normalised name, data inside the archive), and an
// archive it accepts loads into a ramfs (capped at 1 MiB) where every entry can be looked
// up, after which destroying the file system gives back every byte.
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/cpio.h"
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
  std::fprintf(stderr, "cpio_fuzz: %s\n", why);
  std::abort();
}

void check_line(const CpioError& err) {
  size_t len = strnlen(err.msg, sizeof err.msg);
  if (len == 0 || len >= sizeof err.msg) die("error message length");
  for (size_t i = 0; i < len; ++i)
    if (err.msg[i] < 0x20 || err.msg[i] >= 0x7f) die("unprintable error message");
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> archive(data, data + size);
  const uint8_t* a = archive.data();
  CpioReader r;
  cpio_init(&r, a, archive.size());
  CpioEntry e;
  CpioError err;
  std::vector<std::string> names;
  int rc;
  while ((rc = cpio_next(&r, &e, &err)) == 1) {
    if (std::strlen(e.name) != e.name_len) die("name length");
    if (e.name_len > 0 && (e.name[0] == '/' || e.name[e.name_len - 1] == '/')) die("slashes");
    if (std::strstr(e.name, "//") != nullptr) die("empty component");
    std::string wrapped = "/" + std::string(e.name) + "/";
    if (wrapped.find("/../") != std::string::npos || wrapped.find("/./") != std::string::npos)
      die("dot component");
    if (e.data < a || e.data + e.size > a + archive.size()) die("data outside the archive");
    if (e.type == CpioType::Directory && e.size != 0) die("directory data");
    if (e.type != CpioType::Other) names.push_back(e.name);
  }
  if (rc < 0) {
    check_line(err);
    return 0;
  }
  if (rc != 0) die("return value");

  Ramfs fs;
  if (ramfs_init(&fs, RamfsAllocator{counted_alloc, counted_free, nullptr}, 1u << 20) != 0)
    die("init");
  RamfsLoadStats stats;
  int lr = ramfs_load_cpio(&fs, a, archive.size(), &stats, &err);
  if (lr != 0) {
    check_line(err);
  } else {
    // Every directory and file is there (a later entry may have changed a name's type).
    for (const std::string& n : names) {
      RamfsNode* node;
      if (ramfs_lookup(&fs, nullptr, ("/" + n).c_str(), &node) != 0) die("entry not found");
      char path[QUARTZ_PATH_MAX];
      int len = ramfs_path(node, path, sizeof path);
      std::string want = n.empty() ? "/" : "/" + n;
      if (len < 0 || want != path) die("path");
      if (node->type == RamfsType::Directory) {
        uint8_t buf[512];
        uint64_t cookie = 0;
        int32_t got;
        while ((got = ramfs_getdents(node, &cookie, buf, sizeof buf)) > 0) {
        }
        if (got != 0) die("getdents");
      }
    }
  }
  if (fs.bytes_in_use != g_live || fs.bytes_in_use > fs.max_bytes) die("accounting");
  ramfs_destroy(&fs);
  if (g_live != 0 || fs.bytes_in_use != 0) die("leak");
  return 0;
}
