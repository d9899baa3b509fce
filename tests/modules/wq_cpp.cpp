// wq_cpp: C++ namespace-scope work items, on purpose: DECLARE_WORK and DECLARE_DELAYED_WORK must be constant-initialised (no .init_array: tools/build-module.sh refuses a module that has one), and a work item inside a C++ object finds its object with container_of.
#include <quartz/module.h>

namespace
{
volatile int runs = 0;

struct counter {
    int step;
    struct work_struct work;
};

void plain_fn(struct work_struct *) { runs = runs + 1; }
void delayed_fn(struct work_struct *w)
{
    runs = runs + 10;
    (void)to_delayed_work(w);
}
void member_fn(struct work_struct *w)
{
    counter *c = container_of(w, counter, work);
    runs = runs + c->step;
}

DECLARE_WORK(cpp_work, plain_fn);
DECLARE_DELAYED_WORK(cpp_dwork, delayed_fn);
constinit counter cpp_counter = {100, __WORK_INITIALIZER(cpp_counter.work, member_fn)};
} // namespace

extern "C" int init_module(void)
{
    schedule_work(&cpp_work);
    schedule_delayed_work(&cpp_dwork, 2);
    schedule_work(&cpp_counter.work);
    flush_delayed_work(&cpp_dwork);
    flush_work(&cpp_work);
    flush_work(&cpp_counter.work);
    printk("wq_cpp: %s (%d)\n", runs == 111 ? "three work items ran" : "FAILED", runs);
    return runs == 111 ? 0 : -EINVAL;
}

extern "C" void cleanup_module(void)
{
    cancel_work_sync(&cpp_work);
    cancel_delayed_work_sync(&cpp_dwork);
    cancel_work_sync(&cpp_counter.work);
}
