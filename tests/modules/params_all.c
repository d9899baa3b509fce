/* params_all: a test module that does nothing wrong: one parameter of each type (int, uint,
 * bool, charp) and one with perm 0 (not in /proc/params); init_module prints its values. */
#include <quartz/module.h>

static int level = -1;
module_param(level, int, 0444);
MODULE_PARM_DESC(level, "an int");
static unsigned int count = 7;
module_param(count, uint, 0444);
static bool verbose;
module_param(verbose, bool, 0644);
static char default_who[] = "nobody";
static char *who = default_who;
module_param(who, charp, 0444);
MODULE_PARM_DESC(who, "a string");
static int hidden = 3;
module_param(hidden, int, 0);

int init_module(void)
{
    printk("params_all: level=%d count=%u verbose=%d who=[%s] hidden=%d\n", level, count,
           verbose ? 1 : 0, who, hidden);
    return 0;
}

void cleanup_module(void) {}
