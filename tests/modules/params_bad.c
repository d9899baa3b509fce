/* params_bad: a parameter descriptor that points into the module's code instead of its
 * data (hand-made, as module_param never would): the loader must refuse the module. */
#include <quartz/module.h>

int init_module(void)
{
    printk("params_bad: init_module ran\n");
    return 0;
}

void cleanup_module(void) {}

static const char bad_name[] = "bad";
static const struct quartz_param bad
    __attribute__((used, aligned(4), section(".quartz_params"))) = {bad_name, (void *)&init_module,
                                                                    QUARTZ_PARAM_int, 0444};
