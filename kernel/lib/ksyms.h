// Lookup in the kernel's built-in symbol table (the blob tools/gen_ksyms.py generates).
//
// Blob format, little-endian, no alignment requirement:
//     "QSYM"                        4-byte magic
//     u32 count
//     count x { u32 addr; u32 size; u32 name_offset; }   sorted by addr
//     names                          NUL-terminated strings; name_offset indexes here
//
// Contract:
//   - init() is called once at boot, before interrupts are enabled; it validates the
//     whole blob (magic, sizes, offsets, order, termination of the last name) and on
//     failure leaves an empty table, so a bad blob degrades backtraces to raw addresses
//     instead of faulting inside the panic path.
//   - After init() the table is read-only: lookup/find/at may be called from any
//     context, including exception handlers and panic() with interrupts off. They
//     allocate nothing and take no locks. The blob must stay mapped.
//   - lookup() is O(log n); find() is a linear scan (for the shell and tests).
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

class SymbolTable {
 public:
  static constexpr char kMagic[4] = {'Q', 'S', 'Y', 'M'};
  static constexpr size_t kHeaderBytes = 8;  // the magic and the count
  static constexpr size_t kEntryBytes = 12;  // addr, size, name_offset

  constexpr SymbolTable() = default;

  // False (and an empty table) if the blob is malformed; a blob with 0 symbols is valid.
  bool init(const void* blob, size_t len);

  // The symbol whose range [addr, addr + size) contains `addr`; *offset = addr - start.
  // False if no symbol contains it (including zero-size symbols). Out-pointers may be null.
  bool lookup(uint32_t addr, const char** name, uint32_t* offset) const;

  // Address of the first symbol with exactly this name (demangled form, e.g.
  // "quartz::kernel_main()"). False if absent.
  bool find(const char* name, uint32_t* addr) const;

  size_t count() const { return count_; }

  // Entry i in address order (i < count()). Out-pointers may be null.
  bool at(size_t i, const char** name, uint32_t* addr, uint32_t* size) const;

 private:
  struct Entry {
    uint32_t addr;
    uint32_t size;
    uint32_t name_offset;
  };
  Entry entry(size_t i) const;

  const uint8_t* entries_ = nullptr;
  const char* names_ = nullptr;
  size_t count_ = 0;
};

}  // namespace quartz
