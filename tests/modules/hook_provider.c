/* hook_provider: keeps one function pointer that another module registers (a hook) and
 * calls it when /proc/hook_provider is read, as drivers call their clients' callbacks. */
#include <quartz/module.h>

static void (*the_hook)(void);
static int calls;

void register_hook(void (*fn)(void));
void register_hook(void (*fn)(void)) { the_hook = fn; }
EXPORT_SYMBOL(register_hook);

static void show(struct ProcFile *out, void *data)
{
    (void)data;
    if (the_hook) {
        the_hook();
        calls++;
    }
    proc_printf(out, "hook_provider: hook %s, called %d times\n", the_hook ? "set" : "unset",
                calls);
}

int init_module(void) { return proc_create("hook_provider", show, NULL, THIS_MODULE) ? -EBUSY : 0; }

void cleanup_module(void) { proc_remove("hook_provider"); }
