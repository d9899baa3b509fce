// /proc: a read-only table of named text files, each produced on demand by a show
// function. `cat /proc/NAME` prints one; `ls /proc` lists them.
//
// Contract: proc_create/proc_remove from thread context (the shell, module init and
// cleanup). The table is changed and read with interrupts off, so the fault path may
// take a failed module's entries away. Show functions run in the reading thread (the
// shell, a `bg` or `every` job) and may sleep, briefly. A read of an entry whose show
// function lies in a module holds a use count on that module for the whole call
// (Linux's try_module_get on the proc entry's owner): rmmod waits for it, and a module
// that is not live (loading, unloading, failed) is not entered. A fault in a module's
// show function stops only that read: the module is marked failed.
#pragma once
#include <cstddef>
#include <cstdint>

extern "C" {
struct ProcFile;  // where a show function writes
typedef void (*proc_show_fn)(struct ProcFile* out, void* data);
// Registers /proc/NAME. `owner` is the module that provides it (null for the kernel).
// Returns 0, or -1 if the name is taken, too long (31 characters) or the table is full.
int proc_create(const char* name, proc_show_fn show, void* data, const void* owner);
// Removes /proc/NAME; returns 0, or -1 if there is no such file.
int proc_remove(const char* name);
int proc_printf(struct ProcFile* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
}

namespace quartz {
// proc_create for an entry whose show function is the kernel's but whose text comes from
// a module's function (the <linux/proc_fs.h> entries, kernel/compat/): code_of(data),
// called with interrupts off at each read, names the module code the read will run (0:
// none), so the read enters that module (use count, fault recovery) as it would a
// module's own show function. Same returns as proc_create.
int proc_create_entered(const char* name, proc_show_fn show, void* data, const void* owner,
                        uintptr_t (*code_of)(void* data));
// Prints /proc/NAME (NAME without the prefix) to the console. 0; 1 if there is no such
// file (nothing printed); 2 if its module was not entered or its show function faulted
// (a line saying so was printed).
int proc_cat(const char* name);
// Reads /proc/NAME, printing it, or (discard) only for its side effects; returns as
// proc_cat does.
int proc_read(const char* name, bool discard);
// Reads /proc/NAME into buf (at most cap bytes; the rest is cut), *len = bytes stored;
// returns as proc_cat does (the reasons for 2 are printed on the console).
int proc_read_into(const char* name, char* buf, size_t cap, size_t* len);
// Copies the names of the /proc files (at most cap, each up to 31 characters) into names
// and returns how many (a directory listing of /proc). Any context.
constexpr size_t kProcNameMax = 32;
size_t proc_names(char (*names)[kProcNameMax], size_t cap);
// Calls fn for each entry whose show function or data lies in [lo, hi) or whose owner
// is `owner`: what still points into a module being freed.
// fn runs with interrupts off: it must not sleep.
void proc_find(const void* owner, uintptr_t lo, uintptr_t hi,
               void (*fn)(void* ctx, const char* name), void* ctx);
// Removes every entry proc_find would report; returns how many. Interrupts on or off
// (the fault path detaches a failed module with it).
int proc_remove_matching(const void* owner, uintptr_t lo, uintptr_t hi);
}  // namespace quartz
