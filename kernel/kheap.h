// The kernel heap: kmalloc/kfree over a virtual arena that grows a page at a time.
//
// Contract: thread context only (growing maps pages); never from an interrupt handler
// or a task-queue routine. kfree of a pointer kmalloc did not return, or a double free,
// panics with the reason rather than corrupting the heap.
#pragma once
#include <cstddef>
#include "kernel/lib/heap.h"

namespace quartz {
void kheap_init();
HeapStats kheap_stats();
bool kheap_check(const char** reason);
}  // namespace quartz

extern "C" {
void* kmalloc(size_t size);
void* kzalloc(size_t size);
void kfree(void* p);
}
