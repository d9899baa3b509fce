/* opendir, readdir and closedir: a DIR holds an open directory and a buffer of the records
 * getdents64 returned, handed out one by one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct DIR {
  int fd;
  size_t pos; /* the next record in buf */
  size_t len; /* bytes of records in buf */
  struct dirent entry;
  char buf[2048] __attribute__((aligned(8)));
};

DIR* opendir(const char* path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return NULL;
  DIR* d = malloc(sizeof *d);
  if (!d) {
    close(fd);
    errno = ENOMEM;
    return NULL;
  }
  d->fd = fd;
  d->pos = d->len = 0;
  return d;
}

struct dirent* readdir(DIR* d) {
  if (d->pos >= d->len) {
    ssize_t n = getdents64(d->fd, d->buf, sizeof d->buf);
    if (n <= 0) return NULL; /* 0: the end; -1: errno says why */
    d->len = (size_t)n;
    d->pos = 0;
  }
  const struct quartz_dirent64* r = (const void*)(d->buf + d->pos);
  size_t header = __builtin_offsetof(struct quartz_dirent64, d_name);
  if (r->d_reclen <= header || r->d_reclen > d->len - d->pos) { /* a kernel bug: stop */
    d->pos = d->len;
    errno = EIO;
    return NULL;
  }
  d->pos += r->d_reclen;
  d->entry.d_ino = r->d_ino;
  d->entry.d_off = (off_t)r->d_off;
  d->entry.d_reclen = r->d_reclen;
  d->entry.d_type = r->d_type;
  size_t name_room = r->d_reclen - header;
  size_t i = 0;
  for (; i < name_room && i < QUARTZ_NAME_MAX && r->d_name[i]; ++i) {
    d->entry.d_name[i] = r->d_name[i];
  }
  d->entry.d_name[i] = '\0';
  return &d->entry;
}

int closedir(DIR* d) {
  int r = close(d->fd);
  free(d);
  return r;
}
