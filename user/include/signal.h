/* Signals: the numbers (kernel/uapi/quartz/abi.h), kill() and signal() with SIG_DFL/SIG_IGN. */
#ifndef _SIGNAL_H
#define _SIGNAL_H
#include <sys/types.h>
#include <quartz/abi.h>

typedef void (*sighandler_t)(int);

/* abi.h gives the handler values as plain numbers (what the kernel sees); here they are the
 * function pointers POSIX says they are. Quartz has no handlers: only these two. */
#undef SIG_DFL
#undef SIG_IGN
#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
#define SIG_ERR ((sighandler_t)-1)
#define NSIG QUARTZ_NSIG

/* Send SIG to process PID (SIG 0: only check that it exists). 0 or -1 (errno). */
int kill(pid_t pid, int sig);
/* Set what SIG does: SIG_DFL or SIG_IGN. The previous setting, or SIG_ERR (errno). */
sighandler_t signal(int sig, sighandler_t handler);

#endif
