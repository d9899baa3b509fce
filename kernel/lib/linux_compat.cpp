// The pure logic of the --linux emulation: printk's level prefix and the /proc read loop
// of Linux 2.2/2.4 (the list operations are templates in linux_compat.h).
#include "kernel/lib/linux_compat.h"

namespace quartz {

const char* printk_skip_level(const char* fmt) {
  if (fmt && fmt[0] == '<' && fmt[1] >= '0' && fmt[1] <= '7' && fmt[2] == '>') return fmt + 3;
  return fmt;
}

// The loop of proc_file_read as Linux 2.2 (fs/proc/generic.c, the 2.2 tree with
// create_proc_entry, Theodore Ts'o 1997: get_info takes a fifth argument) and Linux 2.4.0
// (get_info without it) wrote it, line for line: a block of at most PROC_BLOCK_SIZE; start
// = NULL before each call; a get_info that returns less than the block means eof; with
// start still NULL the data sits at the offset in the page ("For proc files that are less
// than 4k"); n == 0 ends the file, n < 0 is the error (unless bytes were read); then "a hack
// to allow mangling of file pos independent of actual bytes read" (Paul Russell): a start
// below the page is not a pointer but the amount the position moves, the data being at
// the page's start.
long linux_proc_read(const ProcReadFn& fn, char* page, long* pos, long nbytes,
                     void (*emit)(void* ctx, const char* bytes, size_t n), void* ectx) {
  long retval = 0;
  int eof = 0;
  while (nbytes > 0 && !eof) {
    const int count = nbytes < kProcBlockSize ? int(nbytes) : kProcBlockSize;
    char* start = nullptr;
    long n;
    if (fn.kind == ProcReadKind::GetInfo) {
      n = fn.call(fn.ctx, page, &start, *pos, count, &eof);
      if (n < count) eof = 1;
    } else if (fn.kind == ProcReadKind::ReadProc) {
      n = fn.call(fn.ctx, page, &start, *pos, count, &eof);
    } else {
      break;
    }
    if (!start) {
      // Linux's page + *ppos: a function that ignored the offset left its text at the
      // page's start, so past the page there is nothing to take.
      if (*pos >= long(kProcPageSize)) break;
      start = page + *pos;
      n -= *pos;
      if (n <= 0) break;
      if (n > count) n = count;
      if (n > long(kProcPageSize) - *pos) n = long(kProcPageSize) - *pos;  // never past the page
    }
    if (n == 0) break;  // end of file
    if (n < 0) {
      if (retval == 0) retval = n;
      break;
    }
    const bool offset_hack = reinterpret_cast<uintptr_t>(start) < reinterpret_cast<uintptr_t>(page);
    emit(ectx, offset_hack ? page : start, size_t(n));
    *pos += offset_hack ? long(reinterpret_cast<uintptr_t>(start)) : n;
    nbytes -= n;
    retval += n;
  }
  return retval;
}

}  // namespace quartz
