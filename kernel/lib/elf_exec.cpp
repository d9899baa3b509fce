// Static ELF32 i386 executable validation and load plan (elf_exec.h).
#include "kernel/lib/elf_exec.h"

#include <cstdarg>

#include "kernel/lib/format.h"
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {

constexpr uint64_t kPage = QUARTZ_PAGE_SIZE;
constexpr size_t kEhdrSize = sizeof(Elf32_Ehdr);
constexpr size_t kPhdrSize = sizeof(Elf32_Phdr);

int fail(ExecError* err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
int fail(ExecError* err, const char* fmt, ...) {
  if (err != nullptr) {
    va_list ap;
    va_start(ap, fmt);
    vsnformat(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    make_printable(err->msg);  // the interpreter's name comes from the image
  }
  return -ENOEXEC;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

uint64_t page_down(uint64_t x) { return x & ~(kPage - 1); }
uint64_t page_up(uint64_t x) { return (x + kPage - 1) & ~(kPage - 1); }

const char* type_name(uint16_t type) {
  switch (type) {
    case ET_NONE:
      return "ET_NONE: no file type";
    case ET_REL:
      return "ET_REL: a relocatable object, not linked into an executable";
    case ET_DYN:
      return "ET_DYN: a shared object or position-independent executable; link with -static "
             "-no-pie";
    case ET_CORE:
      return "ET_CORE: a core dump";
    default:
      return "unknown";
  }
}

int check_header(const uint8_t* image, size_t size, Elf32_Ehdr* out, ExecError* err) {
  if (image == nullptr || size < kEhdrSize)
    return fail(err, "truncated: %zu bytes, the ELF header needs %zu", image == nullptr ? 0 : size,
                kEhdrSize);
  Elf32_Ehdr eh = load<Elf32_Ehdr>(image);
  if (eh.e_ident[EI_MAG0] != ELFMAG0 || eh.e_ident[1] != 'E' || eh.e_ident[2] != 'L' ||
      eh.e_ident[3] != 'F')
    return fail(err, "not an ELF file (bad magic %02x %02x %02x %02x)", eh.e_ident[0],
                eh.e_ident[1], eh.e_ident[2], eh.e_ident[3]);
  if (eh.e_ident[EI_CLASS] != ELFCLASS32)
    return fail(err, "EI_CLASS %u: not a 32-bit ELF file (expected ELFCLASS32 1)",
                eh.e_ident[EI_CLASS]);
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail(err, "EI_DATA %u: not little-endian (expected ELFDATA2LSB 1)", eh.e_ident[EI_DATA]);
  if (eh.e_ident[EI_VERSION] != EV_CURRENT)
    return fail(err, "EI_VERSION %u: bad ELF version (expected EV_CURRENT 1)",
                eh.e_ident[EI_VERSION]);
  if (eh.e_machine != EM_386)
    return fail(err, "e_machine %u: not an i386 program (expected EM_386 3)", eh.e_machine);
  if (eh.e_type != ET_EXEC)
    return fail(err, "e_type %u (%s): Quartz runs static executables only (ET_EXEC 2)", eh.e_type,
                type_name(eh.e_type));
  if (eh.e_version != EV_CURRENT)
    return fail(err, "e_version %u: bad ELF version (expected EV_CURRENT 1)", eh.e_version);
  if (eh.e_ehsize != kEhdrSize)
    return fail(err, "e_ehsize %u: bad header size (expected %zu)", eh.e_ehsize, kEhdrSize);
  if (eh.e_phentsize != kPhdrSize)
    return fail(err, "e_phentsize %u: bad program header size (expected %zu)", eh.e_phentsize,
                kPhdrSize);
  if (eh.e_phnum == 0) return fail(err, "e_phnum 0: no program headers, nothing to load");
  if (eh.e_phnum > kExecMaxPhnum)
    return fail(err, "e_phnum %u: too many program headers (at most %u)", eh.e_phnum,
                kExecMaxPhnum);
  uint64_t table_end = uint64_t{eh.e_phoff} + uint64_t{eh.e_phnum} * kPhdrSize;
  if (table_end > size)
    return fail(err, "e_phoff 0x%x: %u program headers end at %llu, outside the file (%zu bytes)",
                eh.e_phoff, eh.e_phnum, static_cast<unsigned long long>(table_end), size);
  *out = eh;
  return 0;
}

// PT_INTERP names the dynamic linker; show it when it is a sane string inside the file.
int refuse_interp(const uint8_t* image, size_t size, const Elf32_Phdr& ph, ExecError* err) {
  uint64_t end = uint64_t{ph.p_offset} + ph.p_filesz;
  if (ph.p_filesz >= 2 && end <= size && image[end - 1] == '\0')
    return fail(err,
                "PT_INTERP %.48s: dynamically linked; Quartz runs static executables only "
                "(link with -static)",
                reinterpret_cast<const char*>(image + ph.p_offset));
  return fail(err,
              "PT_INTERP: dynamically linked; Quartz runs static executables only (link with "
              "-static)");
}

int check_load(const Elf32_Phdr& ph, uint32_t i, size_t size, ExecError* err) {
  uint64_t file_end = uint64_t{ph.p_offset} + ph.p_filesz;
  if (file_end > size)
    return fail(err,
                "PT_LOAD %u: p_offset 0x%x + p_filesz 0x%x runs past the end of the file (%zu)", i,
                ph.p_offset, ph.p_filesz, size);
  if (ph.p_filesz > ph.p_memsz)
    return fail(err, "PT_LOAD %u: p_filesz 0x%x is larger than p_memsz 0x%x", i, ph.p_filesz,
                ph.p_memsz);
  uint64_t mem_end = uint64_t{ph.p_vaddr} + ph.p_memsz;
  if (mem_end > 0xffffffffull)
    return fail(err, "PT_LOAD %u: p_vaddr 0x%x + p_memsz 0x%x wraps around", i, ph.p_vaddr,
                ph.p_memsz);
  if (page_down(ph.p_vaddr) < QUARTZ_USER_BASE || page_up(mem_end) > QUARTZ_USER_LIMIT)
    return fail(err,
                "PT_LOAD %u: p_vaddr 0x%x p_memsz 0x%x outside user memory [0x%x, 0x%x); link at "
                "0x%x",
                i, ph.p_vaddr, ph.p_memsz, QUARTZ_USER_BASE, QUARTZ_USER_LIMIT, QUARTZ_USER_BASE);
  if ((ph.p_vaddr ^ ph.p_offset) & (kPage - 1))
    return fail(err, "PT_LOAD %u: p_vaddr 0x%x and p_offset 0x%x differ modulo the page size %u", i,
                ph.p_vaddr, ph.p_offset, QUARTZ_PAGE_SIZE);
  return 0;
}

}  // namespace

void elf_exec_pages(const ExecSegment& seg, uint32_t* start, uint32_t* end) {
  *start = static_cast<uint32_t>(page_down(seg.vaddr));
  *end = static_cast<uint32_t>(page_up(uint64_t{seg.vaddr} + seg.memsz));
}

int elf_exec_plan(const uint8_t* image, size_t size, ExecPlan* plan, ExecError* err) {
  *plan = ExecPlan{};
  Elf32_Ehdr eh{};
  if (int r = check_header(image, size, &eh, err); r != 0) return r;

  ExecPlan p;
  uint64_t total = 0;
  uint64_t prev_end = 0;  // page_up(end) of the previous segment
  for (uint32_t i = 0; i < eh.e_phnum; ++i) {
    Elf32_Phdr ph = load<Elf32_Phdr>(image + eh.e_phoff + size_t{i} * kPhdrSize);
    if (ph.p_type == PT_INTERP) return refuse_interp(image, size, ph, err);
    if (ph.p_type != PT_LOAD) continue;  // PT_NOTE, PT_GNU_STACK, PT_TLS...: nothing to map
    if (int r = check_load(ph, i, size, err); r != 0) return r;
    if (ph.p_memsz == 0) continue;  // maps nothing
    if (p.count == kExecMaxSegments)
      return fail(err, "PT_LOAD %u: more than %u loadable segments", i, kExecMaxSegments);
    uint64_t start = page_down(ph.p_vaddr);
    uint64_t end = page_up(uint64_t{ph.p_vaddr} + ph.p_memsz);
    // gABI: PT_LOAD entries are sorted by p_vaddr. Page granularity: one set of rights a page.
    if (p.count > 0 && start < prev_end)
      return fail(err,
                  "PT_LOAD %u: p_vaddr 0x%x overlaps the previous segment's pages (up to 0x%llx) "
                  "or is out of order",
                  i, ph.p_vaddr, static_cast<unsigned long long>(prev_end));
    total += end - start;
    if (total > kExecMaxMemory)
      return fail(err, "PT_LOAD %u: the segments need more than %u MiB of memory", i,
                  kExecMaxMemory >> 20);
    p.segments[p.count++] = ExecSegment{ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz,
                                        ph.p_flags & (PF_R | PF_W | PF_X)};
    prev_end = end;
  }
  if (p.count == 0) return fail(err, "no PT_LOAD segment: nothing to load");

  bool entry_ok = false;
  for (uint32_t s = 0; s < p.count; ++s) {
    const ExecSegment& seg = p.segments[s];
    if ((seg.flags & PF_X) != 0 && eh.e_entry >= seg.vaddr &&
        uint64_t{eh.e_entry} < uint64_t{seg.vaddr} + seg.memsz)
      entry_ok = true;
  }
  if (!entry_ok)
    return fail(err, "e_entry 0x%x is not inside an executable (PF_X) segment", eh.e_entry);
  p.entry = eh.e_entry;
  p.brk = static_cast<uint32_t>(prev_end);
  *plan = p;
  return 0;
}

}  // namespace quartz
