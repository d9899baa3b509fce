// The kernel's exports: the only kernel symbols a module's undefined references may
// resolve to (EXPORT_SYMBOL, modules/include/quartz/export.h), and quartz_hz().
#include <cstddef>
#include "kernel/console.h"
#include "kernel/might_sleep.h"
#include <quartz/export.h>
#include "kernel/kheap.h"
#include "kernel/procfs.h"
#include "kernel/timer.h"
#include <quartz/interrupt.h>
#include <quartz/timer.h>
#include <quartz/tqueue.h>
#include <quartz/wait.h>

extern "C" {
void* memcpy(void*, const void*, size_t);
void* memset(void*, int, size_t);
int memcmp(const void*, const void*, size_t);
size_t strlen(const char*);
int strcmp(const char*, const char*);
unsigned int quartz_hz(void) { return quartz::timer_hz(); }
}

EXPORT_SYMBOL(printk);
EXPORT_SYMBOL(kmalloc);
EXPORT_SYMBOL(kzalloc);
EXPORT_SYMBOL(kfree);
EXPORT_SYMBOL(msleep);
EXPORT_SYMBOL(jiffies);
EXPORT_SYMBOL(quartz_hz);
EXPORT_SYMBOL(tq_timer);
EXPORT_SYMBOL(queue_task);
EXPORT_SYMBOL(run_task_queue);
EXPORT_SYMBOL(cancel_task_sync);
EXPORT_SYMBOL(timer_setup);
EXPORT_SYMBOL(init_timer_data_form);
EXPORT_SYMBOL(add_timer);
EXPORT_SYMBOL(mod_timer);
EXPORT_SYMBOL(del_timer);
EXPORT_SYMBOL(del_timer_sync);
EXPORT_SYMBOL(timer_shutdown_sync);
EXPORT_SYMBOL(timer_pending);
EXPORT_SYMBOL(tasklet_init);
EXPORT_SYMBOL(tasklet_setup);
EXPORT_SYMBOL(tasklet_schedule);
EXPORT_SYMBOL(tasklet_hi_schedule);
EXPORT_SYMBOL(tasklet_kill);
EXPORT_SYMBOL(tasklet_disable);
EXPORT_SYMBOL(tasklet_disable_nosync);
EXPORT_SYMBOL(tasklet_enable);
EXPORT_SYMBOL(mark_bh);
EXPORT_SYMBOL(tq_immediate);
EXPORT_SYMBOL(__init_waitqueue_head);
EXPORT_SYMBOL(wake_up);
EXPORT_SYMBOL(sleep_on);
EXPORT_SYMBOL(module_sleep_on);
EXPORT_SYMBOL(prepare_to_wait);
EXPORT_SYMBOL(prepare_to_wait_timeout);
EXPORT_SYMBOL(schedule);
EXPORT_SYMBOL(finish_wait);
EXPORT_SYMBOL(proc_create);
EXPORT_SYMBOL(proc_remove);
EXPORT_SYMBOL(proc_printf);
EXPORT_SYMBOL(memcpy);
EXPORT_SYMBOL(memset);
EXPORT_SYMBOL(memcmp);
EXPORT_SYMBOL(strlen);
EXPORT_SYMBOL(strcmp);
