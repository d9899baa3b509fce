// Test helpers shared by cpio_test.cpp and ramfs_test.cpp: newc archives written by hand
// (to make malformed ones) and by Debian's cpio from a directory staged on disk.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace newc {

#ifdef QUARTZ_CPIO
inline constexpr const char* kCpio = QUARTZ_CPIO;
#else
inline constexpr const char* kCpio = "";
#endif

// One entry as the format lays it out; fields are written as given (the tests break them).
struct Entry {
  std::string name;
  uint32_t mode = 0100644;
  std::string data;
  uint32_t nlink = 1;
  int64_t namesize = -1;  // -1: name.size() + 1
  int64_t filesize = -1;  // -1: data.size()
  uint32_t check = 0;
  const char* magic = "070701";
};

inline std::string hex8(uint32_t v) {
  char b[9];
  std::snprintf(b, sizeof b, "%08X", v);
  return b;
}

inline void pad4(std::string* s) {
  while (s->size() % 4 != 0) s->push_back('\0');
}

inline std::string header(const Entry& e) {
  uint32_t namesize =
      e.namesize < 0 ? static_cast<uint32_t>(e.name.size() + 1) : static_cast<uint32_t>(e.namesize);
  uint32_t filesize =
      e.filesize < 0 ? static_cast<uint32_t>(e.data.size()) : static_cast<uint32_t>(e.filesize);
  std::string h = e.magic;
  const uint32_t fields[13] = {1, e.mode, 0, 0, e.nlink,  0,      filesize,
                               0, 0,      0, 0, namesize, e.check};
  for (uint32_t f : fields) h += hex8(f);
  return h;
}

inline void append(std::string* out, const Entry& e) {
  *out += header(e);
  *out += e.name;
  out->push_back('\0');
  pad4(out);
  *out += e.data;
  pad4(out);
}

inline std::string trailer() {
  std::string s;
  append(&s, Entry{"TRAILER!!!", 0, ""});
  return s;
}

inline std::string archive(const std::vector<Entry>& entries, bool with_trailer = true) {
  std::string s;
  for (const Entry& e : entries) append(&s, e);
  if (with_trailer) s += trailer();
  return s;
}

inline std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

inline std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// The archive `cpio -o -H FORMAT` makes of dir (names "." and "./..." in sorted order, as
// an initramfs is built), or empty if cpio is missing or fails.
inline std::vector<uint8_t> cpio_of(const std::filesystem::path& dir, const char* format = "newc") {
  if (kCpio[0] == '\0') return {};
  std::filesystem::path out = dir.parent_path() / (dir.filename().string() + "." + format);
  std::string cmd = "cd '" + dir.string() + "' && find . | LC_ALL=C sort | '" + kCpio + "' -o -H " +
                    format + " --quiet > '" + out.string() + "'";
  int rc = std::system(cmd.c_str());
  std::vector<uint8_t> bytes = rc == 0 ? read_file(out) : std::vector<uint8_t>{};
  std::filesystem::remove(out);
  return bytes;
}

// A fresh empty directory for one test.
inline std::filesystem::path temp_dir(const std::string& tag) {
  std::filesystem::path p =
      std::filesystem::temp_directory_path() / ("quartz-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline void write_file(const std::filesystem::path& p, const std::string& data) {
  std::ofstream f(p, std::ios::binary);
  f << data;
}

}  // namespace newc
