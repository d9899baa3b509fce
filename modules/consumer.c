/* consumer: uses provider.c's exports; loading it makes provider "used by consumer", so
 * provider cannot be removed first. */
#include <quartz/module.h>

/* Defined and exported by provider.ko, which must be loaded first: otherwise insmod
 * consumer fails with "unknown symbol provider_add". */
extern int provider_add(int a, int b);
extern int provider_calls;

int init_module(void)
{
    /* The call goes straight to provider's code: the loader patched the call's
     * R_386_PC32 relocation with provider_add's address, and recorded that consumer
     * now holds a reference on provider (lsmod shows it in provider's users). */
    printk("consumer: provider_add(2, 3) = %d\n", provider_add(2, 3));
    return 0;
}

/* After this returns and the module is freed, the reference on provider is dropped and
 * provider may be removed. */
void cleanup_module(void)
{
    printk("consumer: cleanup_module: provider_calls is %d\n", provider_calls);
}
