/* hello: the smallest module (the guide's hello-1), plus one exported function that the
 * tests call after rmmod to show that a call into an unloaded module is caught by name. */
#include <quartz/module.h>

/* Exported (EXPORT_SYMBOL below) so that another module, or the kernel's tests, can find
 * its address. Once hello is removed its pages are unmapped: calling through a saved
 * pointer faults at once, and the kernel names "hello_greet" in unloaded module hello. */
void hello_greet(void);
void hello_greet(void) { printk("hello_greet: hi\n"); }
EXPORT_SYMBOL(hello_greet);

/* Initialize the module: called by insmod. 0 means it loaded; a negative errno (-EINVAL
 * and friends) would make insmod fail and the kernel free the module again. */
int init_module(void)
{
    printk("Hello, world - this is the kernel speaking\n");
    return 0;
}

/* Cleanup: called by rmmod, just before the module's memory is freed. */
void cleanup_module(void) { printk("Short is the life of a kernel module\n"); }
