/* <linux/proc_fs.h>: /proc files as Linux 2.2, 2.4 and 2.6 made them: struct proc_dir_entry
 * with each generation's layout, proc_root, and the calls that register and remove an
 * entry. Each entry is one file in Quartz's flat /proc (directories are not supported).
 *
 * Reading: `cat /proc/NAME` (the kernel shell) or read(2) runs the entry's function the
 * way Linux 2.2/2.4's proc_file_read (fs/proc/generic.c) did: a page buffer, blocks of
 * 3 KiB, `*start` NULL (the data sits at its offset in the page), a pointer (the data is
 * there) or a small number (data at the page's start, the offset advances by that
 * number), `offset` advancing by what was read, until the function returns 0, sets
 * *eof, or (get_info) returns less than it was asked for. The function runs in the
 * reading thread; the module is pinned meanwhile (rmmod waits for it).
 * rmmod refuses to free a module whose entry is still registered, naming it.
 *
 * 2.2 (Linux 2.2.1): proc_register(&proc_root, &entry) registers an entry in the
 * module's memory (positional initialisers of eleven values compile as printed) and
 * gives it an inode number (low_ino) when it had 0; proc_register_dynamic is the same;
 * proc_unregister(&proc_root, entry.low_ino) removes it. The read function is get_info,
 * int f(char *buffer, char **start, off_t offset, int length, int unused), or
 * read_proc. An entry with inode operations (ops != NULL) or a directory is refused at
 * run time (proc_register returns -EINVAL and says why).
 * 2.4 (Linux 2.4.0): create_proc_entry(name, mode, parent) returns an entry the kernel
 * allocated, create_proc_read_entry(name, mode, parent, read_proc, data) also sets its
 * read_proc and data; remove_proc_entry(name, parent) removes and frees it. read_proc_t
 * is int f(char *page, char **start, off_t off, int count, int *eof, void *data).
 * parent: NULL or &proc_root (a name with '/' is refused). Thread context.
 * 2.6 (Linux 2.6.19): the same calls, and 2.6's layout (low_ino an unsigned int, size a
 * loff_t, 32-bit uid and gid, `set` at the end). The 2.6 edition sets read_proc, owner,
 * mode, uid, gid and size after create_proc_entry returns; Quartz reads read_proc (or
 * get_info) and data at each read, and pins the module that called create_proc_entry. */
#ifndef QUARTZ_COMPAT_LINUX_PROC_FS_H
#define QUARTZ_COMPAT_LINUX_PROC_FS_H

#include "types.h"
#include "stat.h"

#ifdef __cplusplus
extern "C" {
#endif

struct module;
extern struct module __this_module;
struct inode;
struct file;
struct inode_operations;
struct file_operations;

typedef int(read_proc_t)(char *page, char **start, off_t off, int count, int *eof, void *data);
typedef int(write_proc_t)(struct file *file, const char *buffer, unsigned long count, void *data);

#if QUARTZ_LINUX == 0x020200

/* Linux 2.2.1, include/linux/proc_fs.h, field for field. */
struct proc_dir_entry {
    unsigned short low_ino;
    unsigned short namelen;
    const char *name;
    mode_t mode;
    nlink_t nlink;
    uid_t uid;
    gid_t gid;
    unsigned long size;
    struct inode_operations *ops;
    int (*get_info)(char *, char **, off_t, int, int);
    void (*fill_inode)(struct inode *, int);
    struct proc_dir_entry *next, *parent, *subdir;
    void *data;
    read_proc_t *read_proc;
    write_proc_t *write_proc;
    int (*readlink_proc)(struct proc_dir_entry *de, char *page);
    unsigned int count; /* use count */
    int deleted;        /* delete flag */
};

extern struct proc_dir_entry proc_root;
int linux22_proc_register(struct proc_dir_entry *dir, struct proc_dir_entry *dp,
                          struct module *owner);
int linux22_proc_unregister(struct proc_dir_entry *dir, int ino);
#define proc_register(dir, dp)         linux22_proc_register((dir), (dp), &__this_module)
#define proc_register_dynamic(dir, dp) linux22_proc_register((dir), (dp), &__this_module)
#define proc_unregister                linux22_proc_unregister

#elif QUARTZ_LINUX == 0x020400 || QUARTZ_LINUX == 0x020600

typedef int(get_info_t)(char *, char **, off_t, int);
typedef struct {
    volatile int counter;
} __quartz_atomic_t;

#if QUARTZ_LINUX == 0x020600

/* Linux 2.6.19, include/linux/proc_fs.h, field for field. */
struct proc_dir_entry {
    unsigned int low_ino;
    unsigned short namelen;
    const char *name;
    mode_t mode;
    nlink_t nlink;
    uid_t uid;
    gid_t gid;
    loff_t size;
    struct inode_operations *proc_iops;
    const struct file_operations *proc_fops;
    get_info_t *get_info;
    struct module *owner;
    struct proc_dir_entry *next, *parent, *subdir;
    void *data;
    read_proc_t *read_proc;
    write_proc_t *write_proc;
    __quartz_atomic_t count; /* use count */
    int deleted;             /* delete flag */
    void *set;
};

extern struct proc_dir_entry proc_root;
struct proc_dir_entry *linux26_create_proc_entry(const char *name, mode_t mode,
                                                 struct proc_dir_entry *parent,
                                                 struct module *owner);
void linux26_remove_proc_entry(const char *name, struct proc_dir_entry *parent);
#define create_proc_entry(name, mode, parent) \
    linux26_create_proc_entry((name), (mode), (parent), &__this_module)
#define remove_proc_entry linux26_remove_proc_entry

#else

/* Linux 2.4.0, include/linux/proc_fs.h, field for field. */
struct proc_dir_entry {
    unsigned short low_ino;
    unsigned short namelen;
    const char *name;
    mode_t mode;
    nlink_t nlink;
    uid_t uid;
    gid_t gid;
    unsigned long size;
    struct inode_operations *proc_iops;
    struct file_operations *proc_fops;
    get_info_t *get_info;
    struct module *owner;
    struct proc_dir_entry *next, *parent, *subdir;
    void *data;
    read_proc_t *read_proc;
    write_proc_t *write_proc;
    __quartz_atomic_t count; /* use count */
    int deleted;             /* delete flag */
    unsigned short rdev;     /* kdev_t */
};

extern struct proc_dir_entry proc_root;
struct proc_dir_entry *linux24_create_proc_entry(const char *name, mode_t mode,
                                                 struct proc_dir_entry *parent,
                                                 struct module *owner);
void linux24_remove_proc_entry(const char *name, struct proc_dir_entry *parent);
#define create_proc_entry(name, mode, parent) \
    linux24_create_proc_entry((name), (mode), (parent), &__this_module)
#define remove_proc_entry linux24_remove_proc_entry
#endif

/* Linux 2.4's (and 2.6's) own inline: create the entry, then set its read function and data. */
static __inline__ struct proc_dir_entry *create_proc_read_entry(const char *name, mode_t mode,
                                                                struct proc_dir_entry *base,
                                                                read_proc_t *read_proc, void *data)
{
    struct proc_dir_entry *res = create_proc_entry(name, mode, base);
    if (res) {
        res->read_proc = read_proc;
        res->data = data;
    }
    return res;
}

#else
#error \
    "<linux/proc_fs.h> for today's Linux (proc_create, struct proc_ops) is not written yet (docs/the-guide.md)"
#endif

#ifdef __cplusplus
}
#endif

#endif /* QUARTZ_COMPAT_LINUX_PROC_FS_H */
