/* waitpid() and the status macros (WIFEXITED ... from kernel/uapi/quartz/abi.h). */
#ifndef _SYS_WAIT_H
#define _SYS_WAIT_H
#include <sys/types.h>
#include <quartz/abi.h>

/* Wait for child PID (-1: any child) to end; *STATUS (if not NULL) gets the status word.
 * OPTIONS: 0 or WNOHANG (return 0 at once if none has ended). The pid, 0, or -1 (errno). */
pid_t waitpid(pid_t pid, int* status, int options);
/* waitpid(-1, status, 0). */
pid_t wait(int* status);

#endif
