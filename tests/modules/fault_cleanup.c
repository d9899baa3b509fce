/* fault_cleanup: loads cleanly, then writes through NULL in cleanup_module: rmmod must
 * report it, mark the module failed, and free it at the next rmmod. */
#include <quartz/module.h>

int init_module(void) { return 0; }

void cleanup_module(void)
{
    printk("fault_cleanup: about to fault\n");
    *(volatile int *)0 = 1;
}
