// Linux 2.6's /proc calls for --linux 2.6 modules: create_proc_entry (an entry the
// kernel allocates; create_proc_read_entry is the header's inline on top of it) and
// remove_proc_entry (Linux 2.6.19 fs/proc/generic.c, as 2.4.0's), with 2.6's layout.
#include "kernel/compat/proc.h"
#include "kernel/console.h"
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include <quartz/export.h>

#define QUARTZ_LINUX 0x020600
#include "modules/compat/linux/proc_fs.h"
#undef remove_proc_entry
#undef create_proc_entry
#define LINUX_PROC(f) linux26_##f
#include "kernel/compat/proc_entry.inc"

EXPORT_SYMBOL(linux26_create_proc_entry);
EXPORT_SYMBOL(linux26_remove_proc_entry);
