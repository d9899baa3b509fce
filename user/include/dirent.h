/* Reading directories: opendir(), readdir(), closedir(), on the getdents64 system call. */
#ifndef _DIRENT_H
#define _DIRENT_H
#include <sys/types.h>
#include <quartz/abi.h>

struct dirent {
  ino_t d_ino;
  off_t d_off;
  unsigned short d_reclen;
  unsigned char d_type; /* DT_DIR, DT_REG, DT_CHR or DT_UNKNOWN */
  char d_name[QUARTZ_NAME_MAX + 1];
};

typedef struct DIR DIR;

/* Open directory PATH for reading. NULL (errno) if it cannot be opened or is not one. */
DIR* opendir(const char* path);
/* The next entry ("." and ".." included), or NULL at the end (errno unchanged) or on an
 * error (errno set). The entry is overwritten by the next call. */
struct dirent* readdir(DIR* dir);
/* Close DIR and free it. 0 or -1 (errno). */
int closedir(DIR* dir);

/* The raw system call: fill BUF (COUNT bytes) with struct quartz_dirent64 records. */
ssize_t getdents64(int fd, void* buf, size_t count);

#endif
