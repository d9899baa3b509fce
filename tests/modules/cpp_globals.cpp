// cpp_globals: a C++ module with ordinary namespace-scope objects: a class with a
// constructor and a destructor, and module-API objects declared without initialisers.
// The loader must run the constructor before init_module and the destructor after
// cleanup_module.
#include <quartz/module.h>

namespace
{
int ticks;
int constructed;

struct Announcer {
    int id;
    explicit Announcer(int i) : id(i)
    {
        constructed++;
        printk("cpp_globals: constructor %d (jiffies counted from here)\n", id);
    }
    ~Announcer() { printk("cpp_globals: destructor %d, %d ticks counted\n", id, ticks); }
};

Announcer first(1);
Announcer second(2);
tq_struct task; // no initialiser: every field must start zero, without a constructor
wait_queue_head_t wq;
bool stopping;

void tick(void *)
{
    ticks++;
    if (!stopping)
        queue_task(&task, &tq_timer);
}
} // namespace

extern "C" int init_module()
{
    if (constructed != 2)
        return -EINVAL; // constructors must have run already
    INIT_TQUEUE(&task, tick, nullptr);
    init_waitqueue_head(&wq);
    queue_task(&task, &tq_timer);
    printk("cpp_globals: init_module after %d constructors\n", constructed);
    return 0;
}

extern "C" void cleanup_module()
{
    stopping = true;
    cancel_task_sync(&task);
    printk("cpp_globals: cleanup_module\n");
}
