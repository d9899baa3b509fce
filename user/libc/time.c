/* sleep() on the nanosleep system call. */
#include <time.h>
#include <unistd.h>

unsigned int sleep(unsigned int seconds) {
  struct timespec req = {(time_t)seconds, 0}, rem = {0, 0};
  if (nanosleep(&req, &rem) < 0) return (unsigned int)rem.tv_sec + (rem.tv_nsec > 0);
  return 0;
}
