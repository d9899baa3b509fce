// Loadable-module ELF logic: validation, layout, symbol resolution and relocation.
#include "kernel/lib/elf_module.h"

#include <cstdarg>

#include "kernel/lib/format.h"
#include "kernel/lib/ksyms.h"
#include "kernel/lib/kstring.h"

namespace quartz {
namespace {

constexpr size_t kEhdrSize = sizeof(Elf32_Ehdr);
constexpr size_t kShdrSize = sizeof(Elf32_Shdr);
constexpr size_t kSymSize = sizeof(Elf32_Sym);
constexpr size_t kRelSize = sizeof(Elf32_Rel);
// An i386 address: the field a relocation patches, one .init_array/.fini_array entry.
constexpr uint32_t kWordSize = sizeof(uint32_t);
// The plain .init_array's priority: after every numbered one (.init_array.00000-65535).
constexpr uint32_t kPlainPriority = 65536;
// Names are cut in messages so the reason still fits in ElfError::msg.
#define QNAME "%.48s"

bool fail(ElfError* err, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
bool fail(ElfError* err, const char* fmt, ...) {
  if (err != nullptr) {
    va_list ap;
    va_start(ap, fmt);
    vsnformat(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    make_printable(err->msg);  // names come from the image
  }
  return false;
}

// The image may sit at any alignment: copy each structure out rather than overlay it.
template <typename T>
T load(const uint8_t* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

uint32_t load32(const uint8_t* p) { return load<uint32_t>(p); }
void store32(uint8_t* p, uint32_t v) { __builtin_memcpy(p, &v, sizeof v); }

Elf32_Shdr shdr(const ElfInfo& in, uint32_t i) {
  return load<Elf32_Shdr>(in.image + in.shoff + static_cast<size_t>(i) * kShdrSize);
}

Elf32_Sym symbol(const ElfInfo& in, uint32_t i) {
  return load<Elf32_Sym>(in.image + in.symoff + static_cast<size_t>(i) * kSymSize);
}

// Both valid only after the string tables were checked (offset in range, final NUL).
const char* sec_name(const ElfInfo& in, const Elf32_Shdr& sh) {
  return reinterpret_cast<const char*>(in.image + in.shstroff + sh.sh_name);
}
const char* sym_name(const ElfInfo& in, const Elf32_Sym& s) {
  return reinterpret_cast<const char*>(in.image + in.stroff + s.st_name);
}

// A printable name for messages: section symbols are nameless, use their section's name.
const char* sym_label(const ElfInfo& in, const Elf32_Sym& s) {
  const char* n = sym_name(in, s);
  if (n[0] != '\0') return n;
  if (elf32_st_type(s.st_info) == STT_SECTION && s.st_shndx != SHN_UNDEF && s.st_shndx < in.shnum)
    return sec_name(in, shdr(in, s.st_shndx));
  return "(unnamed)";
}

bool is_pow2(uint32_t x) { return (x & (x - 1)) == 0; }
uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

bool loadable_type(uint32_t type) {
  return type == SHT_PROGBITS || type == SHT_NOBITS || type == SHT_NOTE || type == SHT_INIT_ARRAY ||
         type == SHT_FINI_ARRAY || type == SHT_PREINIT_ARRAY;
}

// GOT/PLT forms come from -fpic/-fpie code: the fix is a compiler flag, say which.
// (R_386_GOT32 to R_386_32PLT are 3..11; R_386_PLT32 among them is also emitted for plain
// calls and is accepted.)
bool pic_reloc(uint32_t type) {
  return (type >= R_386_GOT32 && type <= R_386_32PLT && type != R_386_PLT32) ||
         type == R_386_GOT32X;
}

// Text first (its page-rounded end starts the read-only part), then read-only, then data;
// within each part sections keep their file order. Shared by validation (for the size cap)
// and elf_layout; out may be null. Requires validated alignments (<= kPageSize, powers of two).
struct Plan {
  uint64_t text_exec;
  uint64_t text;
  uint64_t data;
  uint32_t max_align;
};

ElfRegion region_of(const Elf32_Shdr& sh, bool* exec) {
  *exec = (sh.sh_flags & SHF_EXECINSTR) != 0;
  if (*exec) return ElfRegion::Text;
  if ((sh.sh_flags & SHF_WRITE) == 0 && sh.sh_type != SHT_NOBITS) return ElfRegion::Text;
  return ElfRegion::Data;
}

Plan plan(const ElfInfo& in, ElfLayout* out) {
  Plan p{0, 0, 0, 1};
  for (uint32_t i = 1; i < in.shnum; ++i) {
    Elf32_Shdr sh = shdr(in, i);
    if ((sh.sh_flags & SHF_ALLOC) == 0 || (sh.sh_flags & SHF_EXECINSTR) == 0) continue;
    uint32_t a = sh.sh_addralign == 0 ? 1 : sh.sh_addralign;
    p.text_exec = align_up(p.text_exec, a) + sh.sh_size;
  }
  p.text_exec = align_up(p.text_exec, kPageSize);
  uint64_t exec = 0;
  uint64_t ro = p.text_exec;
  uint64_t data = 0;
  uint32_t n = 0;
  for (uint32_t i = 1; i < in.shnum; ++i) {
    Elf32_Shdr sh = shdr(in, i);
    if ((sh.sh_flags & SHF_ALLOC) == 0) continue;
    uint32_t a = sh.sh_addralign == 0 ? 1 : sh.sh_addralign;
    if (a > p.max_align) p.max_align = a;
    bool is_exec;
    ElfRegion r = region_of(sh, &is_exec);
    uint64_t* cursor = r == ElfRegion::Data ? &data : is_exec ? &exec : &ro;
    uint64_t off = align_up(*cursor, a);
    *cursor = off + sh.sh_size;
    if (out != nullptr && n < kElfMaxAllocSections) {
      out->placed[n] = ElfPlacement{static_cast<uint16_t>(i), r, static_cast<uint32_t>(off)};
    }
    ++n;
  }
  p.text = align_up(ro, kPageSize);
  p.data = align_up(data, kPageSize);
  if (out != nullptr) out->count = n;
  return p;
}

const ElfPlacement* find_placement(const ElfLayout& layout, uint32_t shndx) {
  uint32_t lo = 0;
  uint32_t hi = layout.count <= kElfMaxAllocSections ? layout.count : kElfMaxAllocSections;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (layout.placed[mid].shndx < shndx)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < layout.count && lo < kElfMaxAllocSections && layout.placed[lo].shndx == shndx)
    return &layout.placed[lo];
  return nullptr;
}

uint32_t placement_address(const ElfPlacement& p, const ElfLoad& load) {
  return (p.region == ElfRegion::Text ? load.text_addr : load.data_addr) + p.offset;
}

// ---- validation steps, in the order a hostile image must be checked ----

bool check_header(const uint8_t* image, size_t size, ElfInfo* in, ElfError* err) {
  if (image == nullptr || size < kEhdrSize)
    return fail(err, "truncated: %zu bytes, the ELF header needs %zu", image == nullptr ? 0 : size,
                kEhdrSize);
  Elf32_Ehdr eh = load<Elf32_Ehdr>(image);
  if (eh.e_ident[EI_MAG0] != ELFMAG0 || eh.e_ident[1] != 'E' || eh.e_ident[2] != 'L' ||
      eh.e_ident[3] != 'F')
    return fail(err, "not an ELF file (bad magic)");
  if (eh.e_ident[EI_CLASS] != ELFCLASS32)
    return fail(err, "not a 32-bit ELF file (EI_CLASS %u, expected ELFCLASS32 1)",
                eh.e_ident[EI_CLASS]);
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return fail(err, "not little-endian (EI_DATA %u, expected ELFDATA2LSB 1)", eh.e_ident[EI_DATA]);
  if (eh.e_ident[EI_VERSION] != EV_CURRENT)
    return fail(err, "bad ELF version %u in e_ident (expected EV_CURRENT 1)",
                eh.e_ident[EI_VERSION]);
  if (eh.e_type != ET_REL)
    return fail(err,
                "not a relocatable object (e_type %u, expected ET_REL 1): build modules with -c",
                eh.e_type);
  if (eh.e_machine != EM_386)
    return fail(err, "wrong machine %u (expected EM_386 3)", eh.e_machine);
  if (eh.e_version != EV_CURRENT)
    return fail(err, "bad ELF version %u (expected EV_CURRENT 1)", eh.e_version);
  if (eh.e_ehsize != kEhdrSize)
    return fail(err, "bad e_ehsize %u (expected %zu)", eh.e_ehsize, kEhdrSize);
  if (eh.e_shentsize != kShdrSize)
    return fail(err, "bad e_shentsize %u (expected %zu)", eh.e_shentsize, kShdrSize);
  // e_shnum 0 with a section table is ELF's extended numbering: never made for i386 modules.
  if (eh.e_shnum == 0 || eh.e_shoff == 0)
    return fail(err, "no section table (e_shnum %u)", eh.e_shnum);
  if (eh.e_shnum >= SHN_LORESERVE) return fail(err, "too many sections (%u)", eh.e_shnum);
  uint64_t table_end =
      static_cast<uint64_t>(eh.e_shoff) + static_cast<uint64_t>(eh.e_shnum) * kShdrSize;
  if (table_end > size)
    return fail(err, "section table (offset 0x%x, %u entries) outside the file (%zu bytes)",
                eh.e_shoff, eh.e_shnum, size);
  in->image = image;
  in->size = size;
  in->shoff = eh.e_shoff;
  in->shnum = eh.e_shnum;
  in->shstrndx = eh.e_shstrndx;
  return true;
}

bool check_section_bounds(const ElfInfo& in, ElfError* err) {
  Elf32_Shdr null = shdr(in, 0);
  if (null.sh_type != SHT_NULL || null.sh_size != 0 || null.sh_link != 0)
    return fail(err, "section 0 is not the null section (type %u, size 0x%x)", null.sh_type,
                null.sh_size);
  for (uint32_t i = 1; i < in.shnum; ++i) {
    Elf32_Shdr sh = shdr(in, i);
    if (sh.sh_type != SHT_NOBITS &&
        static_cast<uint64_t>(sh.sh_offset) + static_cast<uint64_t>(sh.sh_size) > in.size)
      return fail(err, "section %u: data (offset 0x%x, size 0x%x) outside the file (%zu bytes)", i,
                  sh.sh_offset, sh.sh_size, in.size);
    if (!is_pow2(sh.sh_addralign))
      return fail(err, "section %u: alignment %u is not a power of two", i, sh.sh_addralign);
  }
  return true;
}

bool check_section_names(ElfInfo* in, ElfError* err) {
  if (in->shstrndx == SHN_UNDEF || in->shstrndx >= in->shnum)
    return fail(err, "bad e_shstrndx %u (%u sections)", in->shstrndx, in->shnum);
  Elf32_Shdr st = shdr(*in, in->shstrndx);
  if (st.sh_type != SHT_STRTAB)
    return fail(err, "bad e_shstrndx %u: section type %u is not SHT_STRTAB", in->shstrndx,
                st.sh_type);
  if (st.sh_size == 0 || in->image[st.sh_offset + st.sh_size - 1] != '\0')
    return fail(err, "section name table (section %u) not NUL-terminated", in->shstrndx);
  in->shstroff = st.sh_offset;
  in->shstrsize = st.sh_size;
  for (uint32_t i = 0; i < in->shnum; ++i) {
    Elf32_Shdr sh = shdr(*in, i);
    if (sh.sh_name >= in->shstrsize)
      return fail(err, "section %u: name offset 0x%x outside the section name table (size 0x%x)", i,
                  sh.sh_name, in->shstrsize);
  }
  return true;
}

// Types, flags, alignment and the one symbol table. Section names are safe from here on.
bool check_sections(ElfInfo* in, ElfError* err) {
  uint32_t alloc = 0;
  for (uint32_t i = 1; i < in->shnum; ++i) {
    Elf32_Shdr sh = shdr(*in, i);
    const char* name = sec_name(*in, sh);
    if (sh.sh_type == SHT_RELA)
      return fail(err, "section " QNAME ": SHT_RELA is not used on i386 (expected SHT_REL)", name);
    if (sh.sh_type == SHT_SYMTAB_SHNDX)
      return fail(err, "section " QNAME ": extended section indices are not supported", name);
    if (sh.sh_type == SHT_SYMTAB) {
      if (in->symtab != 0)
        return fail(err, "two symbol tables (sections %u and %u)", in->symtab, i);
      in->symtab = i;
    }
    if ((sh.sh_flags & SHF_WRITE) && (sh.sh_flags & SHF_EXECINSTR))
      return fail(err, "section " QNAME " is both writable and executable", name);
    if ((sh.sh_flags & SHF_ALLOC) == 0) continue;
    if (!loadable_type(sh.sh_type))
      return fail(err, "section " QNAME ": SHF_ALLOC section of unsupported type %u", name,
                  sh.sh_type);
    if (sh.sh_addralign > kPageSize)
      return fail(err, "section " QNAME ": alignment %u exceeds the page size (%u)", name,
                  sh.sh_addralign, kPageSize);
    if (++alloc > kElfMaxAllocSections)
      return fail(err, "too many allocated sections (max %u)", kElfMaxAllocSections);
  }
  in->alloc_sections = alloc;
  if (in->symtab == 0) return fail(err, "no symbol table (SHT_SYMTAB): was the module stripped?");
  Plan p = plan(*in, nullptr);
  uint64_t total = p.text + p.data;
  if (total > in->max_alloc)
    return fail(err, "module too large: %llu bytes of sections (max %u)",
                static_cast<unsigned long long>(total), in->max_alloc);
  return true;
}

bool check_symbols(ElfInfo* in, ElfError* err) {
  Elf32_Shdr st = shdr(*in, in->symtab);
  const char* name = sec_name(*in, st);
  if (st.sh_entsize != kSymSize)
    return fail(err, "symbol table " QNAME ": bad sh_entsize %u (expected %zu)", name,
                st.sh_entsize, kSymSize);
  if (st.sh_size % kSymSize != 0)
    return fail(err, "symbol table " QNAME ": size 0x%x is not a multiple of %zu", name, st.sh_size,
                kSymSize);
  if (st.sh_link == SHN_UNDEF || st.sh_link >= in->shnum ||
      shdr(*in, st.sh_link).sh_type != SHT_STRTAB)
    return fail(err, "symbol table " QNAME ": sh_link %u is not a string table", name, st.sh_link);
  Elf32_Shdr str = shdr(*in, st.sh_link);
  if (str.sh_size == 0 || in->image[str.sh_offset + str.sh_size - 1] != '\0')
    return fail(err, "string table " QNAME " not NUL-terminated", sec_name(*in, str));
  in->strtab = st.sh_link;
  in->stroff = str.sh_offset;
  in->strsize = str.sh_size;
  in->symoff = st.sh_offset;
  in->sym_count = st.sh_size / kSymSize;
  for (uint32_t i = 0; i < in->sym_count; ++i) {
    Elf32_Sym s = symbol(*in, i);
    if (s.st_name >= in->strsize)
      return fail(err, "symbol %u: name offset 0x%x outside " QNAME " (size 0x%x)", i, s.st_name,
                  sec_name(*in, str), in->strsize);
    uint16_t x = s.st_shndx;
    if (x == SHN_UNDEF || x == SHN_ABS) continue;
    if (x == SHN_COMMON)
      return fail(err, "symbol " QNAME " is COMMON: build with -fno-common", sym_label(*in, s));
    if (x >= SHN_LORESERVE)
      return fail(err, "symbol " QNAME ": unsupported special section index 0x%x",
                  sym_label(*in, s), x);
    if (x >= in->shnum)
      return fail(err, "symbol " QNAME ": section index %u out of range (%u sections)",
                  sym_label(*in, s), x, in->shnum);
    Elf32_Shdr sh = shdr(*in, x);
    if ((sh.sh_flags & SHF_ALLOC) && s.st_value > sh.sh_size)
      return fail(err, "symbol " QNAME ": value 0x%x past the end of " QNAME " (size 0x%x)",
                  sym_label(*in, s), s.st_value, sec_name(*in, sh), sh.sh_size);
  }
  return true;
}

// Every SHT_REL section's header; the entries only when they patch a loaded section
// (relocations of .debug_* and other unloaded sections are skipped at load time, so only
// the REL section's own bounds matter for them).
bool check_relocations(const ElfInfo& in, ElfError* err) {
  for (uint32_t i = 1; i < in.shnum; ++i) {
    Elf32_Shdr rs = shdr(in, i);
    if (rs.sh_type != SHT_REL) continue;
    const char* name = sec_name(in, rs);
    if (rs.sh_entsize != kRelSize)
      return fail(err, "section " QNAME ": bad sh_entsize %u (expected %zu)", name, rs.sh_entsize,
                  kRelSize);
    if (rs.sh_size % kRelSize != 0)
      return fail(err, "section " QNAME ": size 0x%x is not a multiple of %zu", name, rs.sh_size,
                  kRelSize);
    if (rs.sh_link != in.symtab)
      return fail(err, "section " QNAME ": sh_link %u is not the symbol table (%u)", name,
                  rs.sh_link, in.symtab);
    if (rs.sh_info == SHN_UNDEF || rs.sh_info >= in.shnum)
      return fail(err, "section " QNAME ": sh_info %u is not a valid section (%u sections)", name,
                  rs.sh_info, in.shnum);
    Elf32_Shdr ts = shdr(in, rs.sh_info);
    if ((ts.sh_flags & SHF_ALLOC) == 0) continue;
    if (ts.sh_type == SHT_NOBITS)
      return fail(err, "section " QNAME ": relocates SHT_NOBITS section " QNAME, name,
                  sec_name(in, ts));
    uint32_t n = rs.sh_size / kRelSize;
    for (uint32_t j = 0; j < n; ++j) {
      Elf32_Rel r = load<Elf32_Rel>(in.image + rs.sh_offset + static_cast<size_t>(j) * kRelSize);
      uint32_t type = elf32_r_type(r.r_info);
      uint32_t si = elf32_r_sym(r.r_info);
      if (type == R_386_NONE) continue;
      if (type != R_386_32 && type != R_386_PC32 && type != R_386_PLT32) {
        const char* tn = elf_reloc_type_name(type);
        const char* hint = pic_reloc(type) ? ": build with -fno-pic" : "";
        if (tn != nullptr)
          return fail(err, "unsupported relocation type %u (%s) in " QNAME "%s", type, tn, name,
                      hint);
        return fail(err, "unsupported relocation type %u in " QNAME "%s", type, name, hint);
      }
      if (si >= in.sym_count)
        return fail(err, "relocation %u in " QNAME ": symbol index %u out of range (%u symbols)", j,
                    name, si, in.sym_count);
      if (static_cast<uint64_t>(r.r_offset) + kWordSize > ts.sh_size)
        return fail(err,
                    "relocation %u in " QNAME ": offset 0x%x past the end of " QNAME " (size 0x%x)",
                    j, name, r.r_offset, sec_name(in, ts), ts.sh_size);
      Elf32_Sym s = symbol(in, si);
      if (s.st_shndx != SHN_UNDEF && s.st_shndx < SHN_LORESERVE &&
          (shdr(in, s.st_shndx).sh_flags & SHF_ALLOC) == 0)
        return fail(err,
                    "relocation %u in " QNAME ": symbol " QNAME " is in unloaded section " QNAME, j,
                    name, sym_label(in, s), sec_name(in, shdr(in, s.st_shndx)));
    }
  }
  return true;
}

// S for relocations and lookups: defined -> load address, ABS -> value, UNDEF -> resolver.
bool symbol_value(const ElfInfo& in, const ElfLayout& layout, const ElfLoad& load, uint32_t si,
                  SymbolResolver resolve, void* ctx, uint32_t* out, ElfError* err) {
  if (si == 0) {
    *out = 0;
    return true;
  }
  Elf32_Sym s = symbol(in, si);
  if (s.st_shndx == SHN_ABS) {
    *out = s.st_value;
    return true;
  }
  if (s.st_shndx == SHN_UNDEF) {
    const char* n = sym_name(in, s);
    if (n[0] != '\0' && resolve != nullptr && resolve(ctx, n, out)) return true;
    if (elf32_st_bind(s.st_info) == STB_WEAK) {
      *out = 0;
      return true;
    }
    return fail(err, "unknown symbol " QNAME, n[0] != '\0' ? n : "(unnamed)");
  }
  const ElfPlacement* p = find_placement(layout, s.st_shndx);
  if (p == nullptr)
    return fail(err, "symbol " QNAME " is in an unloaded section", sym_label(in, s));
  *out = placement_address(*p, load) + s.st_value;
  return true;
}

bool blob_candidate(const ElfInfo& in, const ElfLayout& layout, const Elf32_Sym& s) {
  uint8_t t = elf32_st_type(s.st_info);
  if ((t != STT_FUNC && t != STT_OBJECT) || s.st_size == 0) return false;
  if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE) return false;
  return sym_name(in, s)[0] != '\0' && find_placement(layout, s.st_shndx) != nullptr;
}

// Heap sort of the blob's entries by address, in place (no allocation).
constexpr size_t kEntry = SymbolTable::kEntryBytes;
void sift_down(uint8_t* e, size_t root, size_t n) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && load32(e + (child + 1) * kEntry) > load32(e + child * kEntry)) ++child;
    if (load32(e + root * kEntry) >= load32(e + child * kEntry)) return;
    uint8_t tmp[kEntry];
    __builtin_memcpy(tmp, e + root * kEntry, kEntry);
    __builtin_memcpy(e + root * kEntry, e + child * kEntry, kEntry);
    __builtin_memcpy(e + child * kEntry, tmp, kEntry);
    root = child;
  }
}

void sort_entries(uint8_t* e, size_t n) {
  for (size_t i = n / 2; i-- > 0;) sift_down(e, i, n);
  for (size_t end = n; end > 1; --end) {
    uint8_t tmp[kEntry];
    __builtin_memcpy(tmp, e, kEntry);
    __builtin_memcpy(e, e + (end - 1) * kEntry, kEntry);
    __builtin_memcpy(e + (end - 1) * kEntry, tmp, kEntry);
    sift_down(e, 0, end - 1);
  }
}

}  // namespace

bool elf_validate(const uint8_t* image, size_t size, ElfInfo* info, ElfError* err,
                  uint32_t max_alloc) {
  ElfInfo in;
  in.max_alloc = max_alloc;
  if (!check_header(image, size, &in, err)) return false;
  if (!check_section_bounds(in, err)) return false;
  if (!check_section_names(&in, err)) return false;
  if (!check_sections(&in, err)) return false;
  if (!check_symbols(&in, err)) return false;
  if (!check_relocations(in, err)) return false;
  if (info != nullptr) *info = in;
  return true;
}

bool elf_layout(const ElfInfo& info, ElfLayout* out, ElfError* err) {
  if (info.image == nullptr || info.symtab == 0) return fail(err, "layout of an unvalidated image");
  if (info.alloc_sections > kElfMaxAllocSections)
    return fail(err, "too many allocated sections (max %u)", kElfMaxAllocSections);
  // Straight into *out: a local ElfLayout would cost the caller's stack another KiB.
  Plan p = plan(info, out);
  out->text_exec_size = out->text_size = out->data_size = 0;
  out->max_align = p.max_align;
  if (p.max_align > kPageSize) {
    out->count = 0;
    return fail(err, "section alignment %u exceeds the page size (%u)", p.max_align, kPageSize);
  }
  if (p.text + p.data > info.max_alloc) {
    out->count = 0;
    return fail(err, "module too large: %llu bytes of sections (max %u)",
                static_cast<unsigned long long>(p.text + p.data), info.max_alloc);
  }
  out->text_exec_size = static_cast<uint32_t>(p.text_exec);
  out->text_size = static_cast<uint32_t>(p.text);
  out->data_size = static_cast<uint32_t>(p.data);
  return true;
}

bool elf_relocate(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                  SymbolResolver resolve, void* ctx, ElfError* err) {
  if (info.image == nullptr || info.symtab == 0 || layout.count != info.alloc_sections)
    return fail(err, "layout does not match the image");
  if ((layout.text_size != 0 && load.text == nullptr) ||
      (layout.data_size != 0 && load.data == nullptr))
    return fail(err, "no buffer for a region of the layout");
  if (load.text_addr % kPageSize != 0 || load.data_addr % kPageSize != 0)
    return fail(err, "load addresses 0x%x/0x%x not page-aligned", load.text_addr, load.data_addr);
  if (static_cast<uint64_t>(load.text_addr) + layout.text_size > (uint64_t{1} << 32) ||
      static_cast<uint64_t>(load.data_addr) + layout.data_size > (uint64_t{1} << 32))
    return fail(err, "load addresses wrap around 4 GiB");
  if (layout.text_size != 0) __builtin_memset(load.text, 0, layout.text_size);
  if (layout.data_size != 0) __builtin_memset(load.data, 0, layout.data_size);

  // Every region access below is checked against the layout too: validation already
  // guarantees it, but a wrong layout passed in must not become a wild write.
  auto region = [&](const ElfPlacement& p, uint32_t* rsize) {
    *rsize = p.region == ElfRegion::Text ? layout.text_size : layout.data_size;
    return p.region == ElfRegion::Text ? load.text : load.data;
  };

  for (uint32_t k = 0; k < layout.count && k < kElfMaxAllocSections; ++k) {
    const ElfPlacement& p = layout.placed[k];
    if (p.shndx == 0 || p.shndx >= info.shnum) return fail(err, "layout does not match the image");
    Elf32_Shdr sh = shdr(info, p.shndx);
    uint32_t rsize;
    uint8_t* base = region(p, &rsize);
    if (static_cast<uint64_t>(p.offset) + sh.sh_size > rsize)
      return fail(err, "layout does not match the image");
    if (sh.sh_type != SHT_NOBITS && sh.sh_size != 0)
      __builtin_memcpy(base + p.offset, info.image + sh.sh_offset, sh.sh_size);
  }

  // Resolve every import once up front, so an unknown symbol is reported even when no
  // relocation uses it (as Linux's simplify_symbols does).
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    Elf32_Sym s = symbol(info, i);
    if (s.st_shndx != SHN_UNDEF || sym_name(info, s)[0] == '\0') continue;
    uint32_t v;
    if (!symbol_value(info, layout, load, i, resolve, ctx, &v, err)) return false;
  }

  for (uint32_t i = 1; i < info.shnum; ++i) {
    Elf32_Shdr rs = shdr(info, i);
    if (rs.sh_type != SHT_REL) continue;
    const ElfPlacement* tp = find_placement(layout, rs.sh_info);
    if (tp == nullptr) continue;  // patches an unloaded section (.debug_*): skipped
    Elf32_Shdr ts = shdr(info, rs.sh_info);
    if (ts.sh_type == SHT_NOBITS) return fail(err, "layout does not match the image");
    uint32_t rsize;
    uint8_t* base = region(*tp, &rsize);
    uint32_t taddr = placement_address(*tp, load);
    uint32_t n = rs.sh_size / kRelSize;
    for (uint32_t j = 0; j < n; ++j) {
      Elf32_Rel r =
          quartz::load<Elf32_Rel>(info.image + rs.sh_offset + static_cast<size_t>(j) * kRelSize);
      uint32_t type = elf32_r_type(r.r_info);
      if (type == R_386_NONE) continue;
      uint64_t at = static_cast<uint64_t>(tp->offset) + r.r_offset;
      if (r.r_offset > ts.sh_size || at + kWordSize > rsize ||
          static_cast<uint64_t>(r.r_offset) + kWordSize > ts.sh_size)
        return fail(err, "relocation %u in " QNAME ": offset 0x%x out of bounds", j,
                    sec_name(info, rs), r.r_offset);
      uint32_t si = elf32_r_sym(r.r_info);
      if (si >= info.sym_count) return fail(err, "relocation %u: bad symbol index %u", j, si);
      uint32_t S;
      if (!symbol_value(info, layout, load, si, resolve, ctx, &S, err)) return false;
      uint8_t* loc = base + at;
      uint32_t P = taddr + r.r_offset;
      uint32_t A = load32(loc);
      switch (type) {
        case R_386_32:
          store32(loc, A + S);
          break;
        case R_386_PC32:
        case R_386_PLT32:
          store32(loc, A + S - P);
          break;  // no PLT: calls go direct
        default:
          return fail(err, "unsupported relocation type %u in " QNAME, type, sec_name(info, rs));
      }
    }
  }
  return true;
}

const char* elf_section_name(const ElfInfo& info, uint32_t shndx) {
  if (info.image == nullptr || shndx >= info.shnum) return "";
  return sec_name(info, shdr(info, shndx));
}

uint32_t elf_find_section(const ElfInfo& info, const char* name) {
  if (info.image == nullptr) return 0;
  for (uint32_t i = 1; i < info.shnum; ++i)
    if (str_eq(sec_name(info, shdr(info, i)), name)) return i;
  return 0;
}

bool elf_section_data(const ElfInfo& info, uint32_t shndx, const uint8_t** data, uint32_t* size) {
  if (info.image == nullptr || shndx == 0 || shndx >= info.shnum) return false;
  Elf32_Shdr sh = shdr(info, shndx);
  if (data != nullptr) *data = sh.sh_type == SHT_NOBITS ? nullptr : info.image + sh.sh_offset;
  if (size != nullptr) *size = sh.sh_size;
  return true;
}

bool elf_section_address(const ElfLayout& layout, const ElfLoad& load, uint32_t shndx,
                         uint32_t* addr) {
  const ElfPlacement* p = find_placement(layout, shndx);
  if (p == nullptr) return false;
  if (addr != nullptr) *addr = placement_address(*p, load);
  return true;
}

bool elf_module_name(const ElfInfo& info, char* out, size_t cap) {
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    const Elf32_Sym s = symbol(info, i);
    if (elf32_st_type(s.st_info) != STT_FILE) continue;
    const char* base = sym_name(info, s);
    for (const char* p = base; *p; ++p)
      if (*p == '/') base = p + 1;
    size_t len = 0;
    while (base[len] && base[len] != '.') ++len;
    if (len == 0 || len >= cap) return false;
    for (size_t k = 0; k < len; ++k) {
      const char c = base[k];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
      if (!ok) return false;
    }
    __builtin_memcpy(out, base, len);
    out[len] = '\0';
    return true;
  }
  return false;
}

bool elf_find_symbol(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                     const char* name, uint32_t* addr) {
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    Elf32_Sym s = symbol(info, i);
    uint8_t bind = elf32_st_bind(s.st_info);
    if ((bind != STB_GLOBAL && bind != STB_WEAK) || s.st_shndx == SHN_UNDEF) continue;
    if (!str_eq(sym_name(info, s), name)) continue;
    uint32_t v;
    if (!symbol_value(info, layout, load, i, nullptr, nullptr, &v, nullptr)) return false;
    if (addr != nullptr) *addr = v;
    return true;
  }
  return false;
}

void elf_for_each_defined_global(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                                 ElfSymbolFn fn, void* ctx) {
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    Elf32_Sym s = symbol(info, i);
    uint8_t bind = elf32_st_bind(s.st_info);
    uint8_t type = elf32_st_type(s.st_info);
    if ((bind != STB_GLOBAL && bind != STB_WEAK) || (type != STT_FUNC && type != STT_OBJECT))
      continue;
    if (s.st_shndx == SHN_UNDEF || sym_name(info, s)[0] == '\0') continue;
    uint32_t v;
    if (!symbol_value(info, layout, load, i, nullptr, nullptr, &v, nullptr)) continue;
    if (!fn(ctx, sym_name(info, s), v, type)) return;
  }
}

void elf_for_each_undefined(const ElfInfo& info, ElfUndefFn fn, void* ctx) {
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    Elf32_Sym s = symbol(info, i);
    if (s.st_shndx != SHN_UNDEF || sym_name(info, s)[0] == '\0') continue;
    if (!fn(ctx, sym_name(info, s), elf32_st_bind(s.st_info) == STB_WEAK)) return;
  }
}

size_t elf_symbol_blob_size(const ElfInfo& info, const ElfLayout& layout) {
  size_t bytes = SymbolTable::kHeaderBytes;
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    Elf32_Sym s = symbol(info, i);
    if (!blob_candidate(info, layout, s)) continue;
    bytes += kEntry + __builtin_strlen(sym_name(info, s)) + 1;
  }
  return bytes;
}

size_t elf_write_symbol_blob(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                             uint8_t* blob, size_t cap) {
  size_t need = elf_symbol_blob_size(info, layout);
  if (blob == nullptr || cap < need) return 0;
  uint32_t count = 0;
  for (uint32_t i = 1; i < info.sym_count; ++i)
    if (blob_candidate(info, layout, symbol(info, i))) ++count;
  __builtin_memcpy(blob, SymbolTable::kMagic, sizeof SymbolTable::kMagic);
  store32(blob + sizeof SymbolTable::kMagic, count);
  uint8_t* entries = blob + SymbolTable::kHeaderBytes;
  char* names = reinterpret_cast<char*>(entries + static_cast<size_t>(count) * kEntry);
  uint32_t name_off = 0;
  uint32_t k = 0;
  for (uint32_t i = 1; i < info.sym_count; ++i) {
    Elf32_Sym s = symbol(info, i);
    if (!blob_candidate(info, layout, s)) continue;
    const ElfPlacement* p = find_placement(layout, s.st_shndx);
    uint32_t sec_size = shdr(info, s.st_shndx).sh_size;
    uint32_t addr = placement_address(*p, load) + s.st_value;
    // Clamp to the section and to 4 GiB so SymbolTable::init accepts every entry.
    uint32_t size = s.st_size;
    if (size > sec_size - s.st_value) size = sec_size - s.st_value;
    if (static_cast<uint64_t>(addr) + size > (uint64_t{1} << 32))
      size = static_cast<uint32_t>(0u - addr);
    uint8_t* e = entries + static_cast<size_t>(k++) * kEntry;
    store32(e, addr);
    store32(e + 4, size);
    store32(e + 8, name_off);
    const char* n = sym_name(info, s);
    size_t len = __builtin_strlen(n) + 1;
    __builtin_memcpy(names + name_off, n, len);
    name_off += static_cast<uint32_t>(len);
  }
  sort_entries(entries, count);
  return need;
}

const char* elf_reloc_type_name(uint32_t type) {
  switch (type) {
    case 0:
      return "R_386_NONE";
    case 1:
      return "R_386_32";
    case 2:
      return "R_386_PC32";
    case 3:
      return "R_386_GOT32";
    case 4:
      return "R_386_PLT32";
    case 5:
      return "R_386_COPY";
    case 6:
      return "R_386_GLOB_DAT";
    case 7:
      return "R_386_JMP_SLOT";
    case 8:
      return "R_386_RELATIVE";
    case 9:
      return "R_386_GOTOFF";
    case 10:
      return "R_386_GOTPC";
    case 11:
      return "R_386_32PLT";
    case 14:
      return "R_386_TLS_TPOFF";
    case 15:
      return "R_386_TLS_IE";
    case 16:
      return "R_386_TLS_GOTIE";
    case 17:
      return "R_386_TLS_LE";
    case 18:
      return "R_386_TLS_GD";
    case 19:
      return "R_386_TLS_LDM";
    case 20:
      return "R_386_16";
    case 21:
      return "R_386_PC16";
    case 22:
      return "R_386_8";
    case 23:
      return "R_386_PC8";
    case 32:
      return "R_386_TLS_LDO_32";
    case 33:
      return "R_386_TLS_IE_32";
    case 34:
      return "R_386_TLS_LE_32";
    case 35:
      return "R_386_TLS_DTPMOD32";
    case 36:
      return "R_386_TLS_DTPOFF32";
    case 37:
      return "R_386_TLS_TPOFF32";
    case 38:
      return "R_386_SIZE32";
    case 39:
      return "R_386_TLS_GOTDESC";
    case 40:
      return "R_386_TLS_DESC_CALL";
    case 41:
      return "R_386_TLS_DESC";
    case 42:
      return "R_386_IRELATIVE";
    case 43:
      return "R_386_GOT32X";
    default:
      return nullptr;
  }
}

namespace {
bool name_is(const char* name, const char* base) {
  const size_t n = __builtin_strlen(base);
  return str_starts_with(name, base) && (name[n] == 0 || name[n] == '.');
}
// 1: .init_array, 2: .fini_array, 0: neither.
int ctor_kind(const ElfInfo& info, uint32_t i) {
  Elf32_Shdr sh = shdr(info, i);
  if ((sh.sh_flags & SHF_ALLOC) == 0) return 0;
  const char* name = sec_name(info, sh);
  if (sh.sh_type == SHT_INIT_ARRAY || name_is(name, ".init_array")) return 1;
  if (sh.sh_type == SHT_FINI_ARRAY || name_is(name, ".fini_array")) return 2;
  return 0;
}
// ".init_array.00200" -> 200; the plain section (or an unparsable suffix) -> 65536.
uint32_t ctor_priority(const ElfInfo& info, uint32_t i) {
  const char* name = sec_name(info, shdr(info, i));
  const char* dot = name + 1;
  while (*dot && *dot != '.') ++dot;
  if (*dot != '.' || !dot[1]) return kPlainPriority;
  uint32_t v = 0;
  for (const char* c = dot + 1; *c; ++c) {
    if (*c < '0' || *c > '9' || v >= kPlainPriority) return kPlainPriority;
    v = v * 10 + uint32_t(*c - '0');
  }
  return v >= kPlainPriority ? kPlainPriority : v;
}
// Host address of an allocated section's first byte (in the caller's buffers).
const uint8_t* host_bytes(const ElfLayout& layout, const ElfLoad& load, uint32_t shndx) {
  const ElfPlacement* p = find_placement(layout, shndx);
  if (p == nullptr) return nullptr;
  const uint8_t* region = p->region == ElfRegion::Text ? load.text : load.data;
  return region == nullptr ? nullptr : region + p->offset;
}
}  // namespace

bool elf_check_ctors(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                     ElfError* err) {
  for (uint32_t i = 1; i < info.shnum; ++i) {
    Elf32_Shdr sh = shdr(info, i);
    const char* name = sec_name(info, sh);
    if (name_is(name, ".ctors") || name_is(name, ".dtors"))
      return fail(err,
                  "section " QNAME
                  ": .ctors/.dtors constructor lists are not supported; "
                  "build with a compiler that emits .init_array (gcc >= 4.7, clang)",
                  name);
    if (sh.sh_type == SHT_PREINIT_ARRAY || name_is(name, ".preinit_array"))
      return fail(err, "section " QNAME ": .preinit_array is for executables, not modules", name);
    if (ctor_kind(info, i) == 0) continue;
    if (sh.sh_size % kWordSize != 0)
      return fail(err, "section " QNAME ": size %u is not a multiple of %u", name, sh.sh_size,
                  kWordSize);
    const uint8_t* bytes = host_bytes(layout, load, i);
    if (bytes == nullptr) return fail(err, "section " QNAME ": not loaded", name);
    for (uint32_t off = 0; off < sh.sh_size; off += kWordSize) {
      uint32_t fn;
      __builtin_memcpy(&fn, bytes + off, kWordSize);
      if (fn < load.text_addr || fn - load.text_addr >= layout.text_exec_size)
        return fail(err, "section " QNAME ": entry %u (0x%x) does not point into the module's code",
                    name, off / kWordSize, fn);
    }
  }
  return true;
}

void elf_for_each_ctor(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load, bool fini,
                       ElfCtorFn fn, void* ctx) {
  // As a final link would order them: ascending priority (".init_array.00200" before
  // the plain ".init_array", which is priority 65536), each array in order; destructors
  // exactly the other way round.
  const int want = fini ? 2 : 1;
  uint32_t done_prio = fini ? kPlainPriority + 1 : 0;  // priorities already run (exclusive bound)
  bool first = true;
  for (;;) {
    bool found = false;
    uint32_t prio = 0;
    for (uint32_t i = 1; i < info.shnum; ++i) {
      if (ctor_kind(info, i) != want) continue;
      const uint32_t p = ctor_priority(info, i);
      const bool next = fini ? (first || p < done_prio) : (first || p > done_prio);
      if (!next) continue;
      if (!found || (fini ? p > prio : p < prio)) prio = p, found = true;
    }
    if (!found) return;
    for (uint32_t k = 1; k < info.shnum; ++k) {
      const uint32_t i = fini ? info.shnum - k : k;
      if (ctor_kind(info, i) != want || ctor_priority(info, i) != prio) continue;
      const uint8_t* bytes = host_bytes(layout, load, i);
      const uint32_t size = shdr(info, i).sh_size;
      if (bytes == nullptr) continue;
      for (uint32_t n = 0; n < size / kWordSize; ++n) {
        const uint32_t off = (fini ? size / kWordSize - 1 - n : n) * kWordSize;
        uint32_t f;
        __builtin_memcpy(&f, bytes + off, kWordSize);
        fn(ctx, f);
      }
    }
    done_prio = prio;
    first = false;
  }
}

}  // namespace quartz

#undef QNAME
