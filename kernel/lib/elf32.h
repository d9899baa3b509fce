// ELF32 structures and constants for i386 relocatable objects and executables (our own
// definitions, so the freestanding kernel does not depend on the host's <elf.h>).
//
// Layout and values follow the System V ABI, "gABI" chapters 4 (Object Files) and 5
// (Program Loading), and the i386 psABI supplement (relocation types). Every field is
// fixed-width: the host tests run on x86-64, the kernel on i686, and both must see the same
// 52-byte header, 40-byte section header, 16-byte symbol, 8-byte relocation and 32-byte
// program header.
//
// Contract: plain data, no functions. The structures are never overlaid on an image (it
// may be unaligned); elf_module.cpp copies each one out with __builtin_memcpy. That copy is
// only correct on a little-endian host, which both x86 targets are (asserted below).
#pragma once

#include <cstdint>

namespace quartz {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ELF readers assume a little-endian host");

// ---- e_ident ----
inline constexpr uint32_t EI_NIDENT = 16;
inline constexpr uint32_t EI_MAG0 = 0;
inline constexpr uint32_t EI_CLASS = 4;
inline constexpr uint32_t EI_DATA = 5;
inline constexpr uint32_t EI_VERSION = 6;
inline constexpr uint8_t ELFMAG0 = 0x7f;
inline constexpr uint8_t ELFCLASS32 = 1;
inline constexpr uint8_t ELFDATA2LSB = 1;
inline constexpr uint8_t EV_CURRENT = 1;

// ---- e_type, e_machine ----
inline constexpr uint16_t ET_NONE = 0;
inline constexpr uint16_t ET_REL = 1;
inline constexpr uint16_t ET_EXEC = 2;
inline constexpr uint16_t ET_DYN = 3;
inline constexpr uint16_t ET_CORE = 4;
inline constexpr uint16_t EM_386 = 3;

// ---- special section indices ----
inline constexpr uint16_t SHN_UNDEF = 0;
inline constexpr uint16_t SHN_LORESERVE = 0xff00;
inline constexpr uint16_t SHN_ABS = 0xfff1;
inline constexpr uint16_t SHN_COMMON = 0xfff2;
inline constexpr uint16_t SHN_XINDEX = 0xffff;

// ---- sh_type ----
inline constexpr uint32_t SHT_NULL = 0;
inline constexpr uint32_t SHT_PROGBITS = 1;
inline constexpr uint32_t SHT_SYMTAB = 2;
inline constexpr uint32_t SHT_STRTAB = 3;
inline constexpr uint32_t SHT_RELA = 4;
inline constexpr uint32_t SHT_NOTE = 7;
inline constexpr uint32_t SHT_NOBITS = 8;
inline constexpr uint32_t SHT_REL = 9;
inline constexpr uint32_t SHT_INIT_ARRAY = 14;
inline constexpr uint32_t SHT_FINI_ARRAY = 15;
inline constexpr uint32_t SHT_PREINIT_ARRAY = 16;
inline constexpr uint32_t SHT_GROUP = 17;
inline constexpr uint32_t SHT_SYMTAB_SHNDX = 18;

// ---- sh_flags ----
inline constexpr uint32_t SHF_WRITE = 0x1;
inline constexpr uint32_t SHF_ALLOC = 0x2;
inline constexpr uint32_t SHF_EXECINSTR = 0x4;

// ---- symbols: st_info = bind << 4 | type ----
inline constexpr uint8_t STB_LOCAL = 0;
inline constexpr uint8_t STB_GLOBAL = 1;
inline constexpr uint8_t STB_WEAK = 2;
inline constexpr uint8_t STT_NOTYPE = 0;
inline constexpr uint8_t STT_OBJECT = 1;
inline constexpr uint8_t STT_FUNC = 2;
inline constexpr uint8_t STT_SECTION = 3;
inline constexpr uint8_t STT_FILE = 4;
constexpr uint8_t elf32_st_bind(uint8_t info) { return info >> 4; }
constexpr uint8_t elf32_st_type(uint8_t info) { return info & 0xf; }

// ---- i386 relocation types (psABI i386 table 2.1); r_info = sym << 8 | type ----
inline constexpr uint32_t R_386_NONE = 0;
inline constexpr uint32_t R_386_32 = 1;
inline constexpr uint32_t R_386_PC32 = 2;
inline constexpr uint32_t R_386_PLT32 = 4;
constexpr uint32_t elf32_r_sym(uint32_t info) { return info >> 8; }
constexpr uint32_t elf32_r_type(uint32_t info) { return info & 0xff; }
constexpr uint32_t elf32_r_info(uint32_t sym, uint32_t type) { return sym << 8 | (type & 0xff); }

// ---- program headers (gABI chapter 5): p_type and p_flags ----
inline constexpr uint32_t PT_NULL = 0;
inline constexpr uint32_t PT_LOAD = 1;
inline constexpr uint32_t PT_DYNAMIC = 2;
inline constexpr uint32_t PT_INTERP = 3;
inline constexpr uint32_t PT_NOTE = 4;
inline constexpr uint32_t PT_PHDR = 6;
inline constexpr uint32_t PT_TLS = 7;
inline constexpr uint32_t PT_GNU_STACK = 0x6474e551;
inline constexpr uint32_t PF_X = 0x1;
inline constexpr uint32_t PF_W = 0x2;
inline constexpr uint32_t PF_R = 0x4;

struct Elf32_Ehdr {
  uint8_t e_ident[EI_NIDENT];
  uint16_t e_type;
  uint16_t e_machine;
  uint32_t e_version;
  uint32_t e_entry;
  uint32_t e_phoff;
  uint32_t e_shoff;
  uint32_t e_flags;
  uint16_t e_ehsize;
  uint16_t e_phentsize;
  uint16_t e_phnum;
  uint16_t e_shentsize;
  uint16_t e_shnum;
  uint16_t e_shstrndx;
};

struct Elf32_Shdr {
  uint32_t sh_name;
  uint32_t sh_type;
  uint32_t sh_flags;
  uint32_t sh_addr;
  uint32_t sh_offset;
  uint32_t sh_size;
  uint32_t sh_link;
  uint32_t sh_info;
  uint32_t sh_addralign;
  uint32_t sh_entsize;
};

struct Elf32_Sym {
  uint32_t st_name;
  uint32_t st_value;
  uint32_t st_size;
  uint8_t st_info;
  uint8_t st_other;
  uint16_t st_shndx;
};

struct Elf32_Rel {
  uint32_t r_offset;
  uint32_t r_info;
};

struct Elf32_Phdr {
  uint32_t p_type;
  uint32_t p_offset;
  uint32_t p_vaddr;
  uint32_t p_paddr;
  uint32_t p_filesz;
  uint32_t p_memsz;
  uint32_t p_flags;
  uint32_t p_align;
};

static_assert(sizeof(Elf32_Ehdr) == 52);
static_assert(sizeof(Elf32_Phdr) == 32);
static_assert(sizeof(Elf32_Shdr) == 40);
static_assert(sizeof(Elf32_Sym) == 16);
static_assert(sizeof(Elf32_Rel) == 8);

}  // namespace quartz
