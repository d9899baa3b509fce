/* badptr [FILE]: calls each system call that takes a pointer or a length with bad ones, and
 * with bad file descriptors, and prints one line per case: `write(1, NULL, 5) = -14 EFAULT`.
 * The cases are chosen so that Linux and a kernel following Linux's rules give the same
 * answers: the host run is checked in as badptr.golden. FILE (default /etc/motd) is any
 * readable regular file; its name is not printed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Addresses no program may touch: the kernel's image (its identity map of RAM, below the user
 * window), the kernel's heap (above it), and a user address nothing is mapped at. */
#define KIMAGE 0x00100000L
#define KHEAP 0xC0001000L
#define UNMAPPED 0x80000000L

static int cases;

/* The raw answer: the result, or -errno. */
static long sys(long n, long a, long b, long c) {
  long r = syscall(n, a, b, c, 0L, 0L);
  return r == -1 ? -errno : r;
}

static void report(const char* call, long r) {
  const char* name = r < 0 ? strerrorname_np((int)-r) : NULL;
  printf("%s = %ld%s%s\n", call, r, name ? " " : "", name ? name : "");
  ++cases;
}

#define CASE(text, n, a, b, c) report(text, sys(n, (long)(a), (long)(b), (long)(c)))

/* The end of a mapping: the program break, moved to a page boundary, so [end - 4096, end) is
 * mapped and end is not. */
static char* end;

/* Copy N bytes to just below end and return where they start: the cases that run off the end
 * of the mapping each put their own bytes there. */
static char* at_end(const void* bytes, size_t n) {
  memcpy(end - n, bytes, n);
  return end - n;
}

/* 16 bytes without a NUL: a string that runs off the end of the mapping. */
static char* end16(void) { return at_end("AAAAAAAAAAAAAAAA", 16); }

int main(int argc, char** argv) {
  const char* file = argc > 1 ? argv[1] : "/etc/motd";
  int fd = open(file, O_RDONLY);
  int dirfd = open("/", O_RDONLY | O_DIRECTORY);
  if (fd < 0 || dirfd < 0 || chdir("/") < 0) {
    fprintf(stderr, "badptr: cannot open %s or /: %s\n", file, strerror(errno));
    return 1;
  }
  uintptr_t now = (uintptr_t)syscall(SYS_brk, 0L);
  uintptr_t end_addr = (now + 2 * 4096) & ~(uintptr_t)4095;
  if ((uintptr_t)syscall(SYS_brk, (long)end_addr) != end_addr) {
    fprintf(stderr, "badptr: brk(%#lx) refused\n", (unsigned long)end_addr);
    return 1;
  }
  end = (char*)end_addr;
  char* good_argv[] = {"true", NULL};
  char* bad_string_argv[] = {"true", (char*)KHEAP, NULL};
  char* unterminated_argv[] = {"true", NULL /* set below */, NULL};
  char* envp[] = {NULL};
  static char buf[4096];
  static char long_path[4097];
  long_path[0] = '/';
  memset(long_path + 1, 'a', 4095);     /* 4096 characters: one more than PATH_MAX allows */
  const char* text = (const char*)main; /* our own code: mapped, but not writable */

  printf("# end = the page-aligned program break: the first unmapped address above the heap\n");
  printf("# fd = FILE opened O_RDONLY, dirfd = / opened O_DIRECTORY, text = main's code\n");

  /* write: reads from the caller's buffer */
  CASE("write(1, NULL, 5)", SYS_write, 1, NULL, 5);
  CASE("write(1, 0x00100000, 5)", SYS_write, 1, KIMAGE, 5);
  CASE("write(1, 0xC0001000, 5)", SYS_write, 1, KHEAP, 5);
  CASE("write(1, 0x80000000, 5)", SYS_write, 1, UNMAPPED, 5);
  CASE("write(1, end, 5)", SYS_write, 1, end, 5);
  CASE("write(1, NULL, 0x7fffffff)", SYS_write, 1, NULL, 0x7fffffff);
  CASE("write(1, NULL, 0)", SYS_write, 1, NULL, 0);
  CASE("write(-1, buf, 1)", SYS_write, -1, buf, 1);
  CASE("write(999, buf, 1)", SYS_write, 999, buf, 1);
  CASE("write(dirfd, buf, 1)", SYS_write, dirfd, buf, 1);

  /* read: writes to the caller's buffer */
  CASE("read(fd, NULL, 5)", SYS_read, fd, NULL, 5);
  CASE("read(fd, 0x00100000, 5)", SYS_read, fd, KIMAGE, 5);
  CASE("read(fd, 0xC0001000, 5)", SYS_read, fd, KHEAP, 5);
  CASE("read(fd, 0x80000000, 5)", SYS_read, fd, UNMAPPED, 5);
  CASE("read(fd, end, 5)", SYS_read, fd, end, 5);
  CASE("read(fd, text, 5)", SYS_read, fd, text, 5);
  CASE("read(fd, NULL, 0xffffffff)", SYS_read, fd, NULL, 0xffffffffL);
  CASE("read(fd, buf, 0)", SYS_read, fd, buf, 0);
  CASE("read(-1, buf, 5)", SYS_read, -1, buf, 5);
  CASE("read(999, buf, 5)", SYS_read, 999, buf, 5);

  /* open: a path string */
  CASE("open(NULL, O_RDONLY)", SYS_open, NULL, O_RDONLY, 0);
  CASE("open(0x00100000, O_RDONLY)", SYS_open, KIMAGE, O_RDONLY, 0);
  CASE("open(0xC0001000, O_RDONLY)", SYS_open, KHEAP, O_RDONLY, 0);
  CASE("open(0x80000000, O_RDONLY)", SYS_open, UNMAPPED, O_RDONLY, 0);
  CASE("open(end-16 \"AAAAAAAAAAAAAAAA\" without NUL, O_RDONLY)", SYS_open, end16(), O_RDONLY, 0);
  CASE("open(\"\", O_RDONLY)", SYS_open, "", O_RDONLY, 0);
  CASE("open(\"/aaa...\" 4096 characters, O_RDONLY)", SYS_open, long_path, O_RDONLY, 0);
  CASE("open(\"/nonexistent\", O_RDONLY)", SYS_open, "/nonexistent", O_RDONLY, 0);

  /* stat64 and fstat64: a path in, 96 bytes out */
  CASE("stat64(NULL, buf)", SYS_stat64, NULL, buf, 0);
  CASE("stat64(0xC0001000, buf)", SYS_stat64, KHEAP, buf, 0);
  CASE("stat64(end-16 without NUL, buf)", SYS_stat64, end16(), buf, 0);
  CASE("stat64(\"/\", NULL)", SYS_stat64, "/", NULL, 0);
  CASE("stat64(\"/\", 0x00100000)", SYS_stat64, "/", KIMAGE, 0);
  CASE("stat64(\"/\", 0xC0001000)", SYS_stat64, "/", KHEAP, 0);
  CASE("stat64(\"/\", end-8)", SYS_stat64, "/", end - 8, 0);
  CASE("stat64(\"/\", text)", SYS_stat64, "/", text, 0);
  CASE("stat64(\"/nonexistent\", buf)", SYS_stat64, "/nonexistent", buf, 0);
  CASE("fstat64(fd, NULL)", SYS_fstat64, fd, NULL, 0);
  CASE("fstat64(fd, 0xC0001000)", SYS_fstat64, fd, KHEAP, 0);
  CASE("fstat64(fd, end-8)", SYS_fstat64, fd, end - 8, 0);
  CASE("fstat64(-1, buf)", SYS_fstat64, -1, buf, 0);
  CASE("fstat64(999, buf)", SYS_fstat64, 999, buf, 0);

  /* getdents64: records out, at least one must fit */
  CASE("getdents64(dirfd, NULL, 4096)", SYS_getdents64, dirfd, NULL, 4096);
  CASE("getdents64(dirfd, 0xC0001000, 4096)", SYS_getdents64, dirfd, KHEAP, 4096);
  CASE("getdents64(dirfd, end-8, 4096)", SYS_getdents64, dirfd, end - 8, 4096);
  CASE("getdents64(dirfd, buf, 0)", SYS_getdents64, dirfd, buf, 0);
  CASE("getdents64(dirfd, buf, 8)", SYS_getdents64, dirfd, buf, 8);
  CASE("getdents64(fd, buf, 4096)", SYS_getdents64, fd, buf, 4096);
  CASE("getdents64(-1, buf, 4096)", SYS_getdents64, -1, buf, 4096);
  CASE("getdents64(999, buf, 4096)", SYS_getdents64, 999, buf, 4096);

  /* numbers no kernel has, and one inside the table with no handler (17, `break`, never
   * implemented on Linux either): ENOSYS */
  CASE("syscall(17)", 17, 0, 0, 0);
  CASE("syscall(500)", 500, 0, 0, 0);
  CASE("syscall(1000)", 1000, 0, 0, 0);
  CASE("syscall(-1)", -1, 0, 0, 0);

  /* getcwd (the current directory is /): only the bytes it writes must be valid */
  CASE("getcwd(NULL, 4096)", SYS_getcwd, NULL, 4096, 0);
  CASE("getcwd(0xC0001000, 4096)", SYS_getcwd, KHEAP, 4096, 0);
  CASE("getcwd(end-1, 2)", SYS_getcwd, end - 1, 2, 0);
  CASE("getcwd(buf, 0)", SYS_getcwd, buf, 0, 0);
  CASE("getcwd(buf, 1)", SYS_getcwd, buf, 1, 0);
  CASE("getcwd(buf, 0xffffffff)", SYS_getcwd, buf, 0xffffffffL, 0);

  /* chdir, mkdir, unlink: a path string */
  CASE("chdir(NULL)", SYS_chdir, NULL, 0, 0);
  CASE("chdir(0xC0001000)", SYS_chdir, KHEAP, 0, 0);
  CASE("chdir(end-16 without NUL)", SYS_chdir, end16(), 0, 0);
  CASE("chdir(\"/nonexistent\")", SYS_chdir, "/nonexistent", 0, 0);
  CASE("chdir(FILE)", SYS_chdir, file, 0, 0);
  CASE("mkdir(NULL, 0755)", SYS_mkdir, NULL, 0755, 0);
  CASE("mkdir(0xC0001000, 0755)", SYS_mkdir, KHEAP, 0755, 0);
  CASE("unlink(NULL)", SYS_unlink, NULL, 0, 0);
  CASE("unlink(end-16 without NUL)", SYS_unlink, end16(), 0, 0);

  /* execve: a path, and two NULL-terminated arrays of strings (all refused, we stay) */
  CASE("execve(NULL, argv, envp)", SYS_execve, NULL, good_argv, envp);
  CASE("execve(0xC0001000, argv, envp)", SYS_execve, KHEAP, good_argv, envp);
  CASE("execve(end-16 without NUL, argv, envp)", SYS_execve, end16(), good_argv, envp);
  CASE("execve(\"/nonexistent\", argv, envp)", SYS_execve, "/nonexistent", good_argv, envp);
  CASE("execve(\"/bin/true\", 0xC0001000, envp)", SYS_execve, "/bin/true", KHEAP, envp);
  CASE("execve(\"/bin/true\", argv, 0xC0001000)", SYS_execve, "/bin/true", good_argv, KHEAP);
  CASE("execve(\"/bin/true\", {\"true\", 0xC0001000}, envp)", SYS_execve, "/bin/true",
       bad_string_argv, envp);
  unterminated_argv[1] = end16();
  CASE("execve(\"/bin/true\", {\"true\", end-16 without NUL}, envp)", SYS_execve, "/bin/true",
       unterminated_argv, envp);
  const char* first_arg = "true"; /* a pointer array with one entry before the end */
  CASE("execve(\"/bin/true\", end-4 {\"true\", <end>}, envp)", SYS_execve, "/bin/true",
       at_end(&first_arg, sizeof first_arg), envp);

  /* waitpid: a status word out */
  CASE("waitpid(-1, NULL, WNOHANG) without children", SYS_waitpid, -1, NULL, WNOHANG);
  CASE("waitpid(-1, buf, 0) without children", SYS_waitpid, -1, buf, 0);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) _exit(0);
  CASE("waitpid(child, 0xC0001000, 0)", SYS_waitpid, child, KHEAP, 0);
  waitpid(-1, NULL, 0); /* whether or not the kernel reaped it above */

  /* nanosleep: 8 bytes in, 8 bytes out only when interrupted */
  struct timespec bad_nsec = {0, 1000000000}, negative = {-1, 0}, short_time = {0, 1000};
  CASE("nanosleep(NULL, NULL)", SYS_nanosleep, NULL, NULL, 0);
  CASE("nanosleep(0xC0001000, NULL)", SYS_nanosleep, KHEAP, NULL, 0);
  CASE("nanosleep(end-4, NULL)", SYS_nanosleep, end - 4, NULL, 0);
  CASE("nanosleep({0, 1000000000}, NULL)", SYS_nanosleep, &bad_nsec, NULL, 0);
  CASE("nanosleep({-1, 0}, NULL)", SYS_nanosleep, &negative, NULL, 0);
  CASE("nanosleep({0, 1000}, 0xC0001000)", SYS_nanosleep, &short_time, KHEAP, 0);

  /* file descriptors and other values out of range */
  CASE("close(-1)", SYS_close, -1, 0, 0);
  CASE("close(999)", SYS_close, 999, 0, 0);
  CASE("lseek(-1, 0, SEEK_SET)", SYS_lseek, -1, 0, SEEK_SET);
  CASE("lseek(fd, 0, 99)", SYS_lseek, fd, 0, 99);
  CASE("lseek(fd, -1, SEEK_SET)", SYS_lseek, fd, -1, SEEK_SET);
  CASE("signal(0, SIG_IGN)", SYS_signal, 0, 1, 0);
  CASE("signal(SIGKILL, SIG_IGN)", SYS_signal, SIGKILL, 1, 0);
  CASE("signal(99, SIG_IGN)", SYS_signal, 99, 1, 0);
  CASE("kill(self, 99)", SYS_kill, getpid(), 99, 0);
  CASE("kill(2147483632, 0)", SYS_kill, 2147483632L, 0, 0);

  printf("badptr: %d cases\n", cases);
  return 0;
}
