// Host tests for kernel/lib/cpio: archives made by Debian's cpio from a staged directory
// (newc and crc), every truncation, and hand-made malformed headers and names.
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/cpio.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/host/newc_util.h"

using namespace quartz;
namespace fs = std::filesystem;

namespace {

struct Got {
  std::string name;
  CpioType type;
  uint32_t mode;
  std::string data;
  size_t offset;
};

// Every entry up to the trailer; "" on success, else the (checked) error line.
std::string read_all(const std::vector<uint8_t>& a, std::vector<Got>* out = nullptr) {
  CpioReader r;
  cpio_init(&r, a.data(), a.size());
  CpioEntry e;
  CpioError err;
  std::memset(err.msg, 0x55, sizeof err.msg);
  int rc;
  while ((rc = cpio_next(&r, &e, &err)) == 1) {
    EXPECT_EQ(std::strlen(e.name), e.name_len);
    EXPECT_GE(e.data, a.data());
    EXPECT_LE(e.data + e.size, a.data() + a.size());
    if (out != nullptr)
      out->push_back(Got{e.name, e.type, e.mode,
                         std::string(reinterpret_cast<const char*>(e.data), e.size), e.offset});
  }
  if (rc == 0) {
    EXPECT_EQ(cpio_next(&r, &e, &err), 0) << "the end is sticky";
    return "";
  }
  EXPECT_EQ(rc, -EINVAL);
  size_t len = strnlen(err.msg, sizeof err.msg);
  EXPECT_LT(len, sizeof err.msg);
  std::string msg(err.msg, len);
  EXPECT_EQ(msg.rfind("cpio offset ", 0), 0u) << msg;
  for (char c : msg) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << msg;
  EXPECT_EQ(cpio_next(&r, &e, nullptr), -EINVAL) << "a failed reader stays failed";
  return msg;
}

std::string error_of(const std::vector<newc::Entry>& entries, bool trailer = true) {
  return read_all(newc::bytes(newc::archive(entries, trailer)));
}

// A staged tree with what an initramfs holds, and what the reader must report for it.
fs::path stage_tree(const std::string& tag) {
  fs::path d = newc::temp_dir(tag);
  fs::create_directories(d / "bin");
  fs::create_directories(d / "etc" / "deep" / "er");
  fs::create_directories(d / "tmp");
  newc::write_file(d / "bin" / "hello", std::string("\x7f"
                                                    "ELF\x01\x01\x01",
                                                    7) +
                                            "code");
  newc::write_file(d / "etc" / "motd", "Welcome to Quartz\n");
  newc::write_file(d / "etc" / "empty", "");
  newc::write_file(d / "etc" / "deep" / "er" / "odd", "123");  // not a multiple of 4
  std::string big(70000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  newc::write_file(d / "etc" / "big", big);
  fs::permissions(d / "bin" / "hello", fs::perms(0755));
  fs::permissions(d / "etc" / "motd", fs::perms(0644));
  fs::permissions(d / "tmp", fs::perms(01777));
  fs::permissions(d, fs::perms(0755));
  fs::create_symlink("hello", d / "bin" / "link");
  mkfifo((d / "etc" / "fifo").c_str(), 0600);
  return d;
}

#define REQUIRE_CPIO()                                                                \
  do {                                                                                \
    if (newc::kCpio[0] == '\0') GTEST_SKIP() << "cpio not installed (tools/deps.sh)"; \
  } while (0)

TEST(Cpio, ReadsWhatDebiansCpioWrites) {
  REQUIRE_CPIO();
  fs::path d = stage_tree("cpio-newc");
  std::vector<uint8_t> a = newc::cpio_of(d);
  ASSERT_FALSE(a.empty());
  std::vector<Got> got;
  ASSERT_EQ(read_all(a, &got), "");
  std::map<std::string, Got> by_name;
  for (const Got& g : got) by_name[g.name] = g;
  ASSERT_EQ(by_name.size(), got.size()) << "each name once";
  // "." is the root, with the empty name; "./bin/hello" is "bin/hello".
  ASSERT_TRUE(by_name.count(""));
  EXPECT_EQ(by_name[""].type, CpioType::Directory);
  EXPECT_EQ(by_name[""].mode & 07777, 0755u);
  EXPECT_EQ(got.front().name, "") << "find lists . first";
  EXPECT_EQ(got.front().offset, 0u);
  for (const char* dir : {"bin", "etc", "etc/deep", "etc/deep/er", "tmp"}) {
    ASSERT_TRUE(by_name.count(dir)) << dir;
    EXPECT_EQ(by_name[dir].type, CpioType::Directory) << dir;
    EXPECT_EQ(by_name[dir].mode & S_IFMT, static_cast<uint32_t>(S_IFDIR));
  }
  EXPECT_EQ(by_name["tmp"].mode & 07777, 01777u);
  for (const char* file : {"bin/hello", "etc/motd", "etc/empty", "etc/deep/er/odd", "etc/big"}) {
    ASSERT_TRUE(by_name.count(file)) << file;
    EXPECT_EQ(by_name[file].type, CpioType::Regular) << file;
    std::vector<uint8_t> disk = newc::read_file(d / file);
    EXPECT_EQ(by_name[file].data, std::string(disk.begin(), disk.end())) << file;
  }
  EXPECT_EQ(by_name["bin/hello"].mode, 0100755u);
  EXPECT_EQ(by_name["etc/motd"].mode, 0100644u);
  // Symlinks and fifos are reported as Other; a symlink's data is its target.
  EXPECT_EQ(by_name["bin/link"].type, CpioType::Other);
  EXPECT_EQ(by_name["bin/link"].data, "hello");
  EXPECT_EQ(by_name["etc/fifo"].type, CpioType::Other);
  EXPECT_EQ(by_name.size(), 13u);
  fs::remove_all(d);
}

TEST(Cpio, ChecksumFormatVerified) {
  REQUIRE_CPIO();
  fs::path d = stage_tree("cpio-crc");
  std::vector<uint8_t> a = newc::cpio_of(d, "crc");
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(std::memcmp(a.data(), "070702", 6), 0);
  std::vector<Got> got;
  ASSERT_EQ(read_all(a, &got), "");
  EXPECT_EQ(got.size(), 13u);
  // One byte of motd's data changed: its checksum no longer matches.
  std::string text = "Welcome to Quartz";
  auto it = std::search(a.begin(), a.end(), text.begin(), text.end());
  ASSERT_NE(it, a.end());
  *it = 'w';
  std::string msg = read_all(a);
  EXPECT_NE(msg.find("\"etc/motd\": c_check 0x"), std::string::npos) << msg;
  EXPECT_NE(msg.find("but the data sums to 0x"), std::string::npos) << msg;
  fs::remove_all(d);
}

// Every prefix of a real archive is refused (cut before the trailer) or read in full.
TEST(Cpio, EveryTruncationRefusedWithItsOffset) {
  REQUIRE_CPIO();
  fs::path d = stage_tree("cpio-cut");
  fs::remove_all(d / "etc" / "big");  // keep the loop short
  std::vector<uint8_t> a = newc::cpio_of(d);
  ASSERT_FALSE(a.empty());
  std::vector<Got> full;
  ASSERT_EQ(read_all(a, &full), "");
  const std::string t = "TRAILER!!!";
  size_t trailer = std::search(a.begin(), a.end(), t.begin(), t.end()) - a.begin() - 110;
  std::set<size_t> headers{trailer};
  for (const Got& g : full) headers.insert(g.offset);
  size_t accepted = 0;
  for (size_t n = 0; n < a.size(); ++n) {
    std::vector<uint8_t> cut(a.begin(), a.begin() + static_cast<ptrdiff_t>(n));
    std::vector<Got> got;
    std::string msg = read_all(cut, &got);
    if (n < trailer + 110 + t.size() + 1) {
      ASSERT_NE(msg, "") << "accepted " << n << " bytes";
      // The offset named is the header of the entry that does not fit, the one after
      // the last entry read.
      size_t named = std::stoul(msg.substr(std::strlen("cpio offset ")));
      ASSERT_TRUE(headers.count(named)) << msg;
      ASSERT_TRUE(got.empty() || named > got.back().offset) << msg;
      ASSERT_EQ(got.size(), std::distance(headers.begin(), headers.find(named))) << msg;
    } else if (msg.empty()) {
      ++accepted;
      ASSERT_EQ(got.size(), full.size());
    }
  }
  EXPECT_GT(accepted, 0u);
  fs::remove_all(d);
}

TEST(Cpio, EmptyAndTrailerOnly) {
  EXPECT_NE(read_all({}).find("cpio offset 0: the archive ends without the TRAILER!!! entry"),
            std::string::npos);
  std::vector<Got> got;
  EXPECT_EQ(read_all(newc::bytes(newc::trailer()), &got), "");
  EXPECT_TRUE(got.empty());
  CpioReader r;
  cpio_init(&r, nullptr, 100);
  CpioEntry e;
  EXPECT_EQ(cpio_next(&r, &e, nullptr), -EINVAL);
}

TEST(Cpio, WhatFollowsTheTrailerIsIgnored) {
  std::string s = newc::archive({{"a", 0100644, "x"}}) + std::string(512, '\0') + "garbage";
  std::vector<Got> got;
  EXPECT_EQ(read_all(newc::bytes(s), &got), "");
  ASSERT_EQ(got.size(), 1u);
}

TEST(Cpio, MissingTrailer) {
  std::string msg = error_of({{"a", 0100644, "abc"}}, false);
  EXPECT_EQ(msg, "cpio offset 116: the archive ends without the TRAILER!!! entry");
}

TEST(Cpio, EveryHeaderFieldMustBeHex) {
  const char* names[] = {"c_ino",       "c_mode",     "c_uid",      "c_gid",      "c_nlink",
                         "c_mtime",     "c_filesize", "c_devmajor", "c_devminor", "c_rdevmajor",
                         "c_rdevminor", "c_namesize", "c_check"};
  for (int f = 0; f < 13; ++f) {
    for (int k : {0, 7}) {
      std::string s = newc::archive({{"dir", 040755, ""}});
      s[6 + 8 * f + k] = 'g';
      std::string msg = read_all(newc::bytes(s));
      EXPECT_EQ(msg, std::string("cpio offset 0: ") + names[f] + " is not 8 hex digits (byte 0x67)")
          << f;
    }
  }
  // Lower-case hex is hex.
  std::string s = newc::archive({{"f", 0100644, std::string(0xab, 'x')}});
  for (int k = 0; k < 8; ++k) s[6 + 8 * 6 + k] = static_cast<char>(std::tolower(s[6 + 8 * 6 + k]));
  EXPECT_EQ(read_all(newc::bytes(s)), "");
}

TEST(Cpio, MalformedHeadersNamed) {
  using E = newc::Entry;
  struct Case {
    const char* what;
    std::string archive;
    const char* expect;
  };
  E odd{"dir", 040755, ""};
  odd.magic = "070707";  // the old binary-compatible "odc" format
  E zero_name{"a", 0100644, ""};
  zero_name.namesize = 0;
  E no_nul{"abc", 0100644, ""};
  no_nul.namesize = 3;
  E early_nul{"ab", 0100644, ""};
  early_nul.name = std::string("a\0b", 3);
  E past_end{"a", 0100644, ""};
  past_end.namesize = 4000;
  E path_max{"a", 0100644, ""};
  path_max.namesize = QUARTZ_PATH_MAX + 1;
  E data_past{"f", 0100644, "abcd"};
  data_past.filesize = 0x10000;
  E data_huge{"f", 0100644, "abcd"};
  data_huge.filesize = 0xffffffff;
  const Case cases[] = {
      {"odc magic", newc::archive({odd}), "cpio offset 0: bad magic"},
      {"text", std::string(200, 't'), "cpio offset 0: bad magic"},
      {"short header", "070701000", "cpio offset 0: truncated header: 9 bytes left"},
      {"namesize 0", newc::archive({zero_name}), "c_namesize 0"},
      {"no NUL", newc::archive({no_nul}), "c_namesize 3: the name has no NUL at its end"},
      {"NUL early", newc::archive({early_nul}), "has a NUL at byte 1"},
      {"name past the end", newc::archive({past_end}), "c_namesize 4000: the name runs past"},
      {"name over PATH_MAX", newc::archive({path_max}),
       "c_namesize 4097: the name is longer than PATH_MAX 4096"},
      {"data past the end", newc::archive({data_past}), "c_filesize 65536: \"f\"'s data runs past"},
      {"data wraps", newc::archive({data_huge}), "c_filesize 4294967295"},
      {"directory with data", newc::archive({{"d", 040755, "abcd"}}),
       "directory \"d\" has c_filesize 4"},
      {"root as a file", newc::archive({{".", 0100644, ""}}),
       "\".\" names the root but is not a directory"},
      {"second header bad", newc::archive({{"a", 0100644, "x"}, odd}),
       "cpio offset 116: bad magic"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string msg = read_all(newc::bytes(c.archive));
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
  }
}

TEST(Cpio, NamesNormalised) {
  const std::pair<const char*, const char*> ok[] = {
      {".", ""},
      {"./", ""},
      {"/", ""},
      {"/./", ""},
      {"./bin", "bin"},
      {"/bin", "bin"},
      {".//bin", "bin"},
      {"//bin/sh", "bin/sh"},
      {"./././a", "a"},
      {"bin/sh", "bin/sh"},
      {"..a/b..", "..a/b.."},
      {".hidden", ".hidden"},
  };
  for (auto [raw, want] : ok) {
    std::vector<Got> got;
    uint32_t mode = want[0] == '\0' ? 040755 : 0100644;
    ASSERT_EQ(read_all(newc::bytes(newc::archive({{raw, mode, ""}})), &got), "") << raw;
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].name, want) << raw;
  }
  const std::pair<std::string, const char*> bad[] = {
      {"a//b", "has an empty component"},
      {"a/", "has an empty component"},
      {"..", "has a '..' component"},
      {"../etc/passwd", "has a '..' component"},
      {"a/../../b", "has a '..' component"},
      {"a/..", "has a '..' component"},
      {"a/./b", "has a '.' component"},
      {"a/.", "has a '.' component"},
      {std::string(256, 'n'), "has a component longer than 255 bytes"},
      {"d/" + std::string(256, 'n') + "/x", "has a component longer than 255 bytes"},
  };
  for (const auto& [raw, why] : bad) {
    std::string msg = read_all(newc::bytes(newc::archive({{raw, 0100644, ""}})));
    EXPECT_NE(msg.find(why), std::string::npos) << raw << ": " << msg;
    EXPECT_EQ(msg.rfind("cpio offset 0: \"", 0), 0u) << msg;
  }
  EXPECT_EQ(error_of({{std::string(255, 'n'), 0100644, ""}}), "");
}

TEST(Cpio, TypesAndModesReported) {
  std::vector<Got> got;
  ASSERT_EQ(read_all(newc::bytes(newc::archive({
                         {"d", 040700, ""},
                         {"f", 0104755, "data"},
                         {"l", 0120777, "target"},
                         {"c", 020620, ""},
                         {"p", 010644, ""},
                     })),
                     &got),
            "");
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].type, CpioType::Directory);
  EXPECT_EQ(got[1].type, CpioType::Regular);
  EXPECT_EQ(got[1].mode, 0104755u);
  EXPECT_EQ(got[1].data, "data");
  EXPECT_EQ(got[2].type, CpioType::Other);
  EXPECT_EQ(got[2].data, "target");
  EXPECT_EQ(got[3].type, CpioType::Other);
  EXPECT_EQ(got[4].type, CpioType::Other);
  // Offsets: 110 + "d\0" padded to 112; each entry here has a 1-byte name.
  EXPECT_EQ(got[0].offset, 0u);
  EXPECT_EQ(got[1].offset, 112u);
  EXPECT_EQ(got[2].offset, 224u + 4);
}

TEST(Cpio, HostileNameInAMessageStaysOneLine) {
  std::string msg = error_of({{"x/\n\x1b[2J/../y", 0100644, ""}});
  EXPECT_EQ(msg, "cpio offset 0: \"x/??[2J/../y\" has a '..' component");
}

}  // namespace
