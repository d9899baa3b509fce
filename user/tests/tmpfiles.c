/* tmpfiles: the writable part of the root file system. Creates, writes, appends to, reads
 * back, lists and removes files and a directory in /tmp, and checks that the rest of the
 * tree is read-only (EROFS); prints one line per step and "tmpfiles: ok" at the end. The
 * read-only directory to try is the first argument (default /bin). For Quartz: on a Linux
 * host, root may write /bin. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char* what) {
  printf("tmpfiles: %s: %s\n", what, ok ? "ok" : strerror(errno));
  if (!ok) ++failures;
}

int main(int argc, char** argv) {
  const char* ro = argc > 1 ? argv[1] : "/bin";
  char path[256];
  snprintf(path, sizeof path, "/tmp/tmpfiles.%d", getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  check(fd >= 0, "create");
  check(write(fd, "hello ", 6) == 6, "write");
  close(fd);
  fd = open(path, O_WRONLY | O_APPEND);
  check(fd >= 0 && write(fd, "world\n", 6) == 6, "append");
  close(fd);
  char buf[64] = {0};
  fd = open(path, O_RDONLY);
  check(fd >= 0 && read(fd, buf, sizeof buf) == 12 && strcmp(buf, "hello world\n") == 0,
        "read back");
  struct stat st;
  check(fstat(fd, &st) == 0 && st.st_size == 12 && S_ISREG(st.st_mode), "fstat size 12");
  check(lseek(fd, 6, SEEK_SET) == 6 && read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0,
        "lseek and read");
  close(fd);
  check(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST, "O_EXCL: EEXIST");
  char dir[256];
  snprintf(dir, sizeof dir, "/tmp/tmpdir.%d", getpid());
  check(mkdir(dir, 0755) == 0, "mkdir");
  check(chdir(dir) == 0, "chdir");
  fd = open("inner", O_WRONLY | O_CREAT, 0644);
  check(fd >= 0 && write(fd, "x", 1) == 1, "create in a new directory");
  close(fd);
  DIR* d = opendir(".");
  int seen = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL) seen += strcmp(e->d_name, "inner") == 0;
  if (d) closedir(d);
  check(seen == 1, "listed once");
  check(unlink("inner") == 0 && open("inner", O_RDONLY) < 0 && errno == ENOENT, "unlink");
  check(chdir("/") == 0 && unlink(path) == 0, "unlink the first file");
  snprintf(buf, sizeof buf, "%s/new", ro);
  check(open(buf, O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS, "create outside /tmp: EROFS");
  snprintf(buf, sizeof buf, "%s/newdir", ro);
  check(mkdir(buf, 0755) < 0 && errno == EROFS, "mkdir outside /tmp: EROFS");
  printf("tmpfiles: %s\n", failures ? "FAILED" : "ok");
  return failures != 0;
}
