// A reader of Linux initramfs archives in the cpio "newc" format: one entry at a time,
// every header field checked, names normalised, pointing into the archive (no copies).
//
// The format (Linux's Documentation/driver-api/early-userspace/buffer-format.rst): each
// entry is a 110-byte header, "070701" (or "070702": the same with a checksum of the data)
// then 13 fields of 8 hex digits (ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
// devminor, rdevmajor, rdevminor, namesize, check); then namesize bytes of name including
// its NUL, padded with zeros to a multiple of 4 counted from the start of the header; then
// filesize bytes of data, padded to a multiple of 4. The entry named "TRAILER!!!" ends
// the archive; whatever follows it (cpio pads to 512 bytes) is ignored.
//
// Contract:
//   - Callers: the kernel at boot (through ramfs_load_cpio), host tests, the fuzzer. No
//     allocation, no state outside the CpioReader, a few hundred bytes of stack.
//   - cpio_next returns 1 with the next entry, 0 once the trailer was read (and again on
//     every later call), or -EINVAL with one line in err->msg (err may be null) giving the
//     byte offset of the entry's header and the reason. After an error the reader stays
//     failed: every later call returns -EINVAL again.
//   - Checked before use: the magic, that every field is 8 hex digits, that the header,
//     the name and the data lie inside the archive, namesize >= 1 with the NUL at
//     name[namesize - 1] and none before it, namesize <= QUARTZ_PATH_MAX, a directory has no
//     data, the checksum of a regular file in a "070702" archive.
//   - Names: leading "/" and "./" are stripped ("./bin/sh" and "/bin/sh" are "bin/sh");
//     ".", "./" and "/" are the root, reported with the empty name "". A name with an empty
//     component ("a//b", "a/"), a "." or ".." component, or a component over
//     QUARTZ_NAME_MAX is refused.
//   - An entry's name and data point into the archive, which must stay readable and
//     unchanged while they are used.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

enum class CpioType : uint8_t {
  Directory,  // S_IFDIR
  Regular,    // S_IFREG
  Other,      // symlink, device, fifo, socket: the caller skips it with a warning
};

struct CpioEntry {
  const char* name;  // normalised, NUL-terminated; "" is the root
  size_t name_len;   // strlen(name)
  CpioType type;
  uint32_t mode;        // the whole c_mode: S_IFMT bits and permissions
  uint32_t nlink;       // c_nlink (hard links are not joined: each entry stands alone)
  const uint8_t* data;  // filesize bytes (for a symlink: its target, not terminated)
  uint32_t size;
  size_t offset;  // byte offset of the entry's header in the archive
};

struct CpioError {
  char msg[160];
};

struct CpioReader {
  const uint8_t* archive = nullptr;
  size_t size = 0;
  size_t pos = 0;  // offset of the next header
  enum class State : uint8_t { Reading, Done, Failed } state = State::Reading;
};

void cpio_init(CpioReader* r, const uint8_t* archive, size_t size);
int cpio_next(CpioReader* r, CpioEntry* entry, CpioError* err);

}  // namespace quartz
