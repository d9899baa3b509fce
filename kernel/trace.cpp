// The trace ring instance, the `trace start|stop|clear|dump` command, and the dump as
// Chrome trace-event JSON between marker lines on the console.
#include "kernel/trace.h"
#include "kernel/process/syscall.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/fault.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/console.h"
#include "kernel/lib/format.h"
#include "kernel/kallsyms.h"
#include "kernel/sched.h"
#include "kernel/shell.h"
#include "kernel/timer.h"
#include "kernel/tq_kernel.h"

namespace quartz {

volatile bool g_trace_enabled = false;

namespace {
TraceRing<8192, InterruptDisabler> ring;

// Names for code and data addresses: kernel symbols, then modules (live or unloaded).
void name_of(uint32_t addr, char* buf, size_t len) {
  const char* name;
  uint32_t off;
  if (ksyms_lookup(addr, &name, &off)) {
    snformat(buf, len, off ? "%s+0x%x" : "%s", name, off);
    return;
  }
  if (fault_name_address(addr, buf, len)) {
    // "in unloaded module sched: sched_tick+0x0" reads as "sched_tick+0x0 [sched]" in a
    // trace: the module was there when the event happened.
    constexpr const char* kPrefix = "in unloaded module ";
    const size_t plen = __builtin_strlen(kPrefix);
    if (str_starts_with(buf, kPrefix)) {
      char tmp[96];
      const char* mod = buf + plen;
      const char* colon = mod;
      while (*colon && *colon != ':') ++colon;
      if (*colon) {
        snformat(tmp, sizeof tmp, "%s [%.*s]", colon + 2, int(colon - mod), mod);
        snformat(buf, len, "%s", tmp);
      }
    }
    return;
  }
  snformat(buf, len, "0x%08x", addr);
}

// JSON strings: symbol names can hold quotes only in theory; escape what JSON needs.
void json_string(const char* s) {
  kprintf("\"");
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\')
      kprintf("\\%c", *s);
    else if (uint8_t(*s) < 0x20)
      kprintf("\\u%04x", unsigned(uint8_t(*s)));
    else
      kprintf("%c", *s);
  }
  kprintf("\"");
}

constexpr uint32_t kIrqTid = 1000;  // the pseudo-thread interrupts are drawn on
constexpr uint32_t kNoThread = 0xFFFF;

const char* module_phase(uint32_t p) {
  static const char* const names[] = {"validate", "allocate",    "resolve", "relocate",
                                      "coming",   "init_module", "live",    "cleanup_module",
                                      "going",    "free",        "failed"};
  return p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

// One JSON object per event; `first` avoids a trailing comma.
void emit(const TraceEvent& e, bool& first) {
  char name[96], name2[96];
  // TSC units: instructions (= virtual ns) under -icount shift=0; Chrome wants us.
  const unsigned long long us = e.tsc / 1000, frac = e.tsc % 1000;
  auto begin = [&](const char* ph, uint32_t tid, const char* cat) {
    kprintf(first ? "\n" : ",\n");
    first = false;
    kprintf("{\"ph\":\"%s\",\"ts\":%llu.%03llu,\"pid\":1,\"tid\":%u,\"cat\":\"%s\",\"name\":", ph,
            us, frac, tid, cat);
  };
  switch (e.type) {
    case TraceType::IrqEntry:
    case TraceType::IrqExit:
      begin(e.type == TraceType::IrqEntry ? "B" : "E", kIrqTid, "irq");
      snformat(name, sizeof name, e.a == 32 ? "IRQ 0 (timer)" : "vector %u", e.a);
      json_string(name);
      break;
    case TraceType::Tick:
      begin("i", kIrqTid, "tick");
      json_string("tick");
      kprintf(",\"s\":\"t\",\"args\":{\"jiffies\":%u}", e.a);
      break;
    case TraceType::QueueTask:
      begin("i", e.thread, "tq");
      name_of(e.b, name, sizeof name);
      snformat(name2, sizeof name2, "queue_task %s", name);
      json_string(name2);
      kprintf(",\"s\":\"t\"");
      break;
    case TraceType::DrainStart:
    case TraceType::DrainEnd: {
      begin(e.type == TraceType::DrainStart ? "B" : "E", kIrqTid, "tq");
      snformat(name, sizeof name, "drain %s", reinterpret_cast<const char*>(e.a));
      json_string(name);
      break;
    }
    case TraceType::RoutineStart:
    case TraceType::RoutineEnd:
      begin(e.type == TraceType::RoutineStart ? "B" : "E", kIrqTid, "routine");
      name_of(e.a, name, sizeof name);
      json_string(name);
      break;
    case TraceType::TimerStart:
    case TraceType::TimerEnd:
      begin(e.type == TraceType::TimerStart ? "B" : "E", kIrqTid, "timer");
      name_of(e.a, name, sizeof name);
      json_string(name);
      break;
    case TraceType::TaskletStart:
    case TraceType::TaskletEnd:
      begin(e.type == TraceType::TaskletStart ? "B" : "E", kIrqTid, "tasklet");
      name_of(e.a, name, sizeof name);
      json_string(name);
      break;
    case TraceType::WorkStart:
    case TraceType::WorkEnd:
      begin(e.type == TraceType::WorkStart ? "B" : "E", e.thread, "work");
      name_of(e.a, name, sizeof name);
      json_string(name);
      break;
    case TraceType::WakeUp: {
      begin("i", e.thread, "wait");
      snformat(name, sizeof name, "wake_up %s (%u woken)", reinterpret_cast<const char*>(e.a), e.b);
      json_string(name);
      kprintf(",\"s\":\"t\"");
      break;
    }
    case TraceType::Sleep: {
      begin("i", e.thread, "wait");
      snformat(name, sizeof name, "sleep on %s", reinterpret_cast<const char*>(e.a));
      json_string(name);
      kprintf(",\"s\":\"t\"");
      break;
    }
    case TraceType::Switch:
      // A thread's running time is a slice on its own row (kNoThread: tracing began).
      if (e.a != kNoThread) {
        begin("E", e.a, "sched");
        json_string("running");
        kprintf("}");
      }
      begin("B", e.b, "sched");
      json_string("running");
      break;
    case TraceType::Module:
      begin("i", e.thread, "module");
      snformat(name, sizeof name, "module %s: %s", reinterpret_cast<const char*>(e.a),
               module_phase(e.b));
      json_string(name);
      kprintf(",\"s\":\"t\"");
      break;
    case TraceType::Fault:
      begin("i", e.thread, "fault");
      name_of(e.b, name2, sizeof name2);
      snformat(name, sizeof name, "fault %s at %s", exception_name(e.a), name2);
      json_string(name);
      kprintf(",\"s\":\"g\"");
      break;
    case TraceType::Mark:
      begin("i", e.thread, "mark");
      json_string(reinterpret_cast<const char*>(e.a));
      kprintf(",\"s\":\"t\",\"args\":{\"value\":%u}", e.b);
      break;
    case TraceType::Syscall:
      begin("i", e.thread, "syscall");
      snformat(name, sizeof name, "syscall %s = %d", syscall_name(e.a), int(e.b));
      json_string(name);
      kprintf(",\"s\":\"t\"");
      break;
    case TraceType::Fork:
    case TraceType::Exec:
    case TraceType::Exit:
      begin("i", e.thread, "process");
      if (e.type == TraceType::Fork) snformat(name, sizeof name, "fork %u -> %u", e.a, e.b);
      if (e.type == TraceType::Exec) snformat(name, sizeof name, "exec pid %u", e.a);
      if (e.type == TraceType::Exit)
        snformat(name, sizeof name, "exit pid %u status 0x%x", e.a, e.b);
      json_string(name);
      kprintf(",\"s\":\"t\"");
      break;
  }
  kprintf("}");
}

void thread_name_meta(uint32_t tid, const char* name, bool& first) {
  kprintf(first ? "\n" : ",\n");
  first = false;
  kprintf("{\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"name\":\"thread_name\",\"args\":{\"name\":", tid);
  json_string(name);
  kprintf("}}");
}

void dump() {
  const bool was_on = g_trace_enabled;
  g_trace_enabled = false;  // a stable picture; the dump itself is not traced
  kprintf("=== QUARTZ TRACE BEGIN ===\n{\"traceEvents\":[");
  bool first = true;
  thread_name_meta(kIrqTid, "interrupts", first);
  thread_names_for_trace(
      [](void* ctx, uint32_t id, const char* name) {
        thread_name_meta(id, name, *static_cast<bool*>(ctx));
      },
      &first);
  static TraceEvent chunk[64];  // the shell thread only
  for (size_t from = 0;;) {
    const size_t n = ring.copy(from, chunk, 64);
    if (!n) break;
    for (size_t i = 0; i < n; ++i) emit(chunk[i], first);
    from += n;
  }
  kprintf(
      "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"clock\":\"rdtsc/1000 (us under "
      "-icount shift=0)\",\"hz\":%u,\"events\":%u,\"overwritten\":%llu}}\n"
      "=== QUARTZ TRACE END ===\n",
      timer_hz(), unsigned(ring.size()), static_cast<unsigned long long>(ring.overwritten()));
  g_trace_enabled = was_on;
}

int cmd_trace(int argc, char** argv) {
  if (argc != 2) return shell_usage("trace");
  const char* op = argv[1];
  if (str_eq(op, "start")) {
    ring.set_enabled(true);
    g_trace_enabled = true;
    trace(TraceType::Switch, kNoThread, current_thread()->id);  // open our running slice
  } else if (str_eq(op, "stop")) {
    g_trace_enabled = false;
    ring.set_enabled(false);
  } else if (str_eq(op, "clear")) {
    ring.clear();
  } else if (str_eq(op, "dump")) {
    dump();
    return 0;
  } else {
    return shell_usage("trace");
  }
  kprintf("trace: %s (%u events kept, %llu overwritten)\n", op, unsigned(ring.size()),
          static_cast<unsigned long long>(ring.overwritten()));
  return 0;
}
}  // namespace

SHELL_COMMAND(trace, "start|stop|clear|dump", "record kernel events; dump as Chrome JSON",
              cmd_trace);

void trace_event(TraceType type, uint32_t a, uint32_t b) {
  Thread* t = current_thread();
  ring.record(cpu::rdtsc(), type, t ? uint16_t(t->id) : 0, a, b);
}

void trace_init() {}

const char* trace_intern(const char* s) {
  static char names[64][32];  // interrupts off
  static int used = 0;
  if (!s) return "?";
  char key[sizeof names[0]];
  str_copy(key, s, sizeof key);  // names are kept cut to 31 characters: compare so
  InterruptDisabler guard;
  for (int i = 0; i < used; ++i)
    if (str_eq(names[i], key)) return names[i];
  if (used == 64) return "(more names than the trace keeps)";
  str_copy(names[used], key, sizeof names[used]);
  return names[used++];
}

}  // namespace quartz
