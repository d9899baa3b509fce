/* The basic POSIX types of user/libc, sized as Linux i386 sizes them. */
#ifndef _SYS_TYPES_H
#define _SYS_TYPES_H
#include <stddef.h>
#include <stdint.h>

typedef int ssize_t;
typedef int pid_t;
typedef long off_t;
typedef long time_t;
typedef unsigned int mode_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef uint64_t ino_t;
typedef uint64_t dev_t;

#endif
