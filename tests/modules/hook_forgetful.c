/* hook_forgetful: registers a hook with hook_provider and "forgets" to unregister it in
 * cleanup_module: freeing it would leave hook_provider calling into freed memory. */
#include <quartz/module.h>

extern void register_hook(void (*fn)(void));

static void my_hook(void) { printk("hook_forgetful: my_hook called\n"); }

int init_module(void)
{
    register_hook(my_hook);
    return 0;
}

void cleanup_module(void)
{
#ifdef HOOK_UNREGISTERS
    register_hook(NULL);
#endif
    printk("hook_forgetful: cleanup_module (hook left registered)\n");
}
