/* struct stat (the kernel's struct quartz_stat64 under POSIX's name), stat() and fstat(). */
#ifndef _SYS_STAT_H
#define _SYS_STAT_H
#include <sys/types.h>
#include <quartz/abi.h>

/* The same 96 bytes as struct quartz_stat64 (stat64 of Linux i386): the system calls fill it
 * directly. The static asserts below keep the two in step. */
struct stat {
  uint64_t st_dev;
  uint8_t __pad0[4];
  uint32_t __st_ino;
  uint32_t st_mode;
  uint32_t st_nlink;
  uint32_t st_uid;
  uint32_t st_gid;
  uint64_t st_rdev;
  uint8_t __pad3[4];
  int64_t st_size;
  uint32_t st_blksize;
  uint64_t st_blocks;
  uint32_t st_atime_;
  uint32_t st_atime_nsec;
  uint32_t st_mtime_;
  uint32_t st_mtime_nsec;
  uint32_t st_ctime_;
  uint32_t st_ctime_nsec;
  uint64_t st_ino;
} __attribute__((packed));
_Static_assert(sizeof(struct stat) == sizeof(struct quartz_stat64), "struct stat is stat64");
_Static_assert(__builtin_offsetof(struct stat, st_mode) ==
                   __builtin_offsetof(struct quartz_stat64, st_mode),
               "st_mode");
_Static_assert(__builtin_offsetof(struct stat, st_size) ==
                   __builtin_offsetof(struct quartz_stat64, st_size),
               "st_size");
_Static_assert(__builtin_offsetof(struct stat, st_ino) ==
                   __builtin_offsetof(struct quartz_stat64, st_ino),
               "st_ino");

/* Fill *ST for PATH (stat64) or for an open FD (fstat64). 0, or -1 with errno. */
int stat(const char* path, struct stat* st);
int fstat(int fd, struct stat* st);
/* Create a directory (the mode is passed on; Quartz may ignore it). */
int mkdir(const char* path, mode_t mode);

#endif
