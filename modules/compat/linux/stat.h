/* <linux/stat.h>: the file-mode bits a /proc entry is created with (Linux's octal values,
 * include/linux/stat.h). */
#ifndef QUARTZ_COMPAT_LINUX_STAT_H
#define QUARTZ_COMPAT_LINUX_STAT_H

#include "types.h"

#define S_IFMT     00170000
#define S_IFREG    0100000
#define S_IFDIR    0040000
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_IRWXU    00700
#define S_IRUSR    00400
#define S_IWUSR    00200
#define S_IXUSR    00100
#define S_IRWXG    00070
#define S_IRGRP    00040
#define S_IWGRP    00020
#define S_IXGRP    00010
#define S_IRWXO    00007
#define S_IROTH    00004
#define S_IWOTH    00002
#define S_IXOTH    00001
#define S_IRWXUGO  (S_IRWXU | S_IRWXG | S_IRWXO)
#define S_IALLUGO  (0007000 | S_IRWXUGO)
#define S_IRUGO    (S_IRUSR | S_IRGRP | S_IROTH)
#define S_IWUGO    (S_IWUSR | S_IWGRP | S_IWOTH)
#define S_IXUGO    (S_IXUSR | S_IXGRP | S_IXOTH)

#endif /* QUARTZ_COMPAT_LINUX_STAT_H */
