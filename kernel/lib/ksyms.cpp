// Lookup in the kernel's built-in symbol table blob.
#include "kernel/lib/ksyms.h"
#include "kernel/lib/kstring.h"

namespace quartz {
namespace {

// Byte-wise little-endian reads: the blob may sit at any alignment.
uint32_t read_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

SymbolTable::Entry SymbolTable::entry(size_t i) const {
  const uint8_t* p = entries_ + i * kEntryBytes;
  return Entry{read_le32(p), read_le32(p + 4), read_le32(p + 8)};
}

bool SymbolTable::init(const void* blob, size_t len) {
  entries_ = nullptr;
  names_ = nullptr;
  count_ = 0;
  auto* bytes = static_cast<const uint8_t*>(blob);
  if (bytes == nullptr || len < kHeaderBytes) return false;
  if (__builtin_memcmp(bytes, kMagic, sizeof kMagic) != 0) return false;
  uint32_t count = read_le32(bytes + 4);
  // Divide rather than multiply so a huge count cannot overflow the size check.
  if (count > (len - kHeaderBytes) / kEntryBytes) return false;
  const uint8_t* entries = bytes + kHeaderBytes;
  size_t names_len = len - kHeaderBytes - count * kEntryBytes;
  const char* names = reinterpret_cast<const char*>(entries + count * kEntryBytes);
  if (count > 0 && names_len == 0) return false;
  // One check covers every name: whatever offset a name starts at, the final NUL
  // stops any string walk inside the blob.
  if (names_len > 0 && names[names_len - 1] != '\0') return false;

  uint32_t prev_addr = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* p = entries + i * kEntryBytes;
    uint32_t addr = read_le32(p);
    uint32_t size = read_le32(p + 4);
    uint32_t name_offset = read_le32(p + 8);
    if (name_offset >= names_len) return false;
    if (i > 0 && addr < prev_addr) return false;                                 // must be sorted
    if (static_cast<uint64_t>(addr) + size > (uint64_t{1} << 32)) return false;  // wraps
    prev_addr = addr;
  }
  entries_ = entries;
  names_ = names;
  count_ = count;
  return true;
}

bool SymbolTable::lookup(uint32_t addr, const char** name, uint32_t* offset) const {
  // Binary search for the first entry starting above addr.
  size_t lo = 0;
  size_t hi = count_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (entry(mid).addr <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return false;
  // Several symbols may start at the same address (aliases, a zero-size label before a
  // function); take the first of them, in blob order, that actually contains addr.
  uint32_t start = entry(lo - 1).addr;
  size_t first = lo - 1;
  while (first > 0 && entry(first - 1).addr == start) --first;
  for (size_t i = first; i < lo; ++i) {
    Entry e = entry(i);
    if (addr - e.addr < e.size) {
      if (name != nullptr) *name = names_ + e.name_offset;
      if (offset != nullptr) *offset = addr - e.addr;
      return true;
    }
  }
  return false;
}

bool SymbolTable::find(const char* name, uint32_t* addr) const {
  for (size_t i = 0; i < count_; ++i) {
    Entry e = entry(i);
    if (str_eq(names_ + e.name_offset, name)) {
      if (addr != nullptr) *addr = e.addr;
      return true;
    }
  }
  return false;
}

bool SymbolTable::at(size_t i, const char** name, uint32_t* addr, uint32_t* size) const {
  if (i >= count_) return false;
  Entry e = entry(i);
  if (name != nullptr) *name = names_ + e.name_offset;
  if (addr != nullptr) *addr = e.addr;
  if (size != nullptr) *size = e.size;
  return true;
}

}  // namespace quartz
