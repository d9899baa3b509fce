// Host tests for kernel/lib/ramfs: lookup rules, open/mkdir/unlink and their errors, file
// data, getdents64 records, stat64, getcwd paths, special nodes, loading archives made by
// Debian's cpio, memory accounting through a counting allocator, and a randomized model
// test against std::map.
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/ramfs.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/host/newc_util.h"

using namespace quartz;
namespace stdfs = std::filesystem;

namespace {

// malloc with a count of live bytes, and a switch to make it fail.
struct CountingAllocator {
  std::map<void*, size_t> live;
  size_t live_bytes = 0;
  int fail_after = -1;  // refuse the allocation after this many more (-1: never)

  static void* alloc(void* ctx, size_t bytes) {
    auto* a = static_cast<CountingAllocator*>(ctx);
    if (a->fail_after == 0) return nullptr;
    if (a->fail_after > 0) --a->fail_after;
    void* p = std::malloc(bytes);
    a->live[p] = bytes;
    a->live_bytes += bytes;
    return p;
  }
  static void release(void* ctx, void* p) {
    auto* a = static_cast<CountingAllocator*>(ctx);
    auto it = a->live.find(p);
    ASSERT_NE(it, a->live.end()) << "free of a pointer never allocated";
    a->live_bytes -= it->second;
    a->live.erase(it);
    std::free(p);
  }
  RamfsAllocator hooks() { return RamfsAllocator{alloc, release, this}; }
};

// A file system with /tmp writable, /etc read-only holding motd; destroyed (and checked for
// leaks) at the end of each test.
class RamfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ramfs_init(&fs, mem.hooks()), 0);
    ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp", 01777, true), 0);
    ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/etc", 0755, true), 0);
    ASSERT_EQ(ramfs_lookup(&fs, nullptr, "/tmp", &tmp), 0);
    ramfs_set_writable(tmp, true);
    std::string motd = newc::archive({{"etc/motd", 0100644, "hello\n"}});
    ASSERT_EQ(ramfs_load_cpio(&fs, reinterpret_cast<const uint8_t*>(motd.data()), motd.size(),
                              nullptr, nullptr),
              0);
  }
  void TearDown() override {
    ramfs_destroy(&fs);
    EXPECT_EQ(fs.bytes_in_use, 0u);
    EXPECT_EQ(fs.nodes, 0u);
    EXPECT_EQ(mem.live_bytes, 0u) << "leak";
  }

  RamfsNode* lookup(const std::string& path, RamfsNode* cwd = nullptr) {
    RamfsNode* n = nullptr;
    int r = ramfs_lookup(&fs, cwd, path.c_str(), &n);
    return r == 0 ? n : nullptr;
  }
  int lookup_err(const std::string& path, RamfsNode* cwd = nullptr) {
    RamfsNode* n;
    return ramfs_lookup(&fs, cwd, path.c_str(), &n);
  }
  int open(const std::string& path, uint32_t flags, RamfsNode** n = nullptr,
           RamfsNode* cwd = nullptr) {
    RamfsNode* local;
    RamfsNode** out = n != nullptr ? n : &local;
    int r = ramfs_open(&fs, cwd, path.c_str(), flags, 0644, out);
    if (r == 0 && n == nullptr) ramfs_close(&fs, local);
    return r;
  }
  std::string contents(const RamfsNode* n) {
    std::string s(n->size + 10, '?');
    int32_t r = ramfs_read(n, 0, s.data(), static_cast<uint32_t>(s.size()));
    EXPECT_EQ(r, static_cast<int32_t>(n->size));
    s.resize(r < 0 ? 0 : r);
    return s;
  }
  int32_t write(RamfsNode* n, uint64_t off, const std::string& s) {
    return ramfs_write(&fs, n, off, s.data(), static_cast<uint32_t>(s.size()));
  }
  std::string path_of(const RamfsNode* n) {
    char buf[QUARTZ_PATH_MAX];
    int r = ramfs_path(n, buf, sizeof buf);
    if (r < 0) return "error " + std::to_string(r);
    EXPECT_EQ(static_cast<size_t>(r), std::strlen(buf) + 1);
    return buf;
  }

  CountingAllocator mem;
  Ramfs fs;
  RamfsNode* tmp = nullptr;
};

struct Dirent {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  uint8_t type;
  std::string name;
};

// Decodes getdents64 records as a C library's readdir does, checking their layout.
std::vector<Dirent> decode(const std::vector<uint8_t>& buf, int32_t n) {
  std::vector<Dirent> out;
  int32_t at = 0;
  while (at < n) {
    EXPECT_EQ(at % 8, 0);
    const auto* d = reinterpret_cast<const quartz_dirent64*>(buf.data() + at);
    Dirent e{d->d_ino, d->d_off, d->d_reclen, d->d_type, d->d_name};
    EXPECT_EQ(e.reclen % 8, 0u);
    EXPECT_GE(e.reclen, 19u + e.name.size() + 1);
    EXPECT_LT(e.reclen, 19u + e.name.size() + 1 + 8);
    for (size_t k = 19 + e.name.size(); k < e.reclen; ++k) EXPECT_EQ(buf[at + k], 0) << "padding";
    out.push_back(e);
    at += e.reclen;
  }
  EXPECT_EQ(at, n);
  return out;
}

// Every record of dir, read with a buffer of buf_size bytes per call.
std::vector<Dirent> list(const RamfsNode* dir, uint32_t buf_size = 4096) {
  std::vector<Dirent> all;
  uint64_t cookie = 0;
  std::vector<uint8_t> buf(buf_size);
  for (int guard = 0; guard < 100000; ++guard) {
    int32_t n = ramfs_getdents(dir, &cookie, buf.data(), buf_size);
    EXPECT_GE(n, 0);
    if (n <= 0) break;
    auto part = decode(buf, n);
    EXPECT_EQ(static_cast<uint64_t>(part.back().off), cookie) << "d_off is the next position";
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

std::vector<std::string> names(const std::vector<Dirent>& d) {
  std::vector<std::string> n;
  for (const Dirent& e : d) n.push_back(e.name);
  return n;
}

// ---- lookup ----

TEST_F(RamfsTest, LookupFollowsLinuxRules) {
  RamfsNode* root = fs.root;
  RamfsNode* etc = lookup("/etc");
  RamfsNode* motd = lookup("/etc/motd");
  ASSERT_NE(etc, nullptr);
  ASSERT_NE(motd, nullptr);
  EXPECT_EQ(lookup("/"), root);
  EXPECT_EQ(lookup("///"), root);
  EXPECT_EQ(lookup("/.."), root) << "\"..\" of the root is the root";
  EXPECT_EQ(lookup("/../../etc/../.."), root);
  EXPECT_EQ(lookup("//etc//motd"), motd);
  EXPECT_EQ(lookup("/etc/./motd"), motd);
  EXPECT_EQ(lookup("/tmp/../etc/motd"), motd);
  EXPECT_EQ(lookup("/etc/"), etc);
  EXPECT_EQ(lookup("/etc/."), etc);
  EXPECT_EQ(lookup("/etc//"), etc);
  EXPECT_EQ(lookup("motd", etc), motd) << "relative to cwd";
  EXPECT_EQ(lookup("./motd", etc), motd);
  EXPECT_EQ(lookup("..", etc), root);
  EXPECT_EQ(lookup(".", etc), etc);
  EXPECT_EQ(lookup("../tmp", etc), tmp);
  EXPECT_EQ(lookup("/etc/motd", tmp), motd) << "absolute ignores cwd";
  EXPECT_EQ(lookup("etc"), etc) << "null cwd is the root";

  EXPECT_EQ(lookup_err(""), -ENOENT);
  EXPECT_EQ(lookup_err("/nope"), -ENOENT);
  EXPECT_EQ(lookup_err("/nope/motd"), -ENOENT);
  EXPECT_EQ(lookup_err("/etc/motd/"), -ENOTDIR) << "trailing slash on a file";
  EXPECT_EQ(lookup_err("/etc/motd/."), -ENOTDIR);
  EXPECT_EQ(lookup_err("/etc/motd/x"), -ENOTDIR);
  EXPECT_EQ(lookup_err("/etc/motd/.."), -ENOTDIR);
  EXPECT_EQ(lookup_err("motd"), -ENOENT);
}

TEST_F(RamfsTest, NameAndPathLimits) {
  std::string name255(QUARTZ_NAME_MAX, 'n');
  std::string name256(QUARTZ_NAME_MAX + 1, 'n');
  EXPECT_EQ(lookup_err("/tmp/" + name255), -ENOENT);
  EXPECT_EQ(lookup_err("/tmp/" + name256), -ENAMETOOLONG);
  EXPECT_EQ(lookup_err("/tmp/" + name256 + "/x"), -ENAMETOOLONG);
  EXPECT_EQ(open("/tmp/" + name255, O_CREAT | O_WRONLY), 0);
  EXPECT_NE(lookup("/tmp/" + name255), nullptr);
  EXPECT_EQ(open("/tmp/" + name256, O_CREAT | O_WRONLY), -ENAMETOOLONG);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, ("/tmp/" + name256).c_str(), 0755), -ENAMETOOLONG);
  // A path of PATH_MAX - 1 bytes is fine (its NUL makes PATH_MAX); PATH_MAX is too long.
  std::string path = "/tmp";
  while (path.size() < QUARTZ_PATH_MAX - 2) path += "/.";
  path += "/";
  EXPECT_EQ(path.size(), QUARTZ_PATH_MAX - 1u);
  EXPECT_EQ(lookup(path), tmp);
  EXPECT_EQ(lookup_err(path + "/"), -ENAMETOOLONG);
  EXPECT_EQ(lookup_err(std::string(QUARTZ_PATH_MAX, '/')), -ENAMETOOLONG);
  EXPECT_EQ(lookup(std::string(QUARTZ_PATH_MAX - 1, '/')), fs.root);
}

// ---- open, mkdir, unlink ----

TEST_F(RamfsTest, OpenCreatesAndExcludes) {
  RamfsNode* f;
  ASSERT_EQ(open("/tmp/new", O_CREAT | O_WRONLY, &f), 0);
  EXPECT_EQ(f->type, RamfsType::Regular);
  EXPECT_EQ(f->mode, static_cast<uint32_t>(S_IFREG | 0644));
  EXPECT_EQ(f->nlink, 1u);
  EXPECT_EQ(f->open_count, 1u);
  EXPECT_TRUE(f->writable) << "inherits /tmp's mark";
  EXPECT_EQ(lookup("/tmp/new"), f);
  EXPECT_EQ(open("/tmp/new", O_CREAT | O_EXCL | O_WRONLY), -EEXIST);
  RamfsNode* again;
  EXPECT_EQ(open("/tmp/new", O_CREAT | O_RDWR, &again), 0) << "O_CREAT alone opens it";
  EXPECT_EQ(again, f);
  EXPECT_EQ(f->open_count, 2u);
  ramfs_close(&fs, again);
  ramfs_close(&fs, f);
  EXPECT_EQ(f->open_count, 0u);
  EXPECT_EQ(open("/tmp/none", O_RDONLY), -ENOENT);
  EXPECT_EQ(open("/tmp/none/", O_CREAT | O_WRONLY), -EISDIR);
  EXPECT_EQ(open("/nodir/x", O_CREAT | O_WRONLY), -ENOENT);
  EXPECT_EQ(open("/etc/motd/x", O_CREAT | O_WRONLY), -ENOTDIR);
  // Mode bits beyond permissions are not taken from the caller.
  RamfsNode* g;
  ASSERT_EQ(ramfs_open(&fs, nullptr, "/tmp/g", O_CREAT | O_WRONLY, 0170777, &g), 0);
  EXPECT_EQ(g->mode, static_cast<uint32_t>(S_IFREG | 0777));
  ramfs_close(&fs, g);
}

TEST_F(RamfsTest, OpenRefusesWhatLinuxRefuses) {
  EXPECT_EQ(open("/etc/new", O_CREAT | O_WRONLY), -EROFS) << "read-only directory";
  EXPECT_EQ(open("/etc/motd", O_WRONLY), -EROFS) << "read-only file";
  EXPECT_EQ(open("/etc/motd", O_RDWR), -EROFS);
  EXPECT_EQ(open("/etc/motd", O_RDONLY | O_TRUNC), -EROFS);
  EXPECT_EQ(open("/etc/motd", O_RDONLY), 0);
  EXPECT_EQ(open("/etc/motd", O_CREAT | O_RDONLY), 0) << "exists: nothing to create";
  EXPECT_EQ(open("/etc/motd", O_CREAT | O_EXCL | O_RDONLY), -EEXIST);
  EXPECT_EQ(open("/etc", O_RDONLY), 0);
  EXPECT_EQ(open("/etc", O_RDONLY | O_DIRECTORY), 0);
  EXPECT_EQ(open("/etc", O_WRONLY), -EISDIR);
  EXPECT_EQ(open("/tmp", O_RDWR), -EISDIR);
  EXPECT_EQ(open("/tmp", O_CREAT | O_RDONLY), -EISDIR);
  EXPECT_EQ(open("/", O_CREAT | O_RDONLY), -EISDIR);
  EXPECT_EQ(open("/tmp", O_RDONLY | O_TRUNC), -EISDIR);
  EXPECT_EQ(open("/etc/motd", O_RDONLY | O_DIRECTORY), -ENOTDIR);
  EXPECT_EQ(open("/etc/motd/", O_RDONLY), -ENOTDIR);
  EXPECT_EQ(contents(lookup("/etc/motd")), "hello\n") << "nothing was changed";
}

TEST_F(RamfsTest, OpenTruncates) {
  RamfsNode* f;
  ASSERT_EQ(open("/tmp/t", O_CREAT | O_WRONLY, &f), 0);
  ASSERT_EQ(write(f, 0, "some bytes"), 10);
  ramfs_close(&fs, f);
  size_t with_data = fs.bytes_in_use;
  ASSERT_EQ(open("/tmp/t", O_WRONLY | O_TRUNC, &f), 0);
  EXPECT_EQ(f->size, 0u);
  EXPECT_LT(fs.bytes_in_use, with_data) << "the data is freed";
  EXPECT_EQ(contents(f), "");
  ramfs_close(&fs, f);
}

TEST_F(RamfsTest, Mkdir) {
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/d", 0700), 0);
  RamfsNode* d = lookup("/tmp/d");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->type, RamfsType::Directory);
  EXPECT_EQ(d->mode, static_cast<uint32_t>(S_IFDIR | 0700));
  EXPECT_EQ(d->nlink, 2u);
  EXPECT_TRUE(d->writable) << "inherited";
  EXPECT_EQ(tmp->nlink, 3u) << "a subdirectory's \"..\" links its parent";
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/d/e/", 0755), 0) << "trailing slash";
  EXPECT_EQ(ramfs_mkdir(&fs, d, "e/f", 0755), 0) << "relative";
  EXPECT_NE(lookup("/tmp/d/e/f"), nullptr);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/d", 0755), -EEXIST);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/etc/motd", 0755), -EEXIST);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/", 0755), -EEXIST);
  EXPECT_EQ(ramfs_mkdir(&fs, d, ".", 0755), -EEXIST);
  EXPECT_EQ(ramfs_mkdir(&fs, d, "..", 0755), -EEXIST);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/x/y", 0755), -ENOENT);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/etc/motd/y", 0755), -ENOTDIR);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/etc/new", 0755), -EROFS);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/etc", 0755), -EEXIST) << "EEXIST before EROFS";
  EXPECT_EQ(lookup_err("/etc/new"), -ENOENT);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/etc/new", 0755, true), 0) << "the kernel may";
  EXPECT_FALSE(lookup("/etc/new")->writable);
  EXPECT_EQ(open("/etc/new/f", O_CREAT | O_WRONLY), -EROFS);
}

TEST_F(RamfsTest, Unlink) {
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_WRONLY), 0);
  uint32_t ino = lookup("/tmp/f")->ino;
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/f"), 0);
  EXPECT_EQ(lookup_err("/tmp/f"), -ENOENT);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/f"), -ENOENT);
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_WRONLY), 0);
  EXPECT_NE(lookup("/tmp/f")->ino, ino) << "inode numbers are not reused";
  EXPECT_EQ(ramfs_unlink(&fs, tmp, "f/"), -ENOTDIR);
  EXPECT_EQ(ramfs_unlink(&fs, tmp, "f"), 0) << "relative";
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/d", 0755), 0);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/d"), -EISDIR);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/d/."), -EISDIR);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/d/.."), -EISDIR);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/"), -EISDIR);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/etc/motd"), -EROFS);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/etc/none"), -EROFS) << "EROFS before ENOENT";
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/none/x"), -ENOENT);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/etc/motd/x"), -ENOTDIR);
  EXPECT_NE(lookup("/etc/motd"), nullptr);
}

TEST_F(RamfsTest, UnlinkedWhileOpenLivesUntilLastClose) {
  size_t before = fs.bytes_in_use;
  uint32_t nodes = fs.nodes;
  RamfsNode* a;
  RamfsNode* b;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &a), 0);
  ASSERT_EQ(write(a, 0, "still here"), 10);
  ASSERT_EQ(open("/tmp/f", O_RDONLY, &b), 0);
  ramfs_ref(b);  // a duplicated descriptor
  EXPECT_EQ(b->open_count, 3u);
  ASSERT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/f"), 0);
  EXPECT_EQ(lookup_err("/tmp/f"), -ENOENT);
  EXPECT_EQ(a->nlink, 0u);
  EXPECT_EQ(contents(a), "still here");
  EXPECT_EQ(write(a, 10, "!"), 1);
  EXPECT_EQ(contents(b), "still here!");
  EXPECT_EQ(path_of(a), "error " + std::to_string(-ENOENT));
  quartz_stat64 st;
  ramfs_stat(a, &st);
  EXPECT_EQ(st.st_nlink, 0u);
  // A new file of the same name is another file.
  RamfsNode* c;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &c), 0);
  EXPECT_NE(c, a);
  EXPECT_EQ(contents(c), "");
  ramfs_close(&fs, c);
  ASSERT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/f"), 0);
  EXPECT_EQ(fs.nodes, nodes + 1) << "the open one only";
  ramfs_close(&fs, a);
  ramfs_close(&fs, b);
  EXPECT_EQ(fs.nodes, nodes + 1);
  ramfs_close(&fs, b);  // the last reference
  EXPECT_EQ(fs.nodes, nodes);
  EXPECT_EQ(fs.bytes_in_use, before);
  EXPECT_EQ(fs.orphans, nullptr);
}

TEST_F(RamfsTest, DestroyFreesOrphansStillOpen) {
  RamfsNode* a;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &a), 0);
  ASSERT_EQ(write(a, 0, std::string(5000, 'z')), 5000);
  ASSERT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/f"), 0);
  // TearDown destroys with the orphan still open and checks that nothing leaks.
}

// ---- data ----

TEST_F(RamfsTest, ReadWriteAtOffsets) {
  RamfsNode* f;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &f), 0);
  EXPECT_EQ(write(f, 0, "hello"), 5);
  EXPECT_EQ(write(f, 5, " world"), 6);
  EXPECT_EQ(write(f, 0, "J"), 1);
  EXPECT_EQ(contents(f), "Jello world");
  EXPECT_EQ(write(f, 20, "end"), 3);  // a hole of 9 bytes
  EXPECT_EQ(f->size, 23u);
  EXPECT_EQ(contents(f), std::string("Jello world") + std::string(9, '\0') + "end");
  char buf[8];
  EXPECT_EQ(ramfs_read(f, 6, buf, 5), 5);
  EXPECT_EQ(std::string(buf, 5), "world");
  EXPECT_EQ(ramfs_read(f, 21, buf, 8), 2) << "short read at the end";
  EXPECT_EQ(ramfs_read(f, 23, buf, 8), 0);
  EXPECT_EQ(ramfs_read(f, 1ull << 40, buf, 8), 0);
  EXPECT_EQ(write(f, 0, ""), 0);
  // Growth across many reallocations keeps the bytes.
  std::string big;
  for (int i = 0; i < 100000; ++i) big.push_back(static_cast<char>(i * 7));
  for (size_t at = 0; at < big.size(); at += 997)
    ASSERT_EQ(write(f, at, big.substr(at, 997)),
              static_cast<int32_t>(std::min<size_t>(997, big.size() - at)));
  EXPECT_EQ(contents(f), big);
  EXPECT_EQ(ramfs_truncate(&fs, f), 0);
  EXPECT_EQ(f->size, 0u);
  EXPECT_EQ(contents(f), "");
  ramfs_close(&fs, f);
}

TEST_F(RamfsTest, HoleAfterTruncateReadsZeros) {
  RamfsNode* f;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &f), 0);
  ASSERT_EQ(write(f, 0, std::string(100, 'x')), 100);
  ASSERT_EQ(ramfs_truncate(&fs, f), 0);
  ASSERT_EQ(write(f, 50, "y"), 1);
  EXPECT_EQ(contents(f), std::string(50, '\0') + "y");
  ramfs_close(&fs, f);
}

TEST_F(RamfsTest, FileSizeLimit) {
  RamfsNode* f;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &f), 0);
  EXPECT_EQ(write(f, kRamfsMaxFileSize, "x"), -EFBIG);
  EXPECT_EQ(write(f, uint64_t{1} << 40, "x"), -EFBIG);
  EXPECT_EQ(f->size, 0u);
  EXPECT_EQ(write(f, kRamfsMaxFileSize - 2, "abcd"), 2) << "a short write up to the limit";
  EXPECT_EQ(f->size, kRamfsMaxFileSize);
  char buf[4];
  EXPECT_EQ(ramfs_read(f, kRamfsMaxFileSize - 2, buf, 4), 2);
  EXPECT_EQ(std::string(buf, 2), "ab");
  EXPECT_EQ(ramfs_read(f, 0, buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), std::string(4, '\0'));
  ramfs_close(&fs, f);
}

TEST_F(RamfsTest, WritesRefusedWhereTheyMust) {
  RamfsNode* motd = lookup("/etc/motd");
  EXPECT_EQ(write(motd, 0, "x"), -EROFS);
  EXPECT_EQ(ramfs_truncate(&fs, motd), -EROFS);
  EXPECT_EQ(contents(motd), "hello\n");
  EXPECT_EQ(write(tmp, 0, "x"), -EISDIR);
  EXPECT_EQ(ramfs_truncate(&fs, tmp), -EISDIR);
  char c;
  EXPECT_EQ(ramfs_read(tmp, 0, &c, 1), -EISDIR);
  // Marking a directory read-only again stops new files; files made before keep their mark.
  RamfsNode* f;
  ASSERT_EQ(open("/tmp/f", O_CREAT | O_RDWR, &f), 0);
  ramfs_set_writable(tmp, false);
  EXPECT_EQ(open("/tmp/g", O_CREAT | O_RDWR), -EROFS);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/f"), -EROFS);
  EXPECT_EQ(write(f, 0, "ok"), 2);
  ramfs_set_writable(tmp, true);
  ramfs_close(&fs, f);
}

TEST(Ramfs, OutOfSpaceAndOutOfMemoryChangeNothing) {
  CountingAllocator mem;
  Ramfs fs;
  ASSERT_EQ(ramfs_init(&fs, mem.hooks(), 4096), 0);
  ramfs_set_writable(fs.root, true);
  RamfsNode* f;
  ASSERT_EQ(ramfs_open(&fs, nullptr, "/f", O_CREAT | O_RDWR, 0644, &f), 0);
  ASSERT_EQ(ramfs_write(&fs, f, 0, "abc", 3), 3);
  size_t used = fs.bytes_in_use;
  std::string big(8192, 'b');
  EXPECT_EQ(ramfs_write(&fs, f, 0, big.data(), 8192), -ENOSPC);
  EXPECT_EQ(f->size, 3u);
  EXPECT_EQ(fs.bytes_in_use, used);
  char buf[3];
  EXPECT_EQ(ramfs_read(f, 0, buf, 3), 3);
  EXPECT_EQ(std::string(buf, 3), "abc");
  // The allocator itself says no: -ENOMEM, and again nothing changed.
  mem.fail_after = 0;
  EXPECT_EQ(ramfs_write(&fs, f, 0, big.data(), 1000), -ENOMEM);
  EXPECT_EQ(f->size, 3u);
  EXPECT_EQ(ramfs_open(&fs, nullptr, "/g", O_CREAT | O_RDWR, 0644, &f), -ENOMEM);
  EXPECT_EQ(ramfs_mkdir(&fs, nullptr, "/d", 0755), -ENOMEM);
  EXPECT_EQ(ramfs_add_special(&fs, nullptr, "/s", S_IFCHR | 0600, 1, nullptr, nullptr), -ENOMEM);
  EXPECT_EQ(fs.bytes_in_use, used);
  RamfsNode* n;
  EXPECT_EQ(ramfs_lookup(&fs, nullptr, "/g", &n), -ENOENT);
  EXPECT_EQ(ramfs_lookup(&fs, nullptr, "/d", &n), -ENOENT);
  mem.fail_after = -1;
  ramfs_close(&fs, f);
  ramfs_destroy(&fs);
  EXPECT_EQ(mem.live_bytes, 0u);
  mem.fail_after = 0;
  EXPECT_EQ(ramfs_init(&fs, mem.hooks()), -ENOMEM);
  EXPECT_EQ(ramfs_init(&fs, mem.hooks(), 10), -ENOSPC);
}

// ---- getdents64, stat64, getcwd ----

TEST_F(RamfsTest, GetdentsRecords) {
  ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/dir", 0755), 0);
  ASSERT_EQ(open("/tmp/a", O_CREAT | O_WRONLY), 0);
  ASSERT_EQ(open("/tmp/" + std::string(200, 'L'), O_CREAT | O_WRONLY), 0);
  std::vector<Dirent> d = list(tmp);
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(names(d), (std::vector<std::string>{".", "..", "dir", "a", std::string(200, 'L')}));
  EXPECT_EQ(d[0].ino, tmp->ino);
  EXPECT_EQ(d[0].type, DT_DIR);
  EXPECT_EQ(d[1].ino, fs.root->ino);
  EXPECT_EQ(d[2].ino, lookup("/tmp/dir")->ino);
  EXPECT_EQ(d[2].type, DT_DIR);
  EXPECT_EQ(d[3].type, DT_REG);
  EXPECT_EQ(d[0].reclen, 24u) << "19 + \".\" + NUL = 21, rounded to 24";
  EXPECT_EQ(d[3].reclen, 24u);
  EXPECT_EQ(d[4].reclen, 224u) << "19 + 200 + 1 = 220, rounded to 224";
  // The root's ".." is the root.
  std::vector<Dirent> r = list(fs.root);
  EXPECT_EQ(r[1].name, "..");
  EXPECT_EQ(r[1].ino, fs.root->ino);
  // One record at a time gives the same list.
  // 24 bytes hold one short record at a time, not the 224-byte one: -EINVAL there.
  std::vector<uint8_t> small(24);
  uint64_t cookie = 0;
  for (int i = 0; i < 4; ++i) ASSERT_EQ(ramfs_getdents(tmp, &cookie, small.data(), 24), 24) << i;
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, small.data(), 24), -EINVAL);
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, small.data(), 223), -EINVAL);
  std::vector<Dirent> one = list(tmp, 224);
  EXPECT_EQ(names(one), names(d));
}

TEST_F(RamfsTest, GetdentsBufferTooSmallAndEnd) {
  std::vector<uint8_t> buf(64);
  uint64_t cookie = 0;
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, buf.data(), 23), -EINVAL);
  EXPECT_EQ(cookie, 0u);
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, buf.data(), 0), -EINVAL);
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, buf.data(), 24), 24);
  EXPECT_EQ(cookie, 1u);
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, buf.data(), 64), 24);
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, buf.data(), 64), 0) << "the end";
  EXPECT_EQ(ramfs_getdents(tmp, &cookie, buf.data(), 64), 0);
  EXPECT_EQ(ramfs_getdents(lookup("/etc/motd"), &cookie, buf.data(), 64), -ENOTDIR);
}

TEST_F(RamfsTest, GetdentsPositionsSurviveChanges) {
  for (const char* n : {"a", "b", "c", "d"}) ASSERT_EQ(open(std::string("/tmp/") + n, O_CREAT), 0);
  std::vector<uint8_t> buf(24);
  uint64_t cookie = 0;
  std::vector<std::string> seen;
  auto next = [&] {
    int32_t n = ramfs_getdents(tmp, &cookie, buf.data(), 24);
    if (n <= 0) return std::string();
    return decode(buf, n)[0].name;
  };
  seen.push_back(next());  // .
  seen.push_back(next());  // ..
  seen.push_back(next());  // a
  // a (already read) and c (not yet) go away, e comes: b and d still come exactly once.
  ASSERT_EQ(ramfs_unlink(&fs, tmp, "a"), 0);
  ASSERT_EQ(ramfs_unlink(&fs, tmp, "c"), 0);
  ASSERT_EQ(open("/tmp/e", O_CREAT), 0);
  for (std::string s = next(); !s.empty(); s = next()) seen.push_back(s);
  EXPECT_EQ(seen, (std::vector<std::string>{".", "..", "a", "b", "d", "e"}));
  // A cookie from d_off resumes after that entry (lseek to a d_off, as seekdir does).
  std::vector<Dirent> all = list(tmp);
  ASSERT_EQ(names(all), (std::vector<std::string>{".", "..", "b", "d", "e"}));
  cookie = static_cast<uint64_t>(all[2].off);
  EXPECT_EQ(next(), "d");
}

TEST_F(RamfsTest, Stat) {
  RamfsNode* f;
  ASSERT_EQ(ramfs_open(&fs, nullptr, "/tmp/f", O_CREAT | O_RDWR, 0640, &f), 0);
  ASSERT_EQ(write(f, 0, std::string(1000, 'x')), 1000);
  quartz_stat64 st;
  std::memset(&st, 0x5a, sizeof st);
  ramfs_stat(f, &st);
  EXPECT_EQ(st.st_ino, f->ino);
  EXPECT_EQ(st.__st_ino, f->ino);
  EXPECT_EQ(st.st_mode, static_cast<uint32_t>(S_IFREG | 0640));
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_size, 1000);
  EXPECT_EQ(st.st_dev, kRamfsDev);
  EXPECT_EQ(st.st_blksize, kRamfsBlockSize);
  EXPECT_GE(st.st_blocks * 512, 1000u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mtime_, 0u);
  EXPECT_EQ(st.__pad0[0], 0);
  ramfs_stat(tmp, &st);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(st.st_size, 0);
  ramfs_stat(fs.root, &st);
  EXPECT_EQ(st.st_ino, 1u) << "the root's inode";
  EXPECT_EQ(st.st_nlink, 4u) << "2 + /tmp and /etc";
  ramfs_close(&fs, f);
  static_assert(sizeof(quartz_stat64) == 96);
}

TEST_F(RamfsTest, PathForGetcwd) {
  EXPECT_EQ(path_of(fs.root), "/");
  EXPECT_EQ(path_of(tmp), "/tmp");
  ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/a", 0755), 0);
  ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/tmp/a/bc", 0755), 0);
  RamfsNode* bc = lookup("/tmp/a/bc");
  EXPECT_EQ(path_of(bc), "/tmp/a/bc");
  EXPECT_EQ(path_of(lookup("/etc/motd")), "/etc/motd");
  char buf[16];
  EXPECT_EQ(ramfs_path(bc, buf, 10), 10) << "\"/tmp/a/bc\" and its NUL";
  EXPECT_STREQ(buf, "/tmp/a/bc");
  EXPECT_EQ(ramfs_path(bc, buf, 9), -ERANGE);
  EXPECT_EQ(ramfs_path(fs.root, buf, 2), 2);
  EXPECT_EQ(ramfs_path(fs.root, buf, 1), -ERANGE);
}

// ---- special nodes ----

TEST_F(RamfsTest, SpecialNodes) {
  ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/dev", 0755, true), 0);
  int console = 42;
  RamfsNode* s;
  ASSERT_EQ(ramfs_add_special(&fs, nullptr, "/dev/console", S_IFCHR | 0620, 7, &console, &s), 0);
  EXPECT_EQ(s->type, RamfsType::Special);
  EXPECT_EQ(s->special_kind, 7);
  EXPECT_EQ(s->special_ptr, &console);
  EXPECT_EQ(lookup("/dev/console"), s);
  EXPECT_EQ(ramfs_add_special(&fs, nullptr, "/dev/console", S_IFCHR, 1, nullptr, nullptr), -EEXIST);
  EXPECT_EQ(ramfs_add_special(&fs, nullptr, "/nodir/x", S_IFCHR, 1, nullptr, nullptr), -ENOENT);
  quartz_stat64 st;
  ramfs_stat(s, &st);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  std::vector<Dirent> d = list(lookup("/dev"));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[2].type, DT_CHR);
  // Opened for writing even in a read-only directory; the kernel does its I/O.
  RamfsNode* o;
  ASSERT_EQ(open("/dev/console", O_RDWR | O_TRUNC, &o), 0);
  EXPECT_EQ(o, s);
  char c;
  EXPECT_EQ(ramfs_read(s, 0, &c, 1), -EINVAL);
  EXPECT_EQ(ramfs_write(&fs, s, 0, "x", 1), -EINVAL);
  EXPECT_EQ(ramfs_truncate(&fs, s), 0);
  EXPECT_EQ(open("/dev/console", O_RDONLY | O_DIRECTORY), -ENOTDIR);
  ramfs_close(&fs, o);
  // A /proc-like entry in a writable directory can be unlinked like a file.
  ASSERT_EQ(ramfs_add_special(&fs, nullptr, "/tmp/proc_entry", 0100444, 3, nullptr, nullptr), 0);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/tmp/proc_entry"), 0);
}

// ---- loading archives ----

#define REQUIRE_CPIO()                                                                \
  do {                                                                                \
    if (newc::kCpio[0] == '\0') GTEST_SKIP() << "cpio not installed (tools/deps.sh)"; \
  } while (0)

// Every directory and file under `disk` is in the tree at `at`, with its bytes and mode.
void expect_same_tree(Ramfs* fs, const stdfs::path& disk, size_t* files) {
  for (const auto& e : stdfs::recursive_directory_iterator(disk)) {
    std::string rel = "/" + e.path().lexically_relative(disk).string();
    RamfsNode* n = nullptr;
    if (e.is_symlink() || (!e.is_directory() && !e.is_regular_file())) {
      EXPECT_EQ(ramfs_lookup(fs, nullptr, rel.c_str(), &n), -ENOENT) << rel << " was skipped";
      continue;
    }
    ASSERT_EQ(ramfs_lookup(fs, nullptr, rel.c_str(), &n), 0) << rel;
    struct stat st;
    ASSERT_EQ(::lstat(e.path().c_str(), &st), 0);
    EXPECT_EQ(n->mode, st.st_mode) << rel;
    if (e.is_regular_file()) {
      ++*files;
      std::vector<uint8_t> want = newc::read_file(e.path());
      std::string got(n->size, '\0');
      EXPECT_EQ(ramfs_read(n, 0, got.data(), n->size), static_cast<int32_t>(want.size())) << rel;
      EXPECT_EQ(got, std::string(want.begin(), want.end())) << rel;
    }
  }
}

TEST(RamfsLoad, LoadsWhatDebiansCpioWrites) {
  REQUIRE_CPIO();
  stdfs::path d = newc::temp_dir("ramfs-load");
  for (const char* dir : {"bin", "sbin", "etc", "tmp", "dev", "proc", "test/bad", "lib/modules"})
    stdfs::create_directories(d / dir);
  newc::write_file(d / "sbin" / "init", std::string("\x7f"
                                                    "ELF",
                                                    4) +
                                            std::string(10000, 'i'));
  newc::write_file(d / "bin" / "sh", "shell");
  newc::write_file(d / "etc" / "motd", "Welcome\n");
  newc::write_file(d / "test" / "bad" / "empty", "");
  stdfs::permissions(d / "sbin" / "init", stdfs::perms(0755));
  stdfs::permissions(d / "tmp", stdfs::perms(01777));
  stdfs::permissions(d, stdfs::perms(0755));
  stdfs::create_symlink("sh", d / "bin" / "link");
  mkfifo((d / "fifo").c_str(), 0600);
  std::vector<uint8_t> a = newc::cpio_of(d);
  ASSERT_FALSE(a.empty());

  CountingAllocator mem;
  Ramfs fs;
  ASSERT_EQ(ramfs_init(&fs, mem.hooks()), 0);
  RamfsLoadStats stats;
  CpioError err{};
  ASSERT_EQ(ramfs_load_cpio(&fs, a.data(), a.size(), &stats, &err), 0) << err.msg;
  EXPECT_EQ(stats.files, 4u);
  EXPECT_EQ(stats.directories, 11u) << "the root and ten directories";
  EXPECT_EQ(stats.skipped, 2u) << "the symlink and the fifo";
  EXPECT_EQ(stats.bytes, 10004u + 5 + 8);
  size_t files = 0;
  expect_same_tree(&fs, d, &files);
  EXPECT_EQ(files, 4u);
  EXPECT_EQ(fs.root->mode, static_cast<uint32_t>(S_IFDIR | 0755));
  // Loaded read-only; the kernel marks /tmp.
  RamfsNode* n;
  EXPECT_EQ(ramfs_open(&fs, nullptr, "/tmp/x", O_CREAT | O_RDWR, 0644, &n), -EROFS);
  EXPECT_EQ(ramfs_open(&fs, nullptr, "/bin/sh", O_RDWR, 0, &n), -EROFS);
  EXPECT_EQ(ramfs_unlink(&fs, nullptr, "/bin/sh"), -EROFS);
  ASSERT_EQ(ramfs_lookup(&fs, nullptr, "/tmp", &n), 0);
  ramfs_set_writable(n, true);
  ASSERT_EQ(ramfs_open(&fs, nullptr, "/tmp/x", O_CREAT | O_RDWR, 0644, &n), 0);
  ramfs_close(&fs, n);

  // Loading again replaces files and keeps directories: nothing doubles.
  uint32_t nodes = fs.nodes;
  ASSERT_EQ(ramfs_load_cpio(&fs, a.data(), a.size(), &stats, &err), 0) << err.msg;
  EXPECT_EQ(fs.nodes, nodes);
  files = 0;
  expect_same_tree(&fs, d, &files);
  ramfs_destroy(&fs);
  EXPECT_EQ(mem.live_bytes, 0u);
  stdfs::remove_all(d);
}

TEST(RamfsLoad, ParentsCreatedAndRootModeSet) {
  CountingAllocator mem;
  Ramfs fs;
  ASSERT_EQ(ramfs_init(&fs, mem.hooks()), 0);
  std::string a = newc::archive({{".", 040700, ""}, {"a/b/c/file", 0100600, "deep"}});
  RamfsLoadStats st;
  ASSERT_EQ(
      ramfs_load_cpio(&fs, reinterpret_cast<const uint8_t*>(a.data()), a.size(), &st, nullptr), 0);
  EXPECT_EQ(fs.root->mode, static_cast<uint32_t>(S_IFDIR | 0700));
  RamfsNode* n;
  ASSERT_EQ(ramfs_lookup(&fs, nullptr, "/a/b", &n), 0);
  EXPECT_EQ(n->mode, static_cast<uint32_t>(S_IFDIR | 0755));
  ASSERT_EQ(ramfs_lookup(&fs, nullptr, "/a/b/c/file", &n), 0);
  EXPECT_EQ(n->size, 4u);
  EXPECT_EQ(st.files, 1u);
  EXPECT_EQ(st.directories, 1u) << "only the entries count; parents made on the way do not";
  ramfs_destroy(&fs);
  EXPECT_EQ(mem.live_bytes, 0u);
}

TEST(RamfsLoad, MalformedArchiveChangesNothing) {
  CountingAllocator mem;
  Ramfs fs;
  ASSERT_EQ(ramfs_init(&fs, mem.hooks()), 0);
  // Good entries first, then a bad one: checked in full before anything is created.
  std::string a =
      newc::archive({{"bin", 040755, ""}, {"bin/sh", 0100755, "x"}, {"../x", 0100644, ""}});
  size_t before = fs.bytes_in_use;
  CpioError err{};
  EXPECT_EQ(
      ramfs_load_cpio(&fs, reinterpret_cast<const uint8_t*>(a.data()), a.size(), nullptr, &err),
      -EINVAL);
  EXPECT_STREQ(err.msg, "cpio offset 240: \"../x\" has a '..' component");
  EXPECT_EQ(fs.bytes_in_use, before);
  EXPECT_EQ(fs.nodes, 1u);
  ramfs_destroy(&fs);
  EXPECT_EQ(mem.live_bytes, 0u);
}

TEST(RamfsLoad, ConflictsAndSpaceNamed) {
  CountingAllocator mem;
  Ramfs fs;
  ASSERT_EQ(ramfs_init(&fs, mem.hooks(), 2048), 0);
  CpioError err{};
  std::string a = newc::archive({{"x", 0100644, "f"}, {"x", 040755, ""}});
  auto load = [&](const std::string& s) {
    return ramfs_load_cpio(&fs, reinterpret_cast<const uint8_t*>(s.data()), s.size(), nullptr,
                           &err);
  };
  EXPECT_EQ(load(a), -EEXIST);
  EXPECT_STREQ(err.msg, "cpio offset 116: \"x\": a directory where a file already is");
  EXPECT_EQ(load(newc::archive({{"d", 040755, ""}, {"d", 0100644, ""}})), -EEXIST);
  EXPECT_STREQ(err.msg,
               "cpio offset 112: \"d\": a file where a directory or special node already is");
  EXPECT_EQ(load(newc::archive({{"x/y", 0100644, ""}})), -ENOTDIR);
  EXPECT_STREQ(err.msg, "cpio offset 0: \"x/y\": a parent is not a directory");
  EXPECT_EQ(load(newc::archive({{"big", 0100644, std::string(4000, 'b')}})), -ENOSPC);
  EXPECT_STREQ(err.msg, "cpio offset 0: \"big\": no space left in the file system (ENOSPC)");
  RamfsNode* n;
  EXPECT_EQ(ramfs_lookup(&fs, nullptr, "/big", &n), -ENOENT) << "the failed file is not left";
  ramfs_destroy(&fs);
  EXPECT_EQ(mem.live_bytes, 0u);
}

// ---- leaks and the model ----

TEST(Ramfs, EveryOperationReturnsMemoryToBaseline) {
  CountingAllocator mem;
  Ramfs fs;
  ASSERT_EQ(ramfs_init(&fs, mem.hooks()), 0);
  ramfs_set_writable(fs.root, true);
  size_t baseline = fs.bytes_in_use;
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(ramfs_mkdir(&fs, nullptr, ("/d" + std::to_string(round)).c_str(), 0755), 0);
    for (int i = 0; i < 50; ++i) {
      std::string p = "/f" + std::to_string(i);
      RamfsNode* n;
      ASSERT_EQ(ramfs_open(&fs, nullptr, p.c_str(), O_CREAT | O_RDWR, 0644, &n), 0);
      std::string data(static_cast<size_t>(i) * 100, 'd');
      ASSERT_EQ(ramfs_write(&fs, n, static_cast<uint64_t>(i), data.data(),
                            static_cast<uint32_t>(data.size())),
                static_cast<int32_t>(data.size()));
      ASSERT_EQ(ramfs_unlink(&fs, nullptr, p.c_str()), 0);
      ramfs_close(&fs, n);
    }
  }
  EXPECT_EQ(fs.nodes, 4u) << "the root and three directories";
  EXPECT_EQ(fs.bytes_in_use, baseline + 3 * (sizeof(RamfsNode) + 3));
  EXPECT_EQ(fs.bytes_in_use, mem.live_bytes);
  ramfs_destroy(&fs);
  EXPECT_EQ(fs.bytes_in_use, 0u);
  EXPECT_EQ(mem.live_bytes, 0u);
}

// Random create/write/read/truncate/unlink/close sequences against std::map, with open
// descriptors kept across unlinks. The model: name -> bytes for linked files, plus the
// bytes of each open descriptor's file.
TEST(Ramfs, RandomOperationsMatchAModel) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    CountingAllocator mem;
    Ramfs fs;
    ASSERT_EQ(ramfs_init(&fs, mem.hooks(), seed % 2 == 0 ? 300000 : 0), 0);
    ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/w", 0755, true), 0);
    RamfsNode* w;
    ASSERT_EQ(ramfs_lookup(&fs, nullptr, "/w", &w), 0);
    ramfs_set_writable(w, true);
    ASSERT_EQ(ramfs_mkdir(&fs, nullptr, "/w/sub", 0755), 0);

    std::map<std::string, std::shared_ptr<std::string>> files;  // linked files
    struct Open {
      RamfsNode* node;
      std::shared_ptr<std::string> data;
    };
    std::vector<Open> open;
    const char* paths[] = {"/w/a", "/w/b", "/w/c", "/w/sub/d", "/w/sub/e", "/w/sub/../f"};
    auto canonical = [](std::string p) { return p == "/w/sub/../f" ? std::string("/w/f") : p; };
    auto rnd = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
    for (int step = 0; step < 4000; ++step) {
      std::string path = paths[rnd(6)];
      std::string key = canonical(path);
      uint32_t op = rnd(10);
      if (op <= 1) {  // open, maybe creating, maybe exclusive, maybe truncating
        uint32_t flags = O_RDWR | (rnd(2) ? O_CREAT : 0) | (rnd(4) == 0 ? O_EXCL : 0) |
                         (rnd(5) == 0 ? O_TRUNC : 0);
        RamfsNode* n;
        int r = ramfs_open(&fs, nullptr, path.c_str(), flags, 0644, &n);
        bool exists = files.count(key) != 0;
        if (!exists && (flags & O_CREAT) == 0) {
          ASSERT_EQ(r, -ENOENT);
        } else if (exists && (flags & O_CREAT) && (flags & O_EXCL)) {
          ASSERT_EQ(r, -EEXIST);
        } else if (r == -ENOSPC) {
          ASSERT_FALSE(exists);
          ASSERT_NE(fs.max_bytes, 0u);
        } else {
          ASSERT_EQ(r, 0);
          if (!exists) files[key] = std::make_shared<std::string>();
          if (flags & O_TRUNC) files[key]->clear();
          open.push_back({n, files[key]});
        }
      } else if (op <= 4 && !open.empty()) {  // write somewhere
        Open& o = open[rnd(static_cast<uint32_t>(open.size()))];
        uint64_t off = rnd(3) == 0 ? o.data->size() : rnd(20000);
        std::string bytes(rnd(3000), '\0');
        for (char& c : bytes) c = static_cast<char>(rnd(256));
        int32_t r =
            ramfs_write(&fs, o.node, off, bytes.data(), static_cast<uint32_t>(bytes.size()));
        if (r == -ENOSPC) {
          ASSERT_NE(fs.max_bytes, 0u);
        } else {
          ASSERT_EQ(r, static_cast<int32_t>(bytes.size()));
          if (!bytes.empty()) {
            if (o.data->size() < off + bytes.size()) o.data->resize(off + bytes.size(), '\0');
            o.data->replace(off, bytes.size(), bytes);
          }
        }
      } else if (op <= 6 && !open.empty()) {  // read somewhere and compare
        Open& o = open[rnd(static_cast<uint32_t>(open.size()))];
        uint64_t off = rnd(25000);
        std::string buf(rnd(4000), '?');
        int32_t r = ramfs_read(o.node, off, buf.data(), static_cast<uint32_t>(buf.size()));
        std::string want = off < o.data->size() ? o.data->substr(off, buf.size()) : "";
        ASSERT_EQ(r, static_cast<int32_t>(want.size()));
        ASSERT_EQ(buf.substr(0, want.size()), want);
        ASSERT_EQ(o.node->size, o.data->size());
      } else if (op == 7) {  // unlink
        int r = ramfs_unlink(&fs, nullptr, path.c_str());
        if (files.count(key)) {
          ASSERT_EQ(r, 0);
          files.erase(key);
        } else {
          ASSERT_EQ(r, -ENOENT);
        }
      } else if (op == 8 && !open.empty()) {  // close
        size_t i = rnd(static_cast<uint32_t>(open.size()));
        ramfs_close(&fs, open[i].node);
        open.erase(open.begin() + static_cast<ptrdiff_t>(i));
      } else if (op == 9) {  // the directory listings match the model
        std::set<std::string> want_w{".", "..", "sub"}, want_sub{".", ".."};
        for (const auto& [name, data] : files) {
          if (name.rfind("/w/sub/", 0) == 0)
            want_sub.insert(name.substr(7));
          else
            want_w.insert(name.substr(3));
        }
        RamfsNode* sub;
        ASSERT_EQ(ramfs_lookup(&fs, nullptr, "/w/sub", &sub), 0);
        std::vector<std::string> got_w = names(list(w)), got_sub = names(list(sub));
        ASSERT_EQ(std::set<std::string>(got_w.begin(), got_w.end()), want_w);
        ASSERT_EQ(got_w.size(), want_w.size()) << "no name twice";
        ASSERT_EQ(std::set<std::string>(got_sub.begin(), got_sub.end()), want_sub);
        for (const auto& [name, data] : files) {
          RamfsNode* n;
          ASSERT_EQ(ramfs_lookup(&fs, nullptr, name.c_str(), &n), 0);
          ASSERT_EQ(n->size, data->size());
        }
      }
      ASSERT_EQ(fs.bytes_in_use, mem.live_bytes);
      if (fs.max_bytes != 0) {
        ASSERT_LE(fs.bytes_in_use, fs.max_bytes);
      }
    }
    for (Open& o : open) ramfs_close(&fs, o.node);
    EXPECT_EQ(fs.orphans, nullptr) << "every unlinked file was freed at its last close";
    ramfs_destroy(&fs);
    EXPECT_EQ(mem.live_bytes, 0u);
  }
}

}  // namespace
