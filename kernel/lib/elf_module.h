// Loadable-module ELF logic: validation, layout, symbol resolution and relocation of i386
// ELF32 relocatable objects (.ko), with no allocation and no hardware access.
//
// The loader runs in three phases, the model being Linux's load_module():
//   1. elf_validate()  checks every offset, index and size in the image before anything
//                      trusts it (history §3 (docs/history.md), plus relocation offsets and symbol indices,
//                      which Linux leaves unchecked on i386). After it returns true every
//                      other function here may index the image without further checks.
//   2. elf_layout()    places each SHF_ALLOC section in one of two regions:
//                        TEXT = [exec part | read-only part], DATA = writable + .bss.
//                      The caller allocates the regions (page-aligned, sizes from ElfLayout).
//   3. elf_relocate()  copies section bytes into the regions, zeroes .bss, resolves
//                      symbols (undefined ones through the caller's resolver) and applies
//                      R_386_32 / R_386_PC32 / R_386_PLT32.
// Helpers then find init_module/cleanup_module, iterate exports and imports, find sections
// by name, and build a compact symbol table for naming fault addresses.
//
// Contract:
//   - Callers: thread context (insmod), host tests and the fuzzer. No function here keeps
//     state between calls, allocates, locks, or touches interrupts; each uses well under
//     1 KiB of stack. ElfLayout itself is ~1 KiB: allocate it, don't put it on a kernel stack.
//   - The image stays readable and unchanged from elf_validate() until the last call that
//     takes its ElfInfo; names returned by the helpers point into it.
//   - Target addresses are uint32_t (the i686 kernel's), never host pointers; buffers are
//     host pointers. All relocation arithmetic is uint32_t and wraps like the CPU.
//   - On failure a function returns false and writes one line (no newline) to err->msg,
//     naming the reason and, where relevant, the section and symbol. err may be null.
//   - No function writes outside [text, text + text_size) and [data, data + data_size),
//     whatever the image holds (fuzzed: tests/fuzz/elf_fuzz.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/lib/elf32.h"
#include "kernel/lib/page_size.h"

namespace quartz {

// Default cap on the sum of allocated section sizes: refuses a 2 GiB .bss up front.
inline constexpr uint32_t kElfDefaultMaxAlloc = 4u << 20;
// Cap on SHF_ALLOC sections (C modules have ~6-10; C++ COMDAT groups add one per inline
// function used). It bounds ElfLayout, which must not need allocation of its own.
inline constexpr uint32_t kElfMaxAllocSections = 128;

struct ElfError {
  char msg[160];
};

// What elf_validate() learned; every index in it has been checked against the image.
struct ElfInfo {
  const uint8_t* image = nullptr;
  size_t size = 0;
  uint32_t shoff = 0;      // file offset of the section header table
  uint32_t shnum = 0;      // section count (1..0xfeff)
  uint32_t shstrndx = 0;   // section name table
  uint32_t symtab = 0;     // the one SHT_SYMTAB
  uint32_t strtab = 0;     // its string table (symtab's sh_link)
  uint32_t sym_count = 0;  // entries in symtab, including the null symbol 0
  uint32_t symoff = 0;     // file offset of symtab
  uint32_t stroff = 0;     // file offset and size of strtab (NUL-terminated)
  uint32_t strsize = 0;
  uint32_t shstroff = 0;  // file offset and size of the section name table
  uint32_t shstrsize = 0;
  uint32_t alloc_sections = 0;  // SHF_ALLOC sections (<= kElfMaxAllocSections)
  uint32_t max_alloc = 0;       // the cap elf_validate() was given
};

enum class ElfRegion : uint8_t { None = 0, Text = 1, Data = 2 };

struct ElfPlacement {
  uint16_t shndx;
  ElfRegion region;
  uint32_t offset;  // within the region
};

// Where each SHF_ALLOC section goes. Page-rounded sizes so that no page is both writable
// and executable: TEXT [0, text_exec_size) holds SHF_EXECINSTR sections (map R+X),
// TEXT [text_exec_size, text_size) holds read-only data such as .rodata and .eh_frame (map
// R, NX where the MMU can), DATA holds writable sections and SHT_NOBITS (map RW, NX).
struct ElfLayout {
  uint32_t text_size = 0;
  uint32_t text_exec_size = 0;
  uint32_t data_size = 0;
  uint32_t max_align = 1;  // largest sh_addralign of an allocated section (<= kPageSize)
  uint32_t count = 0;      // entries used in placed[]
  ElfPlacement placed[kElfMaxAllocSections] = {};  // sorted by shndx
};

// The two regions as the caller allocated them: host buffers and their target addresses.
// text/data must hold layout.text_size / layout.data_size bytes (either may be null when
// its size is 0); text_addr and data_addr must be page-aligned.
struct ElfLoad {
  uint8_t* text = nullptr;
  uint32_t text_addr = 0;
  uint8_t* data = nullptr;
  uint32_t data_addr = 0;
};

// Looks up an undefined symbol; true and *addr if known. Must be a pure lookup: it may be
// called more than once for the same name (once per relocation that uses it).
using SymbolResolver = bool (*)(void* ctx, const char* name, uint32_t* addr);

// Phase 1. max_alloc caps the total of allocated section sizes.
bool elf_validate(const uint8_t* image, size_t size, ElfInfo* info, ElfError* err,
                  uint32_t max_alloc = kElfDefaultMaxAlloc);

// Phase 2. On failure *out is left empty (count 0).
bool elf_layout(const ElfInfo& info, ElfLayout* out, ElfError* err);

// Phase 3. Zeroes both regions, copies section contents, resolves and relocates. On
// failure the regions hold partial results: the caller frees them.
bool elf_relocate(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                  SymbolResolver resolve, void* ctx, ElfError* err);

// ---- helpers (all require a successful elf_validate of the same image) ----

// The module's name as the compiler recorded it: the first STT_FILE symbol ("sched.c"),
// without its directory and extension ("sched"), as Linux names a module after the
// object it was built from (KBUILD_MODNAME). False if there is none, or it is empty, too
// long for cap, or has characters other than letters, digits, '_' and '-'.
bool elf_module_name(const ElfInfo& info, char* out, size_t cap);
// Name of section shndx ("" if out of range).
const char* elf_section_name(const ElfInfo& info, uint32_t shndx);
// Index of the first section with this name, or 0 if none.
uint32_t elf_find_section(const ElfInfo& info, const char* name);
// The section's bytes in the file (*data null for SHT_NOBITS). False if shndx is invalid.
bool elf_section_data(const ElfInfo& info, uint32_t shndx, const uint8_t** data, uint32_t* size);
// Target address of an allocated section once loaded. False if it is not allocated.
bool elf_section_address(const ElfLayout& layout, const ElfLoad& load, uint32_t shndx,
                         uint32_t* addr);

// Load address of a defined GLOBAL or WEAK symbol (e.g. "init_module"). False if absent.
bool elf_find_symbol(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                     const char* name, uint32_t* addr);

// Called per symbol; return false to stop the walk.
using ElfSymbolFn = bool (*)(void* ctx, const char* name, uint32_t addr, uint8_t type);
using ElfUndefFn = bool (*)(void* ctx, const char* name, bool weak);

// Defined GLOBAL/WEAK symbols of type FUNC or OBJECT (in a loaded section or SHN_ABS):
// the candidates for the module's export table. Symbol-table order.
void elf_for_each_defined_global(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                                 ElfSymbolFn fn, void* ctx);
// Named SHN_UNDEF symbols (the module's imports), symbol-table order.
void elf_for_each_undefined(const ElfInfo& info, ElfUndefFn fn, void* ctx);

// A compact symbol table for naming fault addresses after the image is freed, in the
// kernel symbol-table blob format of ksyms.h ("QSYM"), so SymbolTable::init/lookup read it
// ("sched_tick+0x12"). Holds every FUNC and OBJECT symbol, local or global, with a
// nonzero size in a loaded section, sorted by address.
// elf_symbol_blob_size: bytes the blob needs. elf_write_symbol_blob: writes it into blob
// (cap bytes) and returns its length, or 0 if cap is too small.
size_t elf_symbol_blob_size(const ElfInfo& info, const ElfLayout& layout);
size_t elf_write_symbol_blob(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                             uint8_t* blob, size_t cap);

// ---- C++ constructors and destructors (after elf_relocate) ----
// A module's .init_array holds the functions that construct its namespace-scope objects
// (and `__attribute__((constructor))` functions); .fini_array the destructor functions.
// Sections are matched by type (SHT_INIT_ARRAY, SHT_FINI_ARRAY) and by name, including
// the priority forms ".init_array.NNNNN" that `ld -r` keeps apart.
//
// elf_check_ctors refuses what the loader cannot run correctly, with one line naming it:
// .ctors/.dtors (an old toolchain's constructor lists), .preinit_array (executables
// only), an array whose size is not a multiple of 4, and an entry that does not point
// into the module's executable text [text_addr, text_addr + text_exec_size).
bool elf_check_ctors(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load,
                     ElfError* err);
// Calls fn(ctx, address) for each entry: .init_array in order (fini == false), or
// .fini_array in reverse order (fini == true). Requires elf_check_ctors to have passed.
using ElfCtorFn = void (*)(void* ctx, uint32_t function);
void elf_for_each_ctor(const ElfInfo& info, const ElfLayout& layout, const ElfLoad& load, bool fini,
                       ElfCtorFn fn, void* ctx);

// "R_386_GOTPC" etc., or null for a type number we have no name for.
const char* elf_reloc_type_name(uint32_t type);

}  // namespace quartz
