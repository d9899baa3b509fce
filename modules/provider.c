/* provider: exports a function and a variable (EXPORT_SYMBOL) for consumer.c, to show
 * symbols resolved between modules and the reference count that keeps the provider
 * loaded while a user of its exports is. */
#include <quartz/module.h>

/* Non-static, and exported: modules loaded after this one may use them. (Linux would
 * declare them in a header for its users; consumer.c declares them itself.) */
int provider_calls = 0; /* how many times provider_add has been called */
int provider_add(int a, int b);

int provider_add(int a, int b)
{
    provider_calls++;
    return a + b;
}

/* Each adds a {name, address} pair to the module's .quartz_ksymtab section, which the
 * loader reads after relocating the module. */
EXPORT_SYMBOL(provider_add);
EXPORT_SYMBOL(provider_calls);

int init_module(void)
{
    printk("provider: loaded, exporting provider_add and provider_calls\n");
    return 0;
}

/* rmmod provider is refused while consumer (a user of our exports) is loaded, so when
 * this runs nobody can still call provider_add. */
void cleanup_module(void)
{
    printk("provider: cleanup_module: provider_add was called %d time%s\n", provider_calls,
           provider_calls == 1 ? "" : "s");
}
