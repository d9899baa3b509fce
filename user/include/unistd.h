/* Processes, files and the program break: the thin wrappers of the system calls. Each
 * returns -1 and sets errno on failure, as POSIX says. */
#ifndef _UNISTD_H
#define _UNISTD_H
#include <sys/types.h>
#include <quartz/abi.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

/* The environment, "NAME=value" strings ending with NULL (set by _start). */
extern char** environ;

ssize_t read(int fd, void* buf, size_t count);
ssize_t write(int fd, const void* buf, size_t count);
int close(int fd);
off_t lseek(int fd, off_t offset, int whence);
int unlink(const char* path);
int chdir(const char* path);
/* The current directory into BUF (SIZE bytes). BUF, or NULL (errno ERANGE if too small). */
char* getcwd(char* buf, size_t size);

pid_t fork(void);
pid_t getpid(void);
pid_t getppid(void);
int execve(const char* path, char* const argv[], char* const envp[]);
/* execve with environ. */
int execv(const char* path, char* const argv[]);
/* execv, looking FILE up in $PATH (default "/bin:/sbin") when it has no '/'. */
int execvp(const char* file, char* const argv[]);
/* End the process at once (no stdio flush). */
__attribute__((noreturn)) void _exit(int status);

/* Set the program break to ADDR (0 or -1 with ENOMEM); sbrk moves it by INCREMENT and
 * returns the old break, or (void*)-1 with ENOMEM. */
int brk(void* addr);
void* sbrk(intptr_t increment);

/* Sleep SECONDS; the seconds left if woken early, else 0. */
unsigned int sleep(unsigned int seconds);

/* Any system call by number, arguments as longs: the result, or -1 with errno set. */
long syscall(long number, ...);

#endif
