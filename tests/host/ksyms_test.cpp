// Host tests for kernel/lib/ksyms and tools/gen_ksyms.py: blob validation, lookup, generator.
#include "kernel/lib/ksyms.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using quartz::SymbolTable;

namespace {

struct Sym {
  uint32_t addr;
  uint32_t size;
  std::string name;
};

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
}

void set32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  for (int i = 0; i < 4; ++i) v[at + i] = static_cast<uint8_t>(x >> (8 * i));
}

// Same layout as gen_ksyms.py writes.
std::vector<uint8_t> make_blob(const std::vector<Sym>& syms) {
  std::vector<uint8_t> blob = {'Q', 'S', 'Y', 'M'};
  put32(blob, static_cast<uint32_t>(syms.size()));
  std::string names;
  for (const Sym& s : syms) {
    put32(blob, s.addr);
    put32(blob, s.size);
    put32(blob, static_cast<uint32_t>(names.size()));
    names += s.name;
    names.push_back('\0');
  }
  blob.insert(blob.end(), names.begin(), names.end());
  return blob;
}

std::vector<Sym> sample() {
  return {{0x00100000, 0x10, "_start"},
          {0x00100010, 0x30, "quartz::kernel_main()"},
          {0x00100040, 0x20, "memcpy"},
          {0x00100080, 0x08, "quartz::panic(char const*, ...)"}};  // 0x100060..7f is a gap
}

std::string lookup_name(const SymbolTable& t, uint32_t addr, uint32_t* offset = nullptr) {
  const char* name = nullptr;
  uint32_t off = 0;
  if (!t.lookup(addr, &name, &off)) return "<none>";
  if (offset != nullptr) *offset = off;
  return name;
}

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

int run(const std::string& cmd) {
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A scratch directory per test, removed afterwards.
struct TempDir {
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("quartz_ksyms_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
  std::filesystem::path path;
};

const std::string script = std::string(QUARTZ_SOURCE_DIR) + "/tools/gen_ksyms.py";

bool have_python() { return run("python3 -c pass >/dev/null 2>&1") == 0; }

}  // namespace

TEST(Ksyms, LookupBoundaries) {
  auto blob = make_blob(sample());
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  EXPECT_EQ(t.count(), 4u);
  uint32_t off = 99;
  EXPECT_EQ(lookup_name(t, 0x000fffff), "<none>");  // below the first symbol
  EXPECT_EQ(lookup_name(t, 0x00100000, &off), "_start");
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(lookup_name(t, 0x0010000f, &off), "_start");
  EXPECT_EQ(off, 0xfu);
  EXPECT_EQ(lookup_name(t, 0x00100010, &off), "quartz::kernel_main()");
  EXPECT_EQ(off, 0u);
  EXPECT_EQ(lookup_name(t, 0x0010003f, &off), "quartz::kernel_main()");
  EXPECT_EQ(off, 0x2fu);
  EXPECT_EQ(lookup_name(t, 0x0010005f), "memcpy");
  EXPECT_EQ(lookup_name(t, 0x00100060), "<none>");  // gap after memcpy
  EXPECT_EQ(lookup_name(t, 0x0010007f), "<none>");
  EXPECT_EQ(lookup_name(t, 0x00100087), "quartz::panic(char const*, ...)");
  EXPECT_EQ(lookup_name(t, 0x00100088), "<none>");  // one past the last symbol
  EXPECT_EQ(lookup_name(t, 0xffffffff), "<none>");
  EXPECT_TRUE(t.lookup(0x00100011, nullptr, nullptr));  // null out-pointers are fine
}

TEST(Ksyms, AliasesAndZeroSize) {
  auto blob = make_blob({{0x1000, 0, "label"},
                         {0x1000, 0x20, "quartz::Foo::Foo()"},
                         {0x1000, 0x20, "quartz::Foo::Foo() [base]"},
                         {0x2000, 0, "lonely"},
                         {0xfffffff0, 0x10, "top"}});
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  EXPECT_EQ(lookup_name(t, 0x1000), "quartz::Foo::Foo()");  // the zero-size label is skipped
  EXPECT_EQ(lookup_name(t, 0x101f), "quartz::Foo::Foo()");
  EXPECT_EQ(lookup_name(t, 0x2000), "<none>");   // zero-size symbols contain nothing
  EXPECT_EQ(lookup_name(t, 0xffffffff), "top");  // ends exactly at 2^32
}

TEST(Ksyms, FindAndAt) {
  auto blob = make_blob(sample());
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  uint32_t addr = 0;
  EXPECT_TRUE(t.find("memcpy", &addr));
  EXPECT_EQ(addr, 0x00100040u);
  EXPECT_TRUE(t.find("quartz::kernel_main()", &addr));
  EXPECT_EQ(addr, 0x00100010u);
  EXPECT_FALSE(t.find("memcp", &addr));
  EXPECT_FALSE(t.find("memcpyx", &addr));
  const char* name = nullptr;
  uint32_t size = 0;
  EXPECT_TRUE(t.at(3, &name, &addr, &size));
  EXPECT_STREQ(name, "quartz::panic(char const*, ...)");
  EXPECT_EQ(size, 8u);
  EXPECT_FALSE(t.at(4, &name, &addr, &size));
}

TEST(Ksyms, EmptyTable) {
  auto blob = make_blob({});
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  EXPECT_EQ(t.count(), 0u);
  EXPECT_FALSE(t.lookup(0x1000, nullptr, nullptr));
  EXPECT_FALSE(t.find("x", nullptr));
  SymbolTable fresh;  // never initialised: behaves as empty
  EXPECT_FALSE(fresh.lookup(0, nullptr, nullptr));
}

TEST(Ksyms, UnalignedBlob) {
  auto blob = make_blob(sample());
  std::vector<uint8_t> shifted(blob.size() + 3);
  std::copy(blob.begin(), blob.end(), shifted.begin() + 3);
  SymbolTable t;
  ASSERT_TRUE(t.init(shifted.data() + 3, blob.size()));
  EXPECT_EQ(lookup_name(t, 0x00100041), "memcpy");
}

TEST(Ksyms, MalformedBlobsRejected) {
  const auto good = make_blob(sample());
  const size_t names_at = 8 + 4 * 12;
  auto expect_bad = [](std::vector<uint8_t> b, size_t len, const char* what) {
    SymbolTable t;
    auto ok_blob = make_blob(sample());
    ASSERT_TRUE(t.init(ok_blob.data(), ok_blob.size()));
    // Exact-size heap copy: ASan flags any read past len.
    auto* copy = new uint8_t[len > 0 ? len : 1];
    std::copy(b.begin(), b.begin() + static_cast<long>(len), copy);
    EXPECT_FALSE(t.init(copy, len)) << what;
    EXPECT_EQ(t.count(), 0u) << what;  // a rejected blob leaves an empty table
    EXPECT_FALSE(t.lookup(0x00100000, nullptr, nullptr)) << what;
    delete[] copy;
  };

  expect_bad(good, 0, "empty");
  expect_bad(good, 7, "shorter than the header");
  auto b = good;
  b[0] = 'X';
  expect_bad(b, b.size(), "bad magic");
  b = good;
  set32(b, 4, 5);
  expect_bad(b, b.size(), "count larger than the entries present");
  b = good;
  set32(b, 4, 0xffffffff);
  expect_bad(b, b.size(), "huge count");
  b = good;
  set32(b, 4, 0x15555556);  // count * 12 wraps a 32-bit size_t
  expect_bad(b, b.size(), "count that overflows");
  expect_bad(good, good.size() - 1, "last name not NUL-terminated");
  expect_bad(good, names_at, "entries but no names");
  b = good;
  set32(b, 8 + 12 * 2 + 8, static_cast<uint32_t>(good.size() - names_at));
  expect_bad(b, b.size(), "name offset past the names");
  b = good;
  set32(b, 8 + 12 * 2, 0x00100000 - 1);
  expect_bad(b, b.size(), "entries out of order");
  b = good;
  set32(b, 8 + 12 * 3, 0xfffffff0);
  set32(b, 8 + 12 * 3 + 4, 0x11);
  expect_bad(b, b.size(), "symbol wrapping past 2^32");
  expect_bad(good, 0, "null-length");
  SymbolTable t;
  EXPECT_FALSE(t.init(nullptr, 100));
}

// ---- tools/gen_ksyms.py ----

TEST(GenKsyms, ParsesHandWrittenNmOutput) {
  if (!have_python()) GTEST_SKIP() << "python3 not available";
  TempDir dir;
  {
    std::ofstream nm(dir / "nm.txt");
    nm << "00100000 T _start\n"  // no size: up to next symbol
          "0010000c 00000004 t quartz::(anonymous namespace)::isr_common(int, char const*)\n"
          "00100010 00000030 T quartz::kernel_main()\n"
          "00100010 00000030 T quartz::kernel_main() [clone .alias]\n"
          "00100040 00000020 W void quartz::List<quartz::Task>::push_back(quartz::Task&)\n"
          "00100060 w weak_label\n"                     // sized by the data symbol after it
          "00100070 00000100 R quartz::keymap_table\n"  // data: not kept
          "00100170 b bss_thing\n"
          "00100200 00000010 T operator new(unsigned int)\n"  // last: explicit size
          "00100300 T last_label\n";                          // last without size: 0
  }
  ASSERT_EQ(
      run("python3 " + script + " --from-nm-output " + (dir / "nm.txt") + " " + (dir / "out.bin")),
      0);
  auto blob = read_file(dir.path / "out.bin");
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  EXPECT_EQ(t.count(), 8u);
  uint32_t off = 0;
  EXPECT_EQ(lookup_name(t, 0x0010000b, &off), "_start");
  EXPECT_EQ(off, 0xbu);
  EXPECT_EQ(lookup_name(t, 0x0010000c),
            "quartz::(anonymous namespace)::isr_common(int, char const*)");
  EXPECT_EQ(lookup_name(t, 0x00100020), "quartz::kernel_main()");  // sorted before its alias
  EXPECT_EQ(lookup_name(t, 0x00100045),
            "void quartz::List<quartz::Task>::push_back(quartz::Task&)");
  EXPECT_EQ(lookup_name(t, 0x0010006f), "weak_label");
  EXPECT_EQ(lookup_name(t, 0x00100070), "<none>");  // the data symbol is not in the table
  EXPECT_EQ(lookup_name(t, 0x0010020f), "operator new(unsigned int)");
  uint32_t addr = 0;
  EXPECT_TRUE(t.find("last_label", &addr));
  EXPECT_EQ(addr, 0x00100300u);
  EXPECT_EQ(lookup_name(t, 0x00100300), "<none>");  // size 0
  EXPECT_FALSE(t.find("quartz::keymap_table", &addr));
}

TEST(GenKsyms, VerifyDetectsStaleBlob) {
  if (!have_python()) GTEST_SKIP() << "python3 not available";
  TempDir dir;
  {
    std::ofstream nm(dir / "nm.txt");
    nm << "00100000 00000010 T a\n00100010 00000010 T b\n";
  }
  std::string gen = "python3 " + script + " --from-nm-output " + (dir / "nm.txt") + " ";
  ASSERT_EQ(run(gen + (dir / "out.bin")), 0);
  EXPECT_EQ(run(gen + "--verify " + (dir / "out.bin")), 0);
  {
    std::ofstream nm(dir / "nm.txt");
    nm << "00100000 00000010 T a\n00100010 00000014 T b\n";
  }
  EXPECT_EQ(run(gen + "--verify " + (dir / "out.bin") + " 2>/dev/null"), 1);
  EXPECT_EQ(run(gen + "--verify " + (dir / "missing.bin") + " 2>/dev/null"), 1);
}

TEST(GenKsyms, RejectsBadInput) {
  if (!have_python()) GTEST_SKIP() << "python3 not available";
  TempDir dir;
  {
    std::ofstream nm(dir / "nm.txt");
    nm << "0000000100000000 0000000000000010 T too_high_for_i686\n";
  }
  EXPECT_EQ(run("python3 " + script + " --from-nm-output " + (dir / "nm.txt") + " " +
                (dir / "out.bin") + " 2>/dev/null"),
            1);
  {
    std::ofstream nm(dir / "nm.txt");
    nm << "this is not nm output\n";
  }
  EXPECT_EQ(run("python3 " + script + " --from-nm-output " + (dir / "nm.txt") + " " +
                (dir / "out.bin") + " 2>/dev/null"),
            1);
  EXPECT_EQ(run("python3 " + script + " --nm /nonexistent/nm x.elf " + (dir / "out.bin") +
                " 2>/dev/null"),
            1);
}

TEST(GenKsyms, RealObjectFromHostCompiler) {
  if (!have_python()) GTEST_SKIP() << "python3 not available";
  if (run("command -v c++ >/dev/null 2>&1 && command -v nm >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "host c++/nm not available";
  }
  TempDir dir;
  {
    std::ofstream src(dir / "syms.cpp");
    src << "namespace quartz_test { int alpha(int a, const char* b) { return a + b[0]; } }\n"
           "static int beta(int x) { return x * 3; }\n"
           "extern \"C\" int gamma_c(int x) { return beta(x) + quartz_test::alpha(x, \"a\"); }\n"
           "template <typename T> T twice(T v) { return v + v; }\n"
           "int use() { return twice(3) + static_cast<int>(twice(2L)); }\n"
           "int data_symbol = 5;\n";
  }
  // Linked (a shared object needs no C runtime), so every section has its own
  // addresses; in a relocatable .o each section would start at 0.
  ASSERT_EQ(
      run("c++ -O0 -fPIC -shared -nostdlib " + (dir / "syms.cpp") + " -o " + (dir / "syms.so")), 0);
  ASSERT_EQ(run("python3 " + script + " --nm nm " + (dir / "syms.so") + " " + (dir / "syms.bin")),
            0);
  EXPECT_EQ(run("python3 " + script + " --verify --nm nm " + (dir / "syms.so") + " " +
                (dir / "syms.bin")),
            0);

  auto blob = read_file(dir.path / "syms.bin");
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  uint32_t alpha = 0, gamma = 0, twice_int = 0, beta = 0;
  EXPECT_TRUE(t.find("quartz_test::alpha(int, char const*)", &alpha));  // demangled
  EXPECT_TRUE(t.find("gamma_c", &gamma));
  EXPECT_TRUE(t.find("beta(int)", &beta));                 // local 't'
  EXPECT_TRUE(t.find("int twice<int>(int)", &twice_int));  // weak 'W'
  EXPECT_FALSE(t.find("data_symbol", nullptr));
  EXPECT_EQ(lookup_name(t, gamma + 1), "gamma_c");
  EXPECT_EQ(lookup_name(t, alpha), "quartz_test::alpha(int, char const*)");

  // Without -C the raw mangled names are kept.
  ASSERT_EQ(run("python3 " + script + " --no-demangle --nm nm " + (dir / "syms.so") + " " +
                (dir / "raw.bin")),
            0);
  auto raw = read_file(dir.path / "raw.bin");
  ASSERT_TRUE(t.init(raw.data(), raw.size()));
  EXPECT_TRUE(t.find("_ZN11quartz_test5alphaEiPKc", nullptr));
}
