// hello_cpp: a module written in C++, showing that the API's C linkage is all a module
// needs: extern "C" entry points, a small class, no exceptions, RTTI, new or constructors.
//
// What C++ gets in a Quartz module (built with -fno-exceptions -fno-rtti
// -fno-threadsafe-statics -fno-use-cxa-atexit):
//   - No global constructors or destructors: the loader runs none. Objects at namespace
//     scope must be constant-initialised: mark them `constinit` (C++20) and the compiler
//     refuses anything that would need a constructor at load time. Their destructors
//     must be trivial (a non-trivial one would register itself with atexit: "unknown
//     symbol atexit" at insmod).
//   - No operator new/delete (the kernel exports none): use kmalloc/kfree, or static
//     storage. A virtual destructor would pull in operator delete.
//   - No pure virtual functions (__cxa_pure_virtual is not exported), no exceptions, no
//     typeid/dynamic_cast.
//   - init_module and cleanup_module must be extern "C": a C++ name is mangled
//     (_Z11init_modulev) and the loader would not find it.
#include <quartz/module.h>

namespace
{

// Counts ticks with a task on tq_timer: the C API's callback is a static member function.
class TickCounter
{
  public:
    // constexpr: a TickCounter at namespace scope is built by the compiler, not at load time.
    constexpr explicit TickCounter(const char *name) : name_(name) {}

    // Non-copyable, like every object that may sit on a kernel list.
    TickCounter(const TickCounter &) = delete;
    TickCounter &operator=(const TickCounter &) = delete;

    void start()
    {
        task_.data = this;
        queue_task(&task_, &tq_timer);
    }

    // Thread context (cleanup_module): on return the routine is neither queued nor running.
    void stop() { cancel_task_sync(&task_); }

    int ticks() const { return ticks_; }
    const char *name() const { return name_; }

  private:
    // Runs after every tick, in interrupt context: must not sleep.
    static void tick(void *data)
    {
        TickCounter *self = static_cast<TickCounter *>(data);
        self->ticks_ = self->ticks_ + 1;
        queue_task(&self->task_, &tq_timer);
    }

    const char *name_;
    volatile int ticks_ = 0; // written by the routine, read by cleanup_module
    tq_struct task_ = {.routine = &TickCounter::tick, .data = nullptr};
};

// constinit: a compile error, not a silent constructor, if this ever needed one.
constinit TickCounter counter{"hello_cpp"};

// A function template, instantiated at compile time like any C++ code.
template <typename T> constexpr T twice(T x) { return x + x; }
static_assert(twice(21) == 42, "templates and constexpr work as anywhere else");

} // namespace

extern "C" int init_module(void)
{
    printk("hello_cpp: hello from C++ (twice(21) = %d)\n", twice(21));
    counter.start();
    return 0;
}

extern "C" void cleanup_module(void)
{
    counter.stop();
    printk("hello_cpp: %s counted %d ticks, goodbye\n", counter.name(), counter.ticks());
}
