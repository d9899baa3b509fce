// Host tests for kernel/lib/elf_exec: real executables linked by the cross toolchain
// (tests/host/exec_fixtures.cmake) compared with what readelf says and with their sections'
// bytes, the refused kinds (object, PIE, dynamic, kernel address), every truncation and a
// matrix of mutated header fields.
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/elf_exec.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace quartz;

namespace {

#ifdef QUARTZ_EXEC_FIXTURE_DIR
constexpr const char* kFixtureDir = QUARTZ_EXEC_FIXTURE_DIR;
#else
constexpr const char* kFixtureDir = "";
#endif
#ifdef QUARTZ_I686_READELF
constexpr const char* kReadelf = QUARTZ_I686_READELF;
#else
constexpr const char* kReadelf = "";
#endif

std::vector<uint8_t> fixture(const std::string& name) {
  std::ifstream f(std::filesystem::path(kFixtureDir) / name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Skips the test when the fixture could not be built on this machine.
#define REQUIRE_FIXTURE(var, name)                                                       \
  std::vector<uint8_t> var;                                                              \
  do {                                                                                   \
    if (kFixtureDir[0] == '\0') GTEST_SKIP() << "no i686 cross tools: no fixtures";      \
    var = fixture(name);                                                                 \
    if (var.empty()) GTEST_SKIP() << "fixture " << name << " not built (no cross libc)"; \
  } while (0)

// "" when accepted, else the error line; checks the error contract on the way.
std::string plan_of(const std::vector<uint8_t>& img, ExecPlan* out = nullptr) {
  ExecPlan local;
  ExecPlan& plan = out != nullptr ? *out : local;
  ExecError err;
  std::memset(err.msg, 0x55, sizeof err.msg);
  plan.count = 99;
  int r = elf_exec_plan(img.data(), img.size(), &plan, &err);
  if (r == 0) return "";
  EXPECT_EQ(r, -ENOEXEC);
  EXPECT_EQ(plan.count, 0u) << "a refused image leaves the plan empty";
  size_t len = strnlen(err.msg, sizeof err.msg);
  EXPECT_LT(len, sizeof err.msg);
  std::string msg(err.msg, len);
  EXPECT_FALSE(msg.empty());
  for (char c : msg) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "unprintable byte in: " << msg;
  return msg;
}

template <typename T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}
template <typename T>
void put(std::vector<uint8_t>& b, size_t off, const T& v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

Elf32_Ehdr ehdr(const std::vector<uint8_t>& b) { return get<Elf32_Ehdr>(b, 0); }
size_t ph_off(const std::vector<uint8_t>& b, uint32_t i) {
  return ehdr(b).e_phoff + size_t{i} * sizeof(Elf32_Phdr);
}
Elf32_Phdr phdr(const std::vector<uint8_t>& b, uint32_t i) {
  return get<Elf32_Phdr>(b, ph_off(b, i));
}
void set_phdr(std::vector<uint8_t>& b, uint32_t i, const Elf32_Phdr& p) { put(b, ph_off(b, i), p); }

// ---- the reference: readelf -lW, parsed ----

struct RefSegment {
  uint32_t offset, vaddr, filesz, memsz, flags;
};
struct RefProgram {
  uint32_t entry = 0;
  std::vector<RefSegment> loads;
};

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

RefProgram readelf(const std::string& path) {
  RefProgram ref;
  std::istringstream in(run(std::string(kReadelf) + " -lW " + path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == "Entry") {  // "Entry point 0x40001000"
      std::string point, value;
      words >> point >> value;
      ref.entry = static_cast<uint32_t>(std::stoul(value, nullptr, 16));
    } else if (first == "LOAD") {
      std::string off, va, pa, fs, ms, w;
      words >> off >> va >> pa >> fs >> ms;
      RefSegment s{static_cast<uint32_t>(std::stoul(off, nullptr, 16)),
                   static_cast<uint32_t>(std::stoul(va, nullptr, 16)),
                   static_cast<uint32_t>(std::stoul(fs, nullptr, 16)),
                   static_cast<uint32_t>(std::stoul(ms, nullptr, 16)), 0};
      // Flags are the letters before the alignment ("R E", "RW", "RWE").
      while (words >> w && w.rfind("0x", 0) != 0) {
        for (char c : w) s.flags |= c == 'R' ? PF_R : c == 'W' ? PF_W : c == 'E' ? PF_X : 0;
      }
      ref.loads.push_back(s);
    }
  }
  return ref;
}

// ---- loading a plan into a simulated user address space, as the contract says ----

struct Memory {
  std::map<uint32_t, std::vector<uint8_t>> pages;  // page address -> 4096 bytes
  std::map<uint32_t, uint32_t> rights;

  void load(const std::vector<uint8_t>& img, const ExecPlan& plan) {
    for (uint32_t i = 0; i < plan.count; ++i) {
      const ExecSegment& s = plan.segments[i];
      uint32_t start, end;
      elf_exec_pages(s, &start, &end);
      for (uint64_t p = start; p < end; p += QUARTZ_PAGE_SIZE) {
        EXPECT_EQ(pages.count(static_cast<uint32_t>(p)), 0u) << "page mapped twice";
        pages[static_cast<uint32_t>(p)].assign(QUARTZ_PAGE_SIZE, 0);
        rights[static_cast<uint32_t>(p)] = s.flags;
      }
      for (uint32_t k = 0; k < s.filesz; ++k) *at(s.vaddr + k) = img[s.offset + k];
    }
  }
  uint8_t* at(uint32_t addr) {
    auto it = pages.find(addr & ~(QUARTZ_PAGE_SIZE - 1));
    return it == pages.end() ? nullptr : &it->second[addr & (QUARTZ_PAGE_SIZE - 1)];
  }
};

constexpr uint32_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExec = 0x4, kShfTls = 0x400;

// Every allocated section's bytes are at its address, with rights that allow its use.
void expect_sections_loaded(const std::vector<uint8_t>& img, const ExecPlan& plan) {
  Memory mem;
  mem.load(img, plan);
  Elf32_Ehdr eh = ehdr(img);
  uint32_t checked = 0;
  for (uint32_t i = 1; i < eh.e_shnum; ++i) {
    auto sh = get<Elf32_Shdr>(img, eh.e_shoff + size_t{i} * sizeof(Elf32_Shdr));
    if ((sh.sh_flags & kShfAlloc) == 0 || (sh.sh_flags & kShfTls) != 0 || sh.sh_size == 0) continue;
    for (uint32_t k = 0; k < sh.sh_size; ++k) {
      uint8_t* m = mem.at(sh.sh_addr + k);
      ASSERT_NE(m, nullptr) << "section " << i << " byte " << k << " not mapped";
      uint8_t want = sh.sh_type == SHT_NOBITS ? 0 : img[sh.sh_offset + k];
      ASSERT_EQ(*m, want) << "section " << i << " byte " << k;
    }
    uint32_t r = mem.rights[sh.sh_addr & ~(QUARTZ_PAGE_SIZE - 1)];
    if (sh.sh_flags & kShfExec) {
      EXPECT_TRUE(r & PF_X) << "section " << i;
    }
    if (sh.sh_flags & kShfWrite) {
      EXPECT_TRUE(r & PF_W) << "section " << i;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

void expect_matches_readelf(const std::string& name) {
  std::string path = (std::filesystem::path(kFixtureDir) / name).string();
  std::vector<uint8_t> img = fixture(name);
  ExecPlan plan;
  ASSERT_EQ(plan_of(img, &plan), "");
  RefProgram ref = readelf(path);
  ASSERT_FALSE(ref.loads.empty()) << "readelf printed no LOAD for " << path;
  EXPECT_EQ(plan.entry, ref.entry);
  ASSERT_EQ(plan.count, ref.loads.size());
  uint64_t end = 0;
  for (uint32_t i = 0; i < plan.count; ++i) {
    const ExecSegment& s = plan.segments[i];
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(s.offset, ref.loads[i].offset);
    EXPECT_EQ(s.vaddr, ref.loads[i].vaddr);
    EXPECT_EQ(s.filesz, ref.loads[i].filesz);
    EXPECT_EQ(s.memsz, ref.loads[i].memsz);
    EXPECT_EQ(s.flags, ref.loads[i].flags);
    end = std::max<uint64_t>(end, uint64_t{s.vaddr} + s.memsz);
  }
  EXPECT_EQ(plan.brk, (end + 4095) & ~uint64_t{4095});
  expect_sections_loaded(img, plan);
}

TEST(ElfExec, TinyAsmProgramMatchesReadelf) {
  REQUIRE_FIXTURE(img, "tiny");
  expect_matches_readelf("tiny");
  ExecPlan plan;
  ASSERT_EQ(plan_of(img, &plan), "");
  EXPECT_EQ(plan.entry, 0x40001000u);  // -Ttext=0x40001000
  // The last segment holds .data (4 bytes) and an 8 KiB .bss: brk is past the .bss.
  const ExecSegment& data = plan.segments[plan.count - 1];
  EXPECT_EQ(data.flags, PF_R | PF_W);
  EXPECT_EQ(data.filesz, 4u);
  EXPECT_EQ(data.memsz, 4u + 8192u);
  EXPECT_EQ(plan.brk, (data.vaddr + data.memsz + 4095) & ~4095u);
  uint32_t start, end;
  elf_exec_pages(data, &start, &end);
  EXPECT_EQ(start, data.vaddr & ~4095u);
  EXPECT_EQ(end, plan.brk);
}

TEST(ElfExec, StaticCProgramAtTheUserBaseMatchesReadelf) {
  REQUIRE_FIXTURE(img, "hello_static");
  expect_matches_readelf("hello_static");
}

TEST(ElfExec, RelocatableObjectRefused) {
  REQUIRE_FIXTURE(img, "tiny.o");
  EXPECT_EQ(plan_of(img).rfind("e_type 1 (ET_REL: a relocatable object", 0), 0u) << plan_of(img);
}

TEST(ElfExec, PositionIndependentExecutableRefused) {
  REQUIRE_FIXTURE(img, "hello_pie");
  std::string msg = plan_of(img);
  EXPECT_NE(msg.find("e_type 3 (ET_DYN"), std::string::npos) << msg;
  EXPECT_NE(msg.find("-static -no-pie"), std::string::npos) << msg;
}

TEST(ElfExec, DynamicallyLinkedRefusedNamingTheInterpreter) {
  REQUIRE_FIXTURE(img, "hello_dynamic");
  std::string msg = plan_of(img);
  EXPECT_NE(msg.find("PT_INTERP /lib/ld-linux.so.2: dynamically linked"), std::string::npos) << msg;
  EXPECT_NE(msg.find("static executables only"), std::string::npos) << msg;
}

TEST(ElfExec, ProgramLinkedAtLdsDefaultAddressRefused) {
  REQUIRE_FIXTURE(img, "hello_low");
  std::string msg = plan_of(img);
  EXPECT_NE(msg.find("outside user memory [0x40000000, 0xc0000000)"), std::string::npos) << msg;
}

// Every cut before the end of the last segment's bytes is refused; from there on (section
// headers are not needed to run a program) the plan is the full file's.
TEST(ElfExec, EveryTruncationRefusedUntilTheLastSegmentsBytes) {
  REQUIRE_FIXTURE(img, "tiny");
  ExecPlan full;
  ASSERT_EQ(plan_of(img, &full), "");
  uint32_t needed = 0;
  for (uint32_t i = 0; i < full.count; ++i)
    needed = std::max(needed, full.segments[i].offset + full.segments[i].filesz);
  ASSERT_LT(needed, img.size());
  for (size_t n = 0; n <= img.size(); ++n) {
    std::vector<uint8_t> cut(img.begin(), img.begin() + static_cast<ptrdiff_t>(n));
    ExecPlan plan;
    std::string msg = plan_of(cut, &plan);
    if (n < needed) {
      ASSERT_NE(msg, "") << "accepted at " << n << " bytes";
      bool named = msg.find("truncated") != std::string::npos ||
                   msg.find("outside the file") != std::string::npos ||
                   msg.find("past the end of the file") != std::string::npos;
      ASSERT_TRUE(named) << n << ": " << msg;
    } else {
      ASSERT_EQ(msg, "") << n;
      ASSERT_EQ(std::memcmp(&plan, &full, sizeof plan), 0) << n;
    }
  }
}

// ---- one mutation per field ----

struct Mutation {
  const char* what;
  std::function<void(std::vector<uint8_t>&)> apply;
  const char* expect;  // substring of the error, or "" if the image must still be accepted
};

void set_eh(std::vector<uint8_t>& b, const std::function<void(Elf32_Ehdr&)>& f) {
  Elf32_Ehdr e = ehdr(b);
  f(e);
  put(b, 0, e);
}
// tiny's program headers: 0 = read-only headers page, 1 = text (R E), 2 = data+bss (RW).
void set_ph(std::vector<uint8_t>& b, uint32_t i, const std::function<void(Elf32_Phdr&)>& f) {
  Elf32_Phdr p = phdr(b, i);
  f(p);
  set_phdr(b, i, p);
}

TEST(ElfExec, EveryFieldMutated) {
  REQUIRE_FIXTURE(img, "tiny");
  ExecPlan good;
  ASSERT_EQ(plan_of(img, &good), "");
  ASSERT_EQ(good.count, 3u);
  ASSERT_EQ(phdr(img, 1).p_flags, PF_R | PF_X);
  ASSERT_EQ(phdr(img, 2).p_flags, PF_R | PF_W);
  const Elf32_Phdr text = phdr(img, 1);
  const Elf32_Phdr data = phdr(img, 2);

  const Mutation cases[] = {
      {"magic 0", [&](auto& b) { b[0] = 0x7e; }, "bad magic"},
      {"magic 1", [&](auto& b) { b[1] = 'e'; }, "bad magic"},
      {"magic 3", [&](auto& b) { b[3] = 0; }, "bad magic"},
      {"class 64", [&](auto& b) { b[EI_CLASS] = 2; }, "EI_CLASS 2: not a 32-bit ELF file"},
      {"class 0", [&](auto& b) { b[EI_CLASS] = 0; }, "EI_CLASS 0"},
      {"big endian", [&](auto& b) { b[EI_DATA] = 2; }, "EI_DATA 2: not little-endian"},
      {"ident version", [&](auto& b) { b[EI_VERSION] = 0; }, "EI_VERSION 0"},
      {"osabi (unused)", [&](auto& b) { b[7] = 3; }, ""},
      {"ident padding (unused)", [&](auto& b) { b[12] = 0xff; }, ""},
      {"e_type REL", [&](auto& b) { set_eh(b, [](auto& e) { e.e_type = ET_REL; }); }, "e_type 1"},
      {"e_type DYN", [&](auto& b) { set_eh(b, [](auto& e) { e.e_type = ET_DYN; }); },
       "e_type 3 (ET_DYN"},
      {"e_type CORE", [&](auto& b) { set_eh(b, [](auto& e) { e.e_type = ET_CORE; }); },
       "e_type 4 (ET_CORE: a core dump)"},
      {"e_type NONE", [&](auto& b) { set_eh(b, [](auto& e) { e.e_type = 0; }); }, "e_type 0"},
      {"e_type odd", [&](auto& b) { set_eh(b, [](auto& e) { e.e_type = 0xfe00; }); },
       "e_type 65024 (unknown)"},
      {"e_machine x86-64", [&](auto& b) { set_eh(b, [](auto& e) { e.e_machine = 62; }); },
       "e_machine 62"},
      {"e_version", [&](auto& b) { set_eh(b, [](auto& e) { e.e_version = 2; }); }, "e_version 2"},
      {"e_entry unmapped", [&](auto& b) { set_eh(b, [](auto& e) { e.e_entry = 0x50000000; }); },
       "e_entry 0x50000000 is not inside an executable"},
      {"e_entry in data", [&](auto& b) { set_eh(b, [&](auto& e) { e.e_entry = data.p_vaddr; }); },
       "e_entry"},
      {"e_entry in headers page",
       [&](auto& b) { set_eh(b, [](auto& e) { e.e_entry = 0x40000010; }); }, "e_entry"},
      {"e_entry just past text",
       [&](auto& b) { set_eh(b, [&](auto& e) { e.e_entry = text.p_vaddr + text.p_memsz; }); },
       "e_entry"},
      {"e_entry last text byte",
       [&](auto& b) { set_eh(b, [&](auto& e) { e.e_entry = text.p_vaddr + text.p_memsz - 1; }); },
       ""},
      {"e_phoff past the end", [&](auto& b) { set_eh(b, [](auto& e) { e.e_phoff = 0x100000; }); },
       "e_phoff 0x100000"},
      {"e_phoff wraps", [&](auto& b) { set_eh(b, [](auto& e) { e.e_phoff = 0xfffffff0; }); },
       "outside the file"},
      {"e_phoff misaligned (allowed)",
       [&](auto& b) {
         // Move the table one byte on: the image may be unaligned, the loader copies.
         Elf32_Ehdr e = ehdr(b);
         std::vector<uint8_t> t(b.begin() + e.e_phoff, b.begin() + e.e_phoff + 3 * 32);
         std::copy(t.begin(), t.end(), b.begin() + e.e_phoff + 1);
         e.e_phoff += 1;
         put(b, 0, e);
       },
       ""},
      {"e_ehsize", [&](auto& b) { set_eh(b, [](auto& e) { e.e_ehsize = 64; }); }, "e_ehsize 64"},
      {"e_phentsize", [&](auto& b) { set_eh(b, [](auto& e) { e.e_phentsize = 56; }); },
       "e_phentsize 56"},
      {"e_phnum 0", [&](auto& b) { set_eh(b, [](auto& e) { e.e_phnum = 0; }); },
       "e_phnum 0: no program headers"},
      {"e_phnum huge", [&](auto& b) { set_eh(b, [](auto& e) { e.e_phnum = 0xffff; }); },
       "e_phnum 65535: too many"},
      {"e_phnum fewer", [&](auto& b) { set_eh(b, [](auto& e) { e.e_phnum = 2; }); }, ""},
      {"e_flags (unused)", [&](auto& b) { set_eh(b, [](auto& e) { e.e_flags = 0xffffffff; }); },
       ""},
      {"e_shoff (unused)", [&](auto& b) { set_eh(b, [](auto& e) { e.e_shoff = 0xffffffff; }); },
       ""},
      {"e_shnum (unused)", [&](auto& b) { set_eh(b, [](auto& e) { e.e_shnum = 0xffff; }); }, ""},
      {"e_shentsize (unused)", [&](auto& b) { set_eh(b, [](auto& e) { e.e_shentsize = 1; }); }, ""},
      {"e_shstrndx (unused)", [&](auto& b) { set_eh(b, [](auto& e) { e.e_shstrndx = 0xfff0; }); },
       ""},
      {"p_type INTERP", [&](auto& b) { set_ph(b, 0, [](auto& p) { p.p_type = PT_INTERP; }); },
       "dynamically linked; Quartz runs static executables only"},
      {"p_type NULL on text", [&](auto& b) { set_ph(b, 1, [](auto& p) { p.p_type = PT_NULL; }); },
       "e_entry"},
      {"p_type NOTE on data", [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_type = PT_NOTE; }); },
       ""},
      {"p_type GNU_STACK", [&](auto& b) { set_ph(b, 0, [](auto& p) { p.p_type = PT_GNU_STACK; }); },
       ""},
      {"all PT_NOTE",
       [&](auto& b) {
         for (uint32_t i = 0; i < 3; ++i) set_ph(b, i, [](auto& p) { p.p_type = PT_NOTE; });
       },
       "no PT_LOAD segment"},
      {"p_offset past the end",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_offset = 0x7000; }); },
       "PT_LOAD 2: p_offset 0x7000 + p_filesz 0x4 runs past the end of the file"},
      {"p_offset wraps", [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_offset = 0xfffff000; }); },
       "runs past the end"},
      {"p_filesz past the end",
       [&](auto& b) { set_ph(b, 1, [](auto& p) { p.p_filesz = p.p_memsz = 0x100000; }); },
       "PT_LOAD 1: p_offset 0x1000 + p_filesz 0x100000 runs past"},
      {"p_filesz > p_memsz", [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_memsz = 2; }); },
       "PT_LOAD 2: p_filesz 0x4 is larger than p_memsz 0x2"},
      {"p_memsz 0 and p_filesz 0",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_memsz = p.p_filesz = 0; }); }, ""},
      {"p_vaddr below the user base",
       [&](auto& b) { set_ph(b, 0, [](auto& p) { p.p_vaddr = 0x3ffff000; }); },
       "PT_LOAD 0: p_vaddr 0x3ffff000 p_memsz 0x94 outside user memory"},
      {"p_vaddr in kernel memory",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_vaddr = 0xc0000000; }); },
       "PT_LOAD 2: p_vaddr 0xc0000000"},
      {"p_memsz crosses the limit",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_vaddr = 0xbffff000; }); }, "outside user"},
      {"p_memsz ends exactly at the limit",
       [&](auto& b) {
         set_ph(b, 2, [](auto& p) {
           p.p_vaddr = 0xbfffe000;
           p.p_memsz = 0x2000;
         });
       },
       ""},
      {"p_vaddr + p_memsz wraps",
       [&](auto& b) {
         set_ph(b, 2, [](auto& p) {
           p.p_vaddr = 0xfffff000;
           p.p_memsz = 0x2000;
         });
       },
       "p_vaddr 0xfffff000 + p_memsz 0x2000 wraps around"},
      {"p_vaddr not congruent to p_offset",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_vaddr += 4; }); },
       "differ modulo the page size 4096"},
      {"segments share a page",
       [&](auto& b) { set_ph(b, 2, [&](auto& p) { p.p_vaddr = text.p_vaddr; }); },
       "PT_LOAD 2: p_vaddr 0x40001000 overlaps"},
      {"segments out of order",
       [&](auto& b) {
         Elf32_Phdr a = phdr(b, 1), c = phdr(b, 2);
         set_phdr(b, 1, c);
         set_phdr(b, 2, a);
       },
       "out of order"},
      {"a segment of 512 MiB",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_memsz = 512u << 20; }); },
       "more than 256 MiB"},
      {"p_flags text not executable",
       [&](auto& b) { set_ph(b, 1, [](auto& p) { p.p_flags = PF_R; }); }, "e_entry"},
      {"p_flags extra bits dropped",
       [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_flags |= 0xf0000000; }); }, ""},
      {"p_align (unused)", [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_align = 3; }); }, ""},
      {"p_paddr (unused)", [&](auto& b) { set_ph(b, 2, [](auto& p) { p.p_paddr = 1; }); }, ""},
  };
  for (const Mutation& m : cases) {
    SCOPED_TRACE(m.what);
    std::vector<uint8_t> b = img;
    m.apply(b);
    std::string msg = plan_of(b);
    if (m.expect[0] == '\0') {
      EXPECT_EQ(msg, "");
    } else {
      EXPECT_NE(msg.find(m.expect), std::string::npos) << "got: " << msg;
    }
  }
}

TEST(ElfExec, MutationsTheLoaderIgnoresLeaveThePlanAlone) {
  REQUIRE_FIXTURE(img, "tiny");
  ExecPlan good;
  ASSERT_EQ(plan_of(img, &good), "");
  std::vector<uint8_t> b = img;
  set_eh(b, [](auto& e) {
    e.e_shoff = 1;
    e.e_shnum = 7777;
    e.e_flags = 5;
  });
  set_ph(b, 2, [](auto& p) {
    p.p_align = 7;
    p.p_paddr = 9;
    p.p_flags |= 0x100;
  });
  ExecPlan plan;
  ASSERT_EQ(plan_of(b, &plan), "");
  EXPECT_EQ(std::memcmp(&plan, &good, sizeof plan), 0);
}

// ---- synthetic images: many segments ----

std::vector<uint8_t> synthetic(uint32_t segments, uint32_t memsz = 0x100) {
  const uint32_t phoff = sizeof(Elf32_Ehdr);
  std::vector<uint8_t> b(0x1000 * (segments + 1), 0x90);
  Elf32_Ehdr e{};
  std::memcpy(e.e_ident,
              "\x7f"
              "ELF",
              4);
  e.e_ident[EI_CLASS] = ELFCLASS32;
  e.e_ident[EI_DATA] = ELFDATA2LSB;
  e.e_ident[EI_VERSION] = EV_CURRENT;
  e.e_type = ET_EXEC;
  e.e_machine = EM_386;
  e.e_version = EV_CURRENT;
  e.e_entry = QUARTZ_USER_BASE + 0x1000;
  e.e_phoff = phoff;
  e.e_ehsize = sizeof(Elf32_Ehdr);
  e.e_phentsize = sizeof(Elf32_Phdr);
  e.e_phnum = static_cast<uint16_t>(segments);
  put(b, 0, e);
  for (uint32_t i = 0; i < segments; ++i) {
    Elf32_Phdr p{
        PT_LOAD, 0x1000 * (i + 1), QUARTZ_USER_BASE + 0x1000 * (i + 1), 0, 0x80, memsz, PF_R | PF_X,
        0x1000};
    put(b, phoff + i * sizeof(Elf32_Phdr), p);
  }
  return b;
}

TEST(ElfExec, SegmentCountCapped) {
  ExecPlan plan;
  ASSERT_EQ(plan_of(synthetic(kExecMaxSegments), &plan), "");
  EXPECT_EQ(plan.count, kExecMaxSegments);
  EXPECT_EQ(plan.brk, QUARTZ_USER_BASE + 0x1000 * (kExecMaxSegments + 1));
  EXPECT_NE(plan_of(synthetic(kExecMaxSegments + 1)).find("more than 16 loadable segments"),
            std::string::npos);
}

TEST(ElfExec, TotalMemoryCapped) {
  // 4 segments of 60 MiB each fit below 256 MiB when apart; 5 do not.
  auto spread = [](uint32_t n) {
    std::vector<uint8_t> b = synthetic(n);
    for (uint32_t i = 0; i < n; ++i) {
      Elf32_Phdr p = phdr(b, i);
      p.p_vaddr = QUARTZ_USER_BASE + 0x1000 * (i + 1) + i * (64u << 20);
      p.p_memsz = 60u << 20;
      set_phdr(b, i, p);
    }
    return b;
  };
  EXPECT_EQ(plan_of(spread(4)), "");
  EXPECT_NE(plan_of(spread(5)).find("PT_LOAD 4: the segments need more than 256 MiB"),
            std::string::npos)
      << plan_of(spread(5));
}

TEST(ElfExec, NullAndTinyImagesRefused) {
  ExecPlan plan;
  ExecError err;
  EXPECT_EQ(elf_exec_plan(nullptr, 100, &plan, &err), -ENOEXEC);
  EXPECT_STREQ(err.msg, "truncated: 0 bytes, the ELF header needs 52");
  EXPECT_EQ(elf_exec_plan(reinterpret_cast<const uint8_t*>("#!/bin/sh\n"), 10, &plan, nullptr),
            -ENOEXEC);
  std::vector<uint8_t> script(100, ' ');
  std::memcpy(script.data(), "#!/bin/sh\n", 10);
  EXPECT_NE(plan_of(script).find("not an ELF file (bad magic 23 21 2f 62)"), std::string::npos);
}

TEST(ElfExec, HostileInterpreterNameStaysOneLine) {
  std::vector<uint8_t> b = synthetic(1);
  const char name[] = "/lib/\n\x1b[2Jevil";
  std::memcpy(b.data() + 0x800, name, sizeof name);
  Elf32_Phdr p{PT_INTERP, 0x800, 0, 0, sizeof name, sizeof name, PF_R, 1};
  set_phdr(b, 0, p);
  std::string msg = plan_of(b);
  EXPECT_NE(msg.find("PT_INTERP /lib/??[2Jevil: dynamically linked"), std::string::npos) << msg;
}

}  // namespace
