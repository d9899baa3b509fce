// Host tests for kernel/lib/elf_module: real i386 objects built by the cross compiler
// (tests/host/fixtures, see tests/host/elf_fixtures.cmake), a golden comparison against
// GNU ld, the malformed-image matrix made by mutating a real object, symbol resolution.
#include "kernel/lib/elf_module.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/lib/ksyms.h"

using namespace quartz;

namespace {

#ifdef QUARTZ_ELF_FIXTURE_DIR
constexpr const char* kFixtureDir = QUARTZ_ELF_FIXTURE_DIR;
constexpr const char* kLd = QUARTZ_I686_LD;
constexpr const char* kObjcopy = QUARTZ_I686_OBJCOPY;
#else
constexpr const char* kFixtureDir = "";
constexpr const char* kLd = "";
constexpr const char* kObjcopy = "";
#endif

constexpr uint32_t kTextAddr = 0xC0800000;
constexpr uint32_t kDataAddr = 0xC0A00000;

// The kernel "exports" the golden fixture imports.
const std::map<std::string, uint32_t> kKernelExports = {
    {"printk", 0xC0101230},
    {"kernel_ticks", 0xC0200040},
};

#define REQUIRE_FIXTURES()                                                             \
  do {                                                                                 \
    if (kFixtureDir[0] == '\0') GTEST_SKIP() << "no i686 cross compiler: no fixtures"; \
  } while (0)

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> fixture(const std::string& name) {
  auto bytes = read_file(std::filesystem::path(kFixtureDir) / (name + ".o"));
  EXPECT_FALSE(bytes.empty()) << "missing fixture " << name;
  return bytes;
}

struct Resolver {
  std::map<std::string, uint32_t> known;
  std::vector<std::string> calls;
};

bool resolve_map(void* ctx, const char* name, uint32_t* addr) {
  auto* r = static_cast<Resolver*>(ctx);
  r->calls.emplace_back(name);
  auto it = r->known.find(name);
  if (it == r->known.end()) return false;
  *addr = it->second;
  return true;
}

// An image run through all three phases into buffers at kTextAddr / kDataAddr.
struct Loaded {
  ElfInfo info;
  ElfLayout layout;
  std::vector<uint8_t> text;
  std::vector<uint8_t> data;
  ElfLoad load;
};

// "" on success, else the error line. Checks that every error is one sane line.
std::string run_loader(const std::vector<uint8_t>& img, Resolver* r, Loaded* out = nullptr,
                       uint32_t max_alloc = kElfDefaultMaxAlloc) {
  Loaded local;
  Loaded& L = out != nullptr ? *out : local;
  ElfError err;
  std::memset(err.msg, 0x55, sizeof err.msg);
  bool ok = elf_validate(img.data(), img.size(), &L.info, &err, max_alloc) &&
            elf_layout(L.info, &L.layout, &err);
  if (ok) {
    L.text.assign(L.layout.text_size, 0xAA);
    L.data.assign(L.layout.data_size, 0xAA);
    L.load = ElfLoad{L.text.data(), kTextAddr, L.data.data(), kDataAddr};
    ok = elf_relocate(L.info, L.layout, L.load, resolve_map, r, &err);
  }
  if (ok) return "";
  size_t len = strnlen(err.msg, sizeof err.msg);
  EXPECT_LT(len, sizeof err.msg) << "message not NUL-terminated";
  std::string msg(err.msg, len);
  EXPECT_FALSE(msg.empty());
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

Resolver kernel_resolver() { return Resolver{kKernelExports, {}}; }

// ---- reading and patching an image in the test (independent of the code under test) ----

struct Img {
  std::vector<uint8_t> b;

  template <typename T>
  T get(size_t off) const {
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
  }
  template <typename T>
  void put(size_t off, const T& v) {
    std::memcpy(b.data() + off, &v, sizeof v);
  }

  Elf32_Ehdr eh() const { return get<Elf32_Ehdr>(0); }
  void set_eh(const Elf32_Ehdr& e) { put(0, e); }
  size_t sh_off(uint32_t i) const { return eh().e_shoff + size_t{i} * sizeof(Elf32_Shdr); }
  Elf32_Shdr sh(uint32_t i) const { return get<Elf32_Shdr>(sh_off(i)); }
  void set_sh(uint32_t i, const Elf32_Shdr& s) { put(sh_off(i), s); }
  uint32_t shnum() const { return eh().e_shnum; }

  const char* name(uint32_t i) const {
    Elf32_Shdr str = sh(eh().e_shstrndx);
    return reinterpret_cast<const char*>(b.data() + str.sh_offset + sh(i).sh_name);
  }
  uint32_t find(const std::string& n) const {
    for (uint32_t i = 1; i < shnum(); ++i)
      if (n == name(i)) return i;
    ADD_FAILURE() << "no section " << n;
    return 0;
  }
  uint32_t symtab() const { return find(".symtab"); }
  uint32_t sym_count() const { return sh(symtab()).sh_size / sizeof(Elf32_Sym); }
  size_t sym_off(uint32_t i) const {
    return sh(symtab()).sh_offset + size_t{i} * sizeof(Elf32_Sym);
  }
  Elf32_Sym sym(uint32_t i) const { return get<Elf32_Sym>(sym_off(i)); }
  void set_sym(uint32_t i, const Elf32_Sym& s) { put(sym_off(i), s); }
  std::string sym_name(uint32_t i) const {
    Elf32_Shdr str = sh(sh(symtab()).sh_link);
    return reinterpret_cast<const char*>(b.data() + str.sh_offset + sym(i).st_name);
  }
  uint32_t find_sym(const std::string& n) const {
    for (uint32_t i = 1; i < sym_count(); ++i)
      if (sym_name(i) == n) return i;
    ADD_FAILURE() << "no symbol " << n;
    return 0;
  }
  size_t rel_off(uint32_t sec, uint32_t j) const {
    return sh(sec).sh_offset + size_t{j} * sizeof(Elf32_Rel);
  }
  Elf32_Rel rel(uint32_t sec, uint32_t j) const { return get<Elf32_Rel>(rel_off(sec, j)); }
  void set_rel(uint32_t sec, uint32_t j, const Elf32_Rel& r) { put(rel_off(sec, j), r); }
};

// ---- the golden comparison with GNU ld ----

std::string hex(uint32_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// Links `name`.o with a script placing each allocated section exactly where our layout put
// it, then compares ld's bytes with ours, section by section, and checks padding is zero.
void golden_compare(const std::string& name, const std::map<std::string, uint32_t>& syms) {
  if (std::string(kLd).find("NOTFOUND") != std::string::npos ||
      std::string(kObjcopy).find("NOTFOUND") != std::string::npos)
    GTEST_SKIP() << "no i686 ld/objcopy";
  Img img{fixture(name)};
  Resolver r{syms, {}};
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");

  auto dir = std::filesystem::temp_directory_path() /
             ("quartz_elf_golden_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string obj = (std::filesystem::path(kFixtureDir) / (name + ".o")).string();
  std::ofstream script(dir / "link.ld");
  script << "SECTIONS {\n";
  std::vector<uint32_t> alloc;
  for (uint32_t i = 1; i < img.shnum(); ++i) {
    if ((img.sh(i).sh_flags & SHF_ALLOC) == 0) continue;
    uint32_t addr = 0;
    ASSERT_TRUE(elf_section_address(L.layout, L.load, i, &addr)) << img.name(i);
    script << "  " << img.name(i) << " " << hex(addr) << " : { *(" << img.name(i) << ") }\n";
    alloc.push_back(i);
  }
  script << "}\n";
  script.close();
  std::string cmd = std::string(kLd) +
                    " -m elf_i386 -z noexecstack --no-warn-rwx-segments -e 0 -T " +
                    (dir / "link.ld").string() + " -o " + (dir / "out.elf").string();
  for (const auto& [s, v] : syms) cmd += " --defsym " + s + "=" + hex(v);
  cmd += " " + obj + " > " + (dir / "ld.log").string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  std::vector<bool> covered_text(L.text.size()), covered_data(L.data.size());
  for (uint32_t i : alloc) {
    Elf32_Shdr sh = img.sh(i);
    uint32_t addr = 0;
    elf_section_address(L.layout, L.load, i, &addr);
    bool in_text = addr >= kTextAddr && addr < kTextAddr + L.text.size();
    const std::vector<uint8_t>& buf = in_text ? L.text : L.data;
    auto& covered = in_text ? covered_text : covered_data;
    uint32_t off = addr - (in_text ? kTextAddr : kDataAddr);
    ASSERT_LE(size_t{off} + sh.sh_size, buf.size()) << img.name(i);
    for (uint32_t k = 0; k < sh.sh_size; ++k) covered[off + k] = true;
    std::vector<uint8_t> ours(buf.begin() + off, buf.begin() + off + sh.sh_size);
    if (sh.sh_type == SHT_NOBITS) {
      EXPECT_EQ(ours, std::vector<uint8_t>(sh.sh_size, 0)) << img.name(i) << " not zeroed";
      continue;
    }
    auto bin = dir / (std::string("sec") + std::to_string(i) + ".bin");
    std::string oc = std::string(kObjcopy) + " -O binary -j " + img.name(i) + " " +
                     (dir / "out.elf").string() + " " + bin.string();
    ASSERT_EQ(std::system(oc.c_str()), 0) << oc;
    EXPECT_EQ(ours, read_file(bin)) << "section " << img.name(i) << " differs from ld's";
  }
  for (size_t k = 0; k < L.text.size(); ++k) {
    if (!covered_text[k]) {
      ASSERT_EQ(L.text[k], 0) << "text padding at " << k;
    }
  }
  for (size_t k = 0; k < L.data.size(); ++k) {
    if (!covered_data[k]) {
      ASSERT_EQ(L.data[k], 0) << "data padding at " << k;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(ElfGolden, MatchesLdByteForByte) {
  REQUIRE_FIXTURES();
  golden_compare("golden", kKernelExports);
}

TEST(ElfGolden, DebugInfoRelocationsSkipped) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden_g")};
  EXPECT_NE(img.find(".rel.debug_info"), 0u);
  golden_compare("golden_g", kKernelExports);
}

TEST(ElfGolden, WeakUndefinedIsZeroLikeLd) {
  REQUIRE_FIXTURES();
  golden_compare("weak", {});
}

TEST(ElfGolden, EhFrameRelocated) {
  REQUIRE_FIXTURES();
  Img img{fixture("ehframe")};
  uint32_t eh = img.find(".eh_frame");
  ASSERT_TRUE(img.sh(eh).sh_flags & SHF_ALLOC);
  golden_compare("ehframe", {{"printk", 0xC0101230}});
}

TEST(ElfGolden, LibgccCallWhenProvided) {
  REQUIRE_FIXTURES();
  golden_compare("udiv", {{"__udivdi3", 0xC0105550}});
}

// ---- layout ----

TEST(ElfLayout, RegionsArePageAlignedAndWxSeparated) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  EXPECT_EQ(L.layout.text_size % kPageSize, 0u);
  EXPECT_EQ(L.layout.text_exec_size % kPageSize, 0u);
  EXPECT_EQ(L.layout.data_size % kPageSize, 0u);
  EXPECT_EQ(L.layout.text_exec_size, 4096u);
  EXPECT_EQ(L.layout.text_size, 8192u);  // .text page, then the .rodata* page
  EXPECT_EQ(L.layout.data_size, 4096u);
  EXPECT_EQ(L.layout.max_align, 16u);
  EXPECT_EQ(L.layout.count, 6u);
  for (uint32_t i = 1; i < img.shnum(); ++i) {
    Elf32_Shdr sh = img.sh(i);
    uint32_t addr = 0;
    bool placed = elf_section_address(L.layout, L.load, i, &addr);
    EXPECT_EQ(placed, (sh.sh_flags & SHF_ALLOC) != 0) << img.name(i);
    if (!placed) continue;
    uint32_t align = sh.sh_addralign == 0 ? 1 : sh.sh_addralign;
    EXPECT_EQ(addr % align, 0u) << img.name(i);
    if (sh.sh_flags & SHF_EXECINSTR) {
      EXPECT_LT(addr, kTextAddr + L.layout.text_exec_size) << img.name(i);
      EXPECT_GE(addr, kTextAddr);
    } else if (sh.sh_flags & SHF_WRITE || sh.sh_type == SHT_NOBITS) {
      EXPECT_GE(addr, kDataAddr) << img.name(i);
      EXPECT_LE(addr + sh.sh_size, kDataAddr + L.layout.data_size);
    } else {  // read-only data: in TEXT, after the executable pages
      EXPECT_GE(addr, kTextAddr + L.layout.text_exec_size) << img.name(i);
      EXPECT_LE(addr + sh.sh_size, kTextAddr + L.layout.text_size);
    }
  }
}

TEST(ElfLayout, MaxAllocIsAParameter) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  EXPECT_EQ(run_loader(img.b, &r, nullptr, 12288), "");
  EXPECT_EQ(run_loader(img.b, &r, nullptr, 8192),
            "module too large: 12288 bytes of sections (max 8192)");
}

// ---- symbols ----

TEST(ElfSymbols, ResolverCalledOnlyForUndefinedNames) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  std::set<std::string> asked(r.calls.begin(), r.calls.end());
  EXPECT_EQ(asked, (std::set<std::string>{"printk", "kernel_ticks"}));

  std::set<std::string> undef;
  elf_for_each_undefined(
      L.info,
      [](void* ctx, const char* name, bool weak) {
        EXPECT_FALSE(weak);
        static_cast<std::set<std::string>*>(ctx)->insert(name);
        return true;
      },
      &undef);
  EXPECT_EQ(undef, asked);
}

TEST(ElfSymbols, UnknownSymbolNamed) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r{{{"printk", 0xC0101230}}, {}};
  EXPECT_EQ(run_loader(img.b, &r), "unknown symbol kernel_ticks");
  Resolver none;
  EXPECT_NE(run_loader(img.b, &none).find("unknown symbol "), std::string::npos);
}

TEST(ElfSymbols, SixtyFourBitDivisionNeedsUdivdi3) {
  REQUIRE_FIXTURES();
  Img img{fixture("udiv")};
  Resolver r = kernel_resolver();
  EXPECT_EQ(run_loader(img.b, &r), "unknown symbol __udivdi3");
}

TEST(ElfSymbols, WeakUndefinedBecomesZero) {
  REQUIRE_FIXTURES();
  Img img{fixture("weak")};
  Resolver r;
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  EXPECT_EQ(r.calls, std::vector<std::string>(r.calls.size(), "optional_hook"));
  EXPECT_FALSE(r.calls.empty()) << "a weak import is still offered to the resolver";
  // hook_ptr in .data holds &optional_hook == 0.
  uint32_t hook = 0;
  ASSERT_TRUE(elf_find_symbol(L.info, L.layout, L.load, "hook_ptr", &hook));
  uint32_t v;
  std::memcpy(&v, L.data.data() + (hook - kDataAddr), 4);
  EXPECT_EQ(v, 0u);
  // When a provider exists, the same reference gets its address.
  Resolver provided{{{"optional_hook", 0xC0123450}}, {}};
  ASSERT_EQ(run_loader(img.b, &provided, &L), "");
  std::memcpy(&v, L.data.data() + (hook - kDataAddr), 4);
  EXPECT_EQ(v, 0xC0123450u);
  bool saw_weak = false;
  elf_for_each_undefined(
      L.info,
      [](void* ctx, const char*, bool weak) {
        *static_cast<bool*>(ctx) = weak;
        return true;
      },
      &saw_weak);
  EXPECT_TRUE(saw_weak);
}

TEST(ElfSymbols, AbsoluteSymbols) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  uint32_t a = 0;
  ASSERT_TRUE(elf_find_symbol(L.info, L.layout, L.load, "abs_marker", &a));
  EXPECT_EQ(a, 0x12345678u);

  // Turn the import kernel_ticks into an SHN_ABS symbol: no resolver call, and every
  // reference gets the value, exactly as ld does with --defsym.
  Img abs = img;
  uint32_t k = abs.find_sym("kernel_ticks");
  Elf32_Sym s = abs.sym(k);
  s.st_shndx = SHN_ABS;
  s.st_value = 0x5000;
  abs.set_sym(k, s);
  Resolver r2 = kernel_resolver();
  Loaded L2;
  ASSERT_EQ(run_loader(abs.b, &r2, &L2), "");
  for (const auto& c : r2.calls) EXPECT_NE(c, "kernel_ticks");
  // .rel.text entry 1 patches the load of kernel_ticks (see golden.c's thrice()).
  uint32_t rt = abs.find(".rel.text");
  Elf32_Rel rel = abs.rel(rt, 1);
  ASSERT_EQ(elf32_r_sym(rel.r_info), k);
  uint32_t addend = img.get<uint32_t>(img.sh(img.find(".text")).sh_offset + rel.r_offset);
  uint32_t got;
  std::memcpy(&got, L2.text.data() + rel.r_offset, 4);  // .text is at text offset 0
  EXPECT_EQ(got, 0x5000u + addend);
}

TEST(ElfSymbols, HelpersFindEntryPointsExportsAndSections) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  uint32_t init = 0, cleanup = 0;
  ASSERT_TRUE(elf_find_symbol(L.info, L.layout, L.load, "init_module", &init));
  ASSERT_TRUE(elf_find_symbol(L.info, L.layout, L.load, "cleanup_module", &cleanup));
  EXPECT_EQ(init, kTextAddr + img.sym(img.find_sym("init_module")).st_value);
  EXPECT_EQ(cleanup, kTextAddr + img.sym(img.find_sym("cleanup_module")).st_value);
  EXPECT_FALSE(elf_find_symbol(L.info, L.layout, L.load, "twice", nullptr)) << "static: not global";
  EXPECT_FALSE(elf_find_symbol(L.info, L.layout, L.load, "printk", nullptr)) << "undefined";

  std::map<std::string, uint32_t> globals;
  elf_for_each_defined_global(
      L.info, L.layout, L.load,
      [](void* ctx, const char* name, uint32_t addr, uint8_t) {
        (*static_cast<std::map<std::string, uint32_t>*>(ctx))[name] = addr;
        return true;
      },
      &globals);
  std::set<std::string> names;
  for (const auto& [n, a] : globals) names.insert(n);
  EXPECT_EQ(names, (std::set<std::string>{"abs_user", "init_module", "cleanup_module",
                                          "initialized_global", "zeroed_global", "greeting", "ops",
                                          "messages"}));
  EXPECT_EQ(globals["init_module"], init);
  EXPECT_GE(globals["zeroed_global"], kDataAddr);

  uint32_t rod = elf_find_section(L.info, ".rodata");
  EXPECT_EQ(rod, img.find(".rodata"));
  EXPECT_STREQ(elf_section_name(L.info, rod), ".rodata");
  EXPECT_EQ(elf_find_section(L.info, ".modinfo"), 0u);
  const uint8_t* bytes = nullptr;
  uint32_t size = 0;
  ASSERT_TRUE(elf_section_data(L.info, elf_find_section(L.info, ".comment"), &bytes, &size));
  EXPECT_NE(std::string(reinterpret_cast<const char*>(bytes), size).find("GCC"), std::string::npos);
  ASSERT_TRUE(elf_section_data(L.info, elf_find_section(L.info, ".bss"), &bytes, &size));
  EXPECT_EQ(bytes, nullptr);
  EXPECT_EQ(size, 8u);
}

TEST(ElfSymbols, SymbolBlobNamesFaultAddresses) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  uint32_t thrice = kTextAddr + img.sym(img.find_sym("thrice")).st_value;
  uint32_t ops = 0;
  ASSERT_TRUE(elf_find_symbol(L.info, L.layout, L.load, "ops", &ops));
  size_t need = elf_symbol_blob_size(L.info, L.layout);
  std::vector<uint8_t> blob(need);
  EXPECT_EQ(elf_write_symbol_blob(L.info, L.layout, L.load, blob.data(), need - 1), 0u);
  ASSERT_EQ(elf_write_symbol_blob(L.info, L.layout, L.load, blob.data(), blob.size()), need);
  // The image is freed after loading: the blob must hold its own names.
  std::fill(img.b.begin(), img.b.end(), 0xEE);
  SymbolTable t;
  ASSERT_TRUE(t.init(blob.data(), blob.size()));
  EXPECT_EQ(t.count(), 11u);  // 3 static (twice, thrice, counter) + 8 global FUNC/OBJECT
  const char* name = nullptr;
  uint32_t off = 0;
  ASSERT_TRUE(t.lookup(thrice + 0x5, &name, &off));
  EXPECT_STREQ(name, "thrice");
  EXPECT_EQ(off, 5u);
  ASSERT_TRUE(t.lookup(ops + 4, &name, &off));
  EXPECT_STREQ(name, "ops");
  EXPECT_FALSE(t.lookup(kTextAddr + L.layout.text_size + 100, &name, &off));
}

TEST(ElfRelocate, RefusesInconsistentArguments) {
  REQUIRE_FIXTURES();
  Img golden{fixture("golden")};
  Img weak{fixture("weak")};
  Resolver r = kernel_resolver();
  Loaded G, W;
  ASSERT_EQ(run_loader(golden.b, &r, &G), "");
  ASSERT_EQ(run_loader(weak.b, &r, &W), "");
  ElfError err;
  // A layout computed for another image.
  EXPECT_FALSE(elf_relocate(G.info, W.layout, G.load, resolve_map, &r, &err));
  EXPECT_STREQ(err.msg, "layout does not match the image");
  // Missing buffers, misaligned or wrapping addresses.
  ElfLoad no_text{nullptr, kTextAddr, G.data.data(), kDataAddr};
  EXPECT_FALSE(elf_relocate(G.info, G.layout, no_text, resolve_map, &r, &err));
  EXPECT_STREQ(err.msg, "no buffer for a region of the layout");
  ElfLoad odd{G.text.data(), kTextAddr + 16, G.data.data(), kDataAddr};
  EXPECT_FALSE(elf_relocate(G.info, G.layout, odd, resolve_map, &r, &err));
  EXPECT_STREQ(err.msg, "load addresses 0xc0800010/0xc0a00000 not page-aligned");
  ElfLoad top{G.text.data(), 0xFFFFF000, G.data.data(), kDataAddr};
  EXPECT_FALSE(elf_relocate(G.info, G.layout, top, resolve_map, &r, &err));
  EXPECT_STREQ(err.msg, "load addresses wrap around 4 GiB");
  // An unvalidated ElfInfo.
  ElfInfo blank;
  ElfLayout layout;
  EXPECT_FALSE(elf_layout(blank, &layout, &err));
  EXPECT_FALSE(elf_relocate(blank, G.layout, G.load, resolve_map, &r, &err));
}

// ---- compiler output we refuse, from the real toolchain ----

TEST(ElfRefused, PicCodeNamesTheRelocationType) {
  REQUIRE_FIXTURES();
  Img img{fixture("pic")};
  Resolver r = kernel_resolver();
  EXPECT_EQ(run_loader(img.b, &r),
            "unsupported relocation type 10 (R_386_GOTPC) in .rel.text: build with -fno-pic");
}

TEST(ElfRefused, CommonSymbolWithHint) {
  REQUIRE_FIXTURES();
  Img img{fixture("common")};
  Resolver r = kernel_resolver();
  EXPECT_EQ(run_loader(img.b, &r), "symbol uninit_global is COMMON: build with -fno-common");
}

// ---- C++ constructors: .init_array / .fini_array ----

uint32_t loaded_addr(const Loaded& L, const Img& img, const std::string& sym) {
  Elf32_Sym s = img.sym(img.find_sym(sym));
  uint32_t sec = 0;
  EXPECT_TRUE(elf_section_address(L.layout, L.load, s.st_shndx, &sec)) << sym;
  return sec + s.st_value;
}

std::vector<uint32_t> ctors_of(const Loaded& L, bool fini) {
  std::vector<uint32_t> out;
  elf_for_each_ctor(
      L.info, L.layout, L.load, fini,
      [](void* ctx, uint32_t f) { static_cast<std::vector<uint32_t>*>(ctx)->push_back(f); }, &out);
  return out;
}

TEST(ElfCtors, InitArrayInPriorityOrderFiniArrayReversed) {
  REQUIRE_FIXTURES();
  Img img{fixture("ctors")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  ElfError err;
  ASSERT_TRUE(elf_check_ctors(L.info, L.layout, L.load, &err)) << err.msg;
  // constructor(200) first, then the plain ones in declaration order.
  EXPECT_EQ(ctors_of(L, false),
            (std::vector<uint32_t>{loaded_addr(L, img, "early"), loaded_addr(L, img, "first"),
                                   loaded_addr(L, img, "second")}));
  // Destructors in the reverse order of their registration.
  EXPECT_EQ(ctors_of(L, true), (std::vector<uint32_t>{loaded_addr(L, img, "before_last"),
                                                      loaded_addr(L, img, "last")}));
}

TEST(ElfCtors, NoArraysNoCalls) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  ElfError err;
  EXPECT_TRUE(elf_check_ctors(L.info, L.layout, L.load, &err)) << err.msg;
  EXPECT_TRUE(ctors_of(L, false).empty());
  EXPECT_TRUE(ctors_of(L, true).empty());
}

// Renames section `from` to `to` (not longer) in the section name table.
void rename_section(Img& img, const std::string& from, const char* to) {
  uint32_t i = img.find(from);
  char* name = const_cast<char*>(img.name(i));
  std::memset(name, 0, from.size());
  std::memcpy(name, to, std::strlen(to));
}

TEST(ElfCtors, OldCtorsAndPreinitRefusedNamingTheSection) {
  REQUIRE_FIXTURES();
  for (const char* old : {".ctors", ".dtors"}) {
    Img img{fixture("ctors")};
    rename_section(img, ".init_array", old);
    Elf32_Shdr sh = img.sh(img.find(old));
    sh.sh_type = SHT_PROGBITS;  // what old toolchains emitted
    img.set_sh(img.find(old), sh);
    Resolver r = kernel_resolver();
    Loaded L;
    ASSERT_EQ(run_loader(img.b, &r, &L), "");
    ElfError err;
    EXPECT_FALSE(elf_check_ctors(L.info, L.layout, L.load, &err));
    EXPECT_NE(std::string(err.msg).find(old), std::string::npos) << err.msg;
    EXPECT_NE(std::string(err.msg).find(".init_array"), std::string::npos) << err.msg;
  }
  Img img{fixture("ctors")};
  Elf32_Shdr sh = img.sh(img.find(".init_array"));
  sh.sh_type = SHT_PREINIT_ARRAY;
  img.set_sh(img.find(".init_array"), sh);
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  ElfError err;
  EXPECT_FALSE(elf_check_ctors(L.info, L.layout, L.load, &err));
  EXPECT_NE(std::string(err.msg).find("preinit"), std::string::npos) << err.msg;
}

TEST(ElfCtors, EntryOutsideTheModuleCodeRefused) {
  REQUIRE_FIXTURES();
  Img img{fixture("ctors")};
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  uint32_t addr = 0;
  ASSERT_TRUE(elf_section_address(L.layout, L.load, img.find(".fini_array"), &addr));
  ASSERT_GE(addr, kDataAddr);
  for (uint32_t bad : {0u, kDataAddr, kTextAddr + L.layout.text_exec_size, 0xC0100000u}) {
    std::memcpy(L.data.data() + (addr - kDataAddr) + 4, &bad, 4);
    ElfError err;
    EXPECT_FALSE(elf_check_ctors(L.info, L.layout, L.load, &err)) << std::hex << bad;
    EXPECT_NE(std::string(err.msg).find("entry 1"), std::string::npos) << err.msg;
  }
}

TEST(ElfCtors, SizeNotAMultipleOfFourRefused) {
  REQUIRE_FIXTURES();
  Img img{fixture("ctors")};
  Elf32_Shdr sh = img.sh(img.find(".init_array.00200"));
  sh.sh_size = 6;
  img.set_sh(img.find(".init_array.00200"), sh);
  Resolver r = kernel_resolver();
  Loaded L;
  ASSERT_EQ(run_loader(img.b, &r, &L), "");
  ElfError err;
  EXPECT_FALSE(elf_check_ctors(L.info, L.layout, L.load, &err));
  EXPECT_NE(std::string(err.msg).find("multiple of 4"), std::string::npos) << err.msg;
}

TEST(ElfRefused, NullAndEmpty) {
  ElfInfo info;
  ElfError err;
  EXPECT_FALSE(elf_validate(nullptr, 100, &info, &err));
  EXPECT_STREQ(err.msg, "truncated: 0 bytes, the ELF header needs 52");
  uint8_t one = 0x7f;
  EXPECT_FALSE(elf_validate(&one, 0, &info, nullptr));  // err may be null
}

// ---- the malformed matrix: each mutation of the real golden object fails with its line ----

struct Mutation {
  const char* name;
  std::function<void(Img&)> mutate;
  const char* expect;  // substring of the error
};

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.name; }

void set_field(Img& m, const char* sec, const std::function<void(Elf32_Shdr&)>& f) {
  uint32_t i = m.find(sec);
  Elf32_Shdr s = m.sh(i);
  f(s);
  m.set_sh(i, s);
}

void set_header(Img& m, const std::function<void(Elf32_Ehdr&)>& f) {
  Elf32_Ehdr e = m.eh();
  f(e);
  m.set_eh(e);
}

void set_rel0(Img& m, const std::function<void(Elf32_Rel&)>& f) {
  uint32_t rt = m.find(".rel.text");
  Elf32_Rel r = m.rel(rt, 0);
  f(r);
  m.set_rel(rt, 0, r);
}

void set_symbol(Img& m, const char* name, const std::function<void(Elf32_Sym&)>& f) {
  uint32_t i = m.find_sym(name);
  Elf32_Sym s = m.sym(i);
  f(s);
  m.set_sym(i, s);
}

std::vector<Mutation> matrix() {
  auto truncate = [](size_t n) { return [n](Img& m) { m.b.resize(std::min(n, m.b.size())); }; };
  return {
      {"truncated_0", truncate(0), "truncated: 0 bytes, the ELF header needs 52"},
      {"truncated_1", truncate(1), "truncated: 1 bytes"},
      {"truncated_51", truncate(51), "truncated: 51 bytes"},
      {"truncated_52", truncate(52), "section table (offset 0x"},
      {"truncated_mid_table", [](Img& m) { m.b.resize(m.eh().e_shoff + 5 * 40 + 20); },
       "outside the file"},
      {"truncated_last_byte", [](Img& m) { m.b.pop_back(); }, "section table"},
      {"bad_magic", [](Img& m) { m.b[1] = 'X'; }, "not an ELF file (bad magic)"},
      {"class64", [](Img& m) { m.b[EI_CLASS] = 2; },
       "not a 32-bit ELF file (EI_CLASS 2, expected ELFCLASS32 1)"},
      {"big_endian", [](Img& m) { m.b[EI_DATA] = 2; }, "not little-endian (EI_DATA 2"},
      {"ident_version", [](Img& m) { m.b[EI_VERSION] = 0; }, "bad ELF version 0 in e_ident"},
      {"e_version", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_version = 2; }); },
       "bad ELF version 2"},
      {"type_exec", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_type = 2; }); },
       "not a relocatable object (e_type 2, expected ET_REL 1)"},
      {"type_dyn", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_type = 3; }); }, "e_type 3"},
      {"machine_x86_64", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_machine = 62; }); },
       "wrong machine 62 (expected EM_386 3)"},
      {"ehsize", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_ehsize = 64; }); },
       "bad e_ehsize 64"},
      {"shentsize_64", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shentsize = 64; }); },
       "bad e_shentsize 64 (expected 40)"},
      {"shentsize_0", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shentsize = 0; }); },
       "bad e_shentsize 0"},
      {"shoff_past_end",
       [](Img& m) {
         set_header(m, [&](Elf32_Ehdr& e) { e.e_shoff = static_cast<uint32_t>(m.b.size()); });
       },
       "outside the file"},
      {"shoff_overflow",
       [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shoff = 0xFFFFFFF0; }); },
       "section table (offset 0xfffffff0"},
      {"shnum_0", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shnum = 0; }); },
       "no section table"},
      {"shnum_reserved", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shnum = 0xff00; }); },
       "too many sections"},
      {"shnum_past_end", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shnum = 200; }); },
       "200 entries) outside the file"},
      {"section0_not_null",
       [](Img& m) {
         Elf32_Shdr s = m.sh(0);
         s.sh_type = SHT_PROGBITS;
         m.set_sh(0, s);
       },
       "section 0 is not the null section"},
      {"sh_offset_overflow",
       [](Img& m) { set_field(m, ".text", [](Elf32_Shdr& s) { s.sh_offset = 0xFFFFFFF0; }); },
       "section 1: data (offset 0xfffffff0, size 0xa1) outside the file"},
      {"sh_size_past_end",
       [](Img& m) { set_field(m, ".data", [](Elf32_Shdr& s) { s.sh_size = 0x7FFFFFFF; }); },
       "size 0x7fffffff) outside the file"},
      {"shstrndx_out_of_range",
       [](Img& m) {
         set_header(m, [&](Elf32_Ehdr& e) { e.e_shstrndx = static_cast<uint16_t>(e.e_shnum); });
       },
       "bad e_shstrndx 15 (15 sections)"},
      {"shstrndx_0", [](Img& m) { set_header(m, [](Elf32_Ehdr& e) { e.e_shstrndx = 0; }); },
       "bad e_shstrndx 0"},
      {"shstrndx_not_strtab",
       [](Img& m) {
         set_header(m, [&](Elf32_Ehdr& e) { e.e_shstrndx = static_cast<uint16_t>(m.symtab()); });
       },
       "is not SHT_STRTAB"},
      {"shstrtab_unterminated",
       [](Img& m) {
         Elf32_Shdr s = m.sh(m.eh().e_shstrndx);
         m.b[s.sh_offset + s.sh_size - 1] = 'x';
       },
       "section name table (section 14) not NUL-terminated"},
      {"strtab_unterminated",
       [](Img& m) {
         Elf32_Shdr s = m.sh(m.find(".strtab"));
         m.b[s.sh_offset + s.sh_size - 1] = 'x';
       },
       "string table .strtab not NUL-terminated"},
      {"section_name_out_of_range",
       [](Img& m) {
         uint32_t size = m.sh(m.eh().e_shstrndx).sh_size;
         set_field(m, ".data", [&](Elf32_Shdr& s) { s.sh_name = size; });
       },
       "section 3: name offset 0x77 outside the section name table"},
      {"symbol_name_out_of_range",
       [](Img& m) { set_symbol(m, "printk", [](Elf32_Sym& s) { s.st_name = 0x100000; }); },
       "name offset 0x100000 outside .strtab"},
      {"no_symtab",
       [](Img& m) { set_field(m, ".symtab", [](Elf32_Shdr& s) { s.sh_type = SHT_PROGBITS; }); },
       "no symbol table (SHT_SYMTAB)"},
      {"two_symtabs",
       [](Img& m) { set_field(m, ".comment", [](Elf32_Shdr& s) { s.sh_type = SHT_SYMTAB; }); },
       "two symbol tables (sections 10 and 12)"},
      {"symtab_entsize",
       [](Img& m) { set_field(m, ".symtab", [](Elf32_Shdr& s) { s.sh_entsize = 24; }); },
       "symbol table .symtab: bad sh_entsize 24"},
      {"symtab_size",
       [](Img& m) { set_field(m, ".symtab", [](Elf32_Shdr& s) { s.sh_size -= 3; }); },
       "not a multiple of 16"},
      {"symtab_link", [](Img& m) { set_field(m, ".symtab", [](Elf32_Shdr& s) { s.sh_link = 1; }); },
       "sh_link 1 is not a string table"},
      {"symtab_link_out_of_range",
       [](Img& m) { set_field(m, ".symtab", [](Elf32_Shdr& s) { s.sh_link = 999; }); },
       "sh_link 999 is not a string table"},
      {"symbol_shndx_out_of_range",
       [](Img& m) { set_symbol(m, "init_module", [](Elf32_Sym& s) { s.st_shndx = 15; }); },
       "symbol init_module: section index 15 out of range (15 sections)"},
      {"symbol_shndx_reserved",
       [](Img& m) { set_symbol(m, "init_module", [](Elf32_Sym& s) { s.st_shndx = SHN_XINDEX; }); },
       "symbol init_module: unsupported special section index 0xffff"},
      {"symbol_common",
       [](Img& m) {
         set_symbol(m, "zeroed_global", [](Elf32_Sym& s) { s.st_shndx = SHN_COMMON; });
       },
       "symbol zeroed_global is COMMON: build with -fno-common"},
      {"symbol_value_past_section",
       [](Img& m) { set_symbol(m, "ops", [](Elf32_Sym& s) { s.st_value = 0x1000; }); },
       "symbol ops: value 0x1000 past the end of .data (size 0x10)"},
      {"reloc_symbol_index",
       [](Img& m) {
         uint32_t n = m.sym_count();
         set_rel0(m, [n](Elf32_Rel& r) { r.r_info = elf32_r_info(n, R_386_32); });
       },
       "relocation 0 in .rel.text: symbol index 20 out of range (20 symbols)"},
      {"reloc_symbol_index_max",
       [](Img& m) {
         set_rel0(m, [](Elf32_Rel& r) { r.r_info = elf32_r_info(0xFFFFFF, R_386_PC32); });
       },
       "symbol index 16777215 out of range"},
      {"reloc_offset_past_section",
       [](Img& m) { set_rel0(m, [](Elf32_Rel& r) { r.r_offset = 0xa1 - 3; }); },
       "relocation 0 in .rel.text: offset 0x9e past the end of .text (size 0xa1)"},
      {"reloc_offset_overflow",
       [](Img& m) { set_rel0(m, [](Elf32_Rel& r) { r.r_offset = 0xFFFFFFFE; }); },
       "offset 0xfffffffe past the end of .text"},
      {"reloc_type_gotpc",
       [](Img& m) {
         set_rel0(m, [](Elf32_Rel& r) { r.r_info = elf32_r_info(elf32_r_sym(r.r_info), 10); });
       },
       "unsupported relocation type 10 (R_386_GOTPC) in .rel.text: build with -fno-pic"},
      {"reloc_type_got32x",
       [](Img& m) {
         set_rel0(m, [](Elf32_Rel& r) { r.r_info = elf32_r_info(elf32_r_sym(r.r_info), 43); });
       },
       "unsupported relocation type 43 (R_386_GOT32X) in .rel.text: build with -fno-pic"},
      {"reloc_type_16",
       [](Img& m) {
         set_rel0(m, [](Elf32_Rel& r) { r.r_info = elf32_r_info(elf32_r_sym(r.r_info), 20); });
       },
       "unsupported relocation type 20 (R_386_16) in .rel.text"},
      {"reloc_type_unknown",
       [](Img& m) {
         set_rel0(m, [](Elf32_Rel& r) { r.r_info = elf32_r_info(elf32_r_sym(r.r_info), 200); });
       },
       "unsupported relocation type 200 in .rel.text"},
      {"rel_entsize",
       [](Img& m) { set_field(m, ".rel.text", [](Elf32_Shdr& s) { s.sh_entsize = 12; }); },
       "section .rel.text: bad sh_entsize 12 (expected 8)"},
      {"rel_size", [](Img& m) { set_field(m, ".rel.data", [](Elf32_Shdr& s) { s.sh_size = 20; }); },
       "section .rel.data: size 0x14 is not a multiple of 8"},
      {"rel_link", [](Img& m) { set_field(m, ".rel.text", [](Elf32_Shdr& s) { s.sh_link = 13; }); },
       "section .rel.text: sh_link 13 is not the symbol table (12)"},
      {"rel_info_out_of_range",
       [](Img& m) { set_field(m, ".rel.text", [](Elf32_Shdr& s) { s.sh_info = 77; }); },
       "section .rel.text: sh_info 77 is not a valid section"},
      {"rel_targets_bss",
       [](Img& m) {
         uint32_t bss = m.find(".bss");
         set_field(m, ".rel.data", [bss](Elf32_Shdr& s) { s.sh_info = bss; });
       },
       "section .rel.data: relocates SHT_NOBITS section .bss"},
      {"rel_symbol_in_unloaded_section",
       [](Img& m) {
         uint32_t comment = m.find(".comment");
         set_symbol(m, "kernel_ticks",
                    [comment](Elf32_Sym& s) { s.st_shndx = static_cast<uint16_t>(comment); });
       },
       "symbol kernel_ticks is in unloaded section .comment"},
      {"rela",
       [](Img& m) { set_field(m, ".rel.text", [](Elf32_Shdr& s) { s.sh_type = SHT_RELA; }); },
       "section .rel.text: SHT_RELA is not used on i386 (expected SHT_REL)"},
      {"align_3", [](Img& m) { set_field(m, ".data", [](Elf32_Shdr& s) { s.sh_addralign = 3; }); },
       "section 3: alignment 3 is not a power of two"},
      {"align_8192",
       [](Img& m) { set_field(m, ".text", [](Elf32_Shdr& s) { s.sh_addralign = 8192; }); },
       "section .text: alignment 8192 exceeds the page size (4096)"},
      {"huge_bss",
       [](Img& m) { set_field(m, ".bss", [](Elf32_Shdr& s) { s.sh_size = 0x7FFFFFFF; }); },
       "module too large: 2147495936 bytes of sections (max 4194304)"},
      {"huge_bss_max",
       [](Img& m) { set_field(m, ".bss", [](Elf32_Shdr& s) { s.sh_size = 0xFFFFFFFF; }); },
       "module too large"},
      {"writable_and_executable",
       [](Img& m) { set_field(m, ".data", [](Elf32_Shdr& s) { s.sh_flags |= SHF_EXECINSTR; }); },
       "section .data is both writable and executable"},
      {"alloc_strtab",
       [](Img& m) { set_field(m, ".strtab", [](Elf32_Shdr& s) { s.sh_flags |= SHF_ALLOC; }); },
       "section .strtab: SHF_ALLOC section of unsupported type 3"},
      {"hostile_symbol_name",
       [](Img& m) {
         Elf32_Shdr str = m.sh(m.find(".strtab"));
         m.b[str.sh_offset + m.sym(m.find_sym("kernel_ticks")).st_name] = '\n';
       },
       "unknown symbol ?ernel_ticks"},
      {"symtab_shndx",
       [](Img& m) {
         set_field(m, ".comment", [](Elf32_Shdr& s) { s.sh_type = SHT_SYMTAB_SHNDX; });
       },
       "extended section indices are not supported"},
  };
}

class ElfMalformed : public ::testing::TestWithParam<Mutation> {};

TEST_P(ElfMalformed, RefusedWithItsReason) {
  REQUIRE_FIXTURES();
  Img pristine{fixture("golden")};
  Resolver r0 = kernel_resolver();
  ASSERT_EQ(run_loader(pristine.b, &r0), "") << "the unmutated fixture must load";
  Img m = pristine;
  GetParam().mutate(m);
  Resolver r = kernel_resolver();
  std::string msg = run_loader(m.b, &r);
  EXPECT_NE(msg.find(GetParam().expect), std::string::npos) << "got: \"" << msg << "\"";
}

INSTANTIATE_TEST_SUITE_P(Elf, ElfMalformed, ::testing::ValuesIn(matrix()),
                         [](const ::testing::TestParamInfo<Mutation>& i) {
                           return std::string(i.param.name);
                         });

// Every prefix of every fixture, and every single-byte corruption of the golden object:
// no crash (ASan/UBSan watch), and every refusal is one line.
TEST(ElfMalformedSweep, EveryTruncationRefused) {
  REQUIRE_FIXTURES();
  for (const char* name : {"golden", "golden_g", "weak", "udiv", "ehframe", "pic", "common"}) {
    Img img{fixture(name)};
    for (size_t n = 0; n < img.b.size(); ++n) {
      std::vector<uint8_t> cut(img.b.begin(), img.b.begin() + n);
      Resolver r = kernel_resolver();
      ASSERT_NE(run_loader(cut, &r), "") << name << " truncated to " << n;
    }
  }
}

TEST(ElfMalformedSweep, EveryByteCorruptionIsSafe) {
  REQUIRE_FIXTURES();
  Img img{fixture("golden")};
  size_t refused = 0;
  for (size_t k = 0; k < img.b.size(); ++k) {
    for (uint8_t x : {0x01, 0x80, 0xFF}) {
      std::vector<uint8_t> m = img.b;
      m[k] ^= x;
      Resolver r = kernel_resolver();
      Loaded L;
      if (run_loader(m, &r, &L) != "") {
        ++refused;
        continue;
      }
      // Accepted: the layout still fits the cap and the buffers it asked for.
      EXPECT_LE(uint64_t{L.layout.text_size} + L.layout.data_size, kElfDefaultMaxAlloc);
    }
  }
  EXPECT_GT(refused, 0u);
}

}  // namespace

TEST(ElfModuleName, FromTheFileSymbolTheCompilerWrote) {
  Img img{fixture("golden")};
  ElfInfo info;
  ElfError err;
  ASSERT_TRUE(elf_validate(img.b.data(), img.b.size(), &info, &err)) << err.msg;
  char name[32];
  ASSERT_TRUE(elf_module_name(info, name, sizeof name));
  EXPECT_STREQ(name, "golden");  // golden.c
  char tiny[4];
  EXPECT_FALSE(elf_module_name(info, tiny, sizeof tiny));  // "golden" does not fit
}

TEST(ElfModuleName, NoneWithoutAFileSymbol) {
  Img img{fixture("golden")};
  ElfInfo info;
  ElfError err;
  ASSERT_TRUE(elf_validate(img.b.data(), img.b.size(), &info, &err)) << err.msg;
  // Turn every STT_FILE symbol into STT_NOTYPE: a stripped-like module has no name.
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    uint8_t* st_info = img.b.data() + info.symoff + i * sizeof(Elf32_Sym) + 12;
    if ((*st_info & 0xf) == STT_FILE) *st_info &= 0xf0;
  }
  char name[32];
  EXPECT_FALSE(elf_module_name(info, name, sizeof name));
}
