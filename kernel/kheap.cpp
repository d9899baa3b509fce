// kmalloc/kfree (allocator logic in kernel/lib/heap) and the `mem` shell command.
#include "kernel/kheap.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/x86/irq_guard.h"
#include "kernel/arch/x86/paging.h"
#include "kernel/console.h"
#include "kernel/ktasklet.h"
#include "kernel/ktimer.h"
#include "kernel/panic.h"
#include "kernel/pmm.h"
#include "kernel/procfs.h"
#include "kernel/shell.h"
#include "kernel/tq_kernel.h"
#include "kernel/workqueue.h"

namespace quartz {
namespace {
Heap heap;  // interrupts off around every call

// A failed growth changes nothing: paging_map_fresh gives back what it mapped.
bool commit_pages(void*, uintptr_t addr, size_t bytes) {
  return paging_map_fresh(addr, bytes, pte::kWritable, false);
}

const char* free_result_text(Heap::FreeResult r) {
  switch (r) {
    case Heap::FreeResult::NotHeap:
      return "pointer is not from kmalloc";
    case Heap::FreeResult::BadMagic:
      return "block header corrupted (overrun or not from kmalloc)";
    case Heap::FreeResult::DoubleFree:
      return "double free";
    default:
      return "invalid free";
  }
}

void show_meminfo(ProcFile* out, void*) {
  const HeapStats s = kheap_stats();
  proc_printf(out, "heap: %u bytes in use in %u allocations; arena %u KiB, %u bytes free\n",
              unsigned(s.bytes_in_use), unsigned(s.live_allocations),
              unsigned(s.arena_bytes / 1024), unsigned(s.free_bytes));
  proc_printf(out, "heap: %u allocations and %u frees since boot\n", unsigned(s.total_allocs),
              unsigned(s.total_frees));
  proc_printf(out, "pages: %u free of %u (4 KiB each, %u KiB free)\n", unsigned(pmm_free_pages()),
              unsigned(pmm_total_pages()), unsigned(pmm_free_pages() * 4));
}

int cmd_mem(int argc, char** argv) {
  if (argc == 2 && str_eq(argv[1], "check")) {
    const char* reason = nullptr;
    if (kheap_check(&reason)) {
      kprintf("heap: consistent\n");
      return 0;
    }
    kprintf("heap: CORRUPT: %s\n", reason ? reason : "?");
    return 1;
  }
  if (argc != 1) return shell_usage("mem");
  return proc_cat("meminfo");
}
}  // namespace

SHELL_COMMAND(mem, "[check]", "heap and page allocator statistics; check: walk the heap", cmd_mem);

void kheap_init() {
  heap.init(kHeapBase, kHeapSize, commit_pages, nullptr, kPageSize);
  proc_create("meminfo", show_meminfo, nullptr, nullptr);
}

HeapStats kheap_stats() {
  InterruptDisabler guard;
  return heap.stats();
}

bool kheap_check(const char** reason) {
  InterruptDisabler guard;
  return heap.check(reason);
}

}  // namespace quartz

using namespace quartz;

extern "C" void* kmalloc(size_t size) {
  InterruptDisabler guard;
  return heap.alloc(size);
}

extern "C" void* kzalloc(size_t size) {
  void* p = kmalloc(size);
  if (p) __builtin_memset(p, 0, size);
  return p;
}

namespace {
// Debug-objects on free (Linux CONFIG_DEBUG_OBJECTS_FREE): a pending task inside the
// block would be run from freed memory at the next drain. Report it and take it off its
// queue. A task queue head inside the block leaves the kernel's registry of queues (or
// the next `sleep` or `tq` would walk freed memory): silently when it is empty and idle,
// reported as "free of an active queue" otherwise. Then poison the block so a later use
// of anything in it is recognisable.
void take_pending_tasks_out(uintptr_t lo, uintptr_t hi) {
  // Bounded: a task too corrupt to unlink is reported each round and left in place.
  for (int round = 0; round < 1024; ++round) {
    tq_struct* found[8];
    const size_t n = tq_collect_in_range(lo, hi, kTqHitTask, found, sizeof found / sizeof found[0]);
    if (n == 0) return;
    for (size_t i = 0; i < n; ++i) {
      kprintf("kfree(%p): the block holds a pending task\n", reinterpret_cast<void*>(lo));
      tq_debug_mark_freed(found[i]);  // reports "free of an active task", unlinks
    }
  }
}
constexpr uint8_t kPoisonFree = 0x6b;  // Linux's POISON_FREE
}  // namespace

extern "C" void kfree(void* p) {
  Heap::FreeResult r;
  size_t size = 0;
  {
    InterruptDisabler guard;
    size = heap.usable_size(p);
  }
  if (size) {
    const auto lo = reinterpret_cast<uintptr_t>(p);
    // One short walk first: usually no queue holds a task and none lies in the block.
    const bool tq = tq_range_matters(lo, lo + size);
    if (tq) [[unlikely]]
      take_pending_tasks_out(lo, lo + size);
    if (wq_any_active()) [[unlikely]]
      wq_free_items_in_range(lo, lo + size);  // "free of an active work item"
    // "free of an active timer" (disarmed), "free of a scheduled tasklet" (taken off); the
    // idle tests are inline: every kfree asks, and usually nothing is armed or scheduled.
    if (!timers_idle()) timer_debug_free_range(lo, lo + size);
    if (!tasklets_idle()) tasklet_debug_free_range(lo, lo + size);
    if (tq) [[unlikely]]
      tq_free_queues_in_range(lo, lo + size);
    __builtin_memset(p, kPoisonFree, size);
  }
  {
    InterruptDisabler guard;
    r = heap.free(p);
  }
  if (r != Heap::FreeResult::Ok && r != Heap::FreeResult::Null)
    panic("kfree(%p): %s", p, free_result_text(r));
}
