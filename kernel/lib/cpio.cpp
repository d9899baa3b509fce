// The newc cpio reader of cpio.h: header fields, names, padding, the trailer.
#include "kernel/lib/cpio.h"

#include <cstdarg>

#include "kernel/lib/format.h"
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"

namespace quartz {
namespace {

constexpr size_t kHeaderSize = 110;  // 6 bytes of magic + 13 fields of 8 hex digits
constexpr uint32_t kFieldCount = 13;
// Field indices after the magic, in header order.
enum Field : uint32_t {
  kIno,
  kMode,
  kUid,
  kGid,
  kNlink,
  kMtime,
  kFilesize,
  kDevMajor,
  kDevMinor,
  kRdevMajor,
  kRdevMinor,
  kNamesize,
  kCheck
};
const char* const kFieldNames[kFieldCount] = {
    "c_ino",      "c_mode",     "c_uid",       "c_gid",       "c_nlink",    "c_mtime", "c_filesize",
    "c_devmajor", "c_devminor", "c_rdevmajor", "c_rdevminor", "c_namesize", "c_check"};
constexpr char kTrailer[] = "TRAILER!!!";

int fail(CpioReader* r, CpioError* err, size_t offset, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
int fail(CpioReader* r, CpioError* err, size_t offset, const char* fmt, ...) {
  r->state = CpioReader::State::Failed;
  if (err != nullptr) {
    int n = snformat(err->msg, sizeof err->msg, "cpio offset %zu: ", offset);
    if (n < 0 || static_cast<size_t>(n) >= sizeof err->msg) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnformat(err->msg + n, sizeof err->msg - n, fmt, ap);
    va_end(ap);
    make_printable(err->msg);  // names come from the archive
  }
  return -EINVAL;
}

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 4-byte padding, counted from the start of the archive (headers start 4-aligned).
size_t pad4(size_t x) { return (x + 3) & ~size_t{3}; }

// Checks the components of a name already stripped of its leading "/" and "./":
// 0 if fine, else writes the reason into *why.
bool name_ok(const char* name, size_t len, const char** why) {
  size_t start = 0;
  while (start <= len) {
    size_t end = start;
    while (end < len && name[end] != '/') ++end;
    size_t n = end - start;
    if (n == 0) {
      *why = "has an empty component";
      return false;
    }
    if (n == 1 && name[start] == '.') {
      *why = "has a '.' component";
      return false;
    }
    if (n == 2 && name[start] == '.' && name[start + 1] == '.') {
      *why = "has a '..' component";
      return false;
    }
    if (n > QUARTZ_NAME_MAX) {
      *why = "has a component longer than 255 bytes";
      return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

void cpio_init(CpioReader* r, const uint8_t* archive, size_t size) {
  *r = CpioReader{};
  r->archive = archive;
  r->size = archive == nullptr ? 0 : size;
}

int cpio_next(CpioReader* r, CpioEntry* entry, CpioError* err) {
  if (r->state == CpioReader::State::Done) return 0;
  size_t at = r->pos;
  if (r->state == CpioReader::State::Failed)
    return fail(r, err, at, "the archive was already found malformed");
  const uint8_t* h = r->archive + at;
  if (at >= r->size || r->size - at < kHeaderSize) {
    if (at >= r->size) return fail(r, err, at, "the archive ends without the TRAILER!!! entry");
    return fail(r, err, at, "truncated header: %zu bytes left, a header needs %zu", r->size - at,
                kHeaderSize);
  }
  bool with_check;
  if (__builtin_memcmp(h, "070701", 6) == 0) {
    with_check = false;
  } else if (__builtin_memcmp(h, "070702", 6) == 0) {
    with_check = true;
  } else {
    return fail(r, err, at, "bad magic (expected \"070701\", the newc format: cpio -H newc)");
  }
  uint32_t f[kFieldCount];
  for (uint32_t i = 0; i < kFieldCount; ++i) {
    uint32_t v = 0;
    for (uint32_t k = 0; k < 8; ++k) {
      int d = hex_value(h[6 + 8 * i + k]);
      if (d < 0)
        return fail(r, err, at, "%s is not 8 hex digits (byte 0x%02x)", kFieldNames[i],
                    h[6 + 8 * i + k]);
      v = v << 4 | static_cast<uint32_t>(d);
    }
    f[i] = v;
  }

  uint32_t namesize = f[kNamesize];
  if (namesize == 0) return fail(r, err, at, "c_namesize 0 (the name needs at least its NUL)");
  if (namesize > QUARTZ_PATH_MAX)
    return fail(r, err, at, "c_namesize %u: the name is longer than PATH_MAX %u", namesize,
                QUARTZ_PATH_MAX);
  size_t name_at = at + kHeaderSize;
  if (r->size - name_at < namesize)
    return fail(r, err, at, "c_namesize %u: the name runs past the end of the archive", namesize);
  const char* raw = reinterpret_cast<const char*>(r->archive + name_at);
  if (raw[namesize - 1] != '\0')
    return fail(r, err, at, "c_namesize %u: the name has no NUL at its end", namesize);
  size_t raw_len = 0;
  while (raw[raw_len] != '\0') ++raw_len;
  if (raw_len != namesize - 1)
    return fail(r, err, at, "c_namesize %u: the name \"%.48s\" has a NUL at byte %zu", namesize,
                raw, raw_len);

  size_t data_at = pad4(name_at + namesize);
  uint32_t filesize = f[kFilesize];
  if (data_at > r->size || r->size - data_at < filesize)
    return fail(r, err, at, "c_filesize %u: \"%.48s\"'s data runs past the end of the archive",
                filesize, raw);

  if (raw_len == sizeof kTrailer - 1 && __builtin_memcmp(raw, kTrailer, raw_len) == 0) {
    r->state = CpioReader::State::Done;
    r->pos = r->size;
    return 0;
  }

  // Normalise: strip leading "/" and "./"; what is left of "." or "" is the root.
  const char* name = raw;
  size_t len = raw_len;
  for (;;) {
    if (len >= 1 && name[0] == '/') {
      ++name;
      --len;
    } else if (len >= 2 && name[0] == '.' && name[1] == '/') {
      name += 2;
      len -= 2;
    } else {
      break;
    }
  }
  if (len == 1 && name[0] == '.') {
    ++name;
    --len;
  }
  const char* why = nullptr;
  if (len > 0 && !name_ok(name, len, &why)) return fail(r, err, at, "\"%.48s\" %s", raw, why);

  uint32_t mode = f[kMode];
  CpioType type = (mode & S_IFMT) == S_IFDIR   ? CpioType::Directory
                  : (mode & S_IFMT) == S_IFREG ? CpioType::Regular
                                               : CpioType::Other;
  if (len == 0 && type != CpioType::Directory)
    return fail(r, err, at, "\"%.48s\" names the root but is not a directory (mode 0%o)", raw,
                mode);
  if (type == CpioType::Directory && filesize != 0)
    return fail(r, err, at, "directory \"%.48s\" has c_filesize %u (expected 0)", raw, filesize);
  const uint8_t* data = r->archive + data_at;
  if (with_check && type == CpioType::Regular) {  // as Linux and GNU cpio: files only
    uint32_t sum = 0;
    for (uint32_t i = 0; i < filesize; ++i) sum += data[i];
    if (sum != f[kCheck])
      return fail(r, err, at, "\"%.48s\": c_check 0x%08x but the data sums to 0x%08x", raw,
                  f[kCheck], sum);
  }

  r->pos = pad4(data_at + filesize);  // may pass the end by the padding: then no trailer
  *entry = CpioEntry{name, len, type, mode, f[kNlink], data, filesize, at};
  return 1;
}

}  // namespace quartz
