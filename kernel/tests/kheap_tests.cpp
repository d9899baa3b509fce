// In-kernel self-tests of the kernel heap: statistics back at their baseline, growth by
// mapping fresh pages, alignment and zeroing.
#include "kernel/arch/x86/paging.h"
#include "kernel/kheap.h"
#include "kernel/pmm.h"
#include "kernel/selftest.h"

namespace quartz {
namespace {

SELFTEST(kheap_stats_return_to_baseline) {
  const HeapStats before = kheap_stats();
  void* blocks[32];
  for (int i = 0; i < 32; ++i) {
    blocks[i] = kmalloc(size_t(i * 37 + 1));
    ST_EXPECT(blocks[i] != nullptr);
    __builtin_memset(blocks[i], 0xA5, size_t(i * 37 + 1));
  }
  const HeapStats during = kheap_stats();
  ST_EXPECT(during.live_allocations == before.live_allocations + 32);
  for (int i = 0; i < 32; i += 2) kfree(blocks[i]);
  for (int i = 1; i < 32; i += 2) kfree(blocks[i]);
  const HeapStats after = kheap_stats();
  ST_EXPECT(after.bytes_in_use == before.bytes_in_use);
  ST_EXPECT(after.live_allocations == before.live_allocations);
  const char* reason = nullptr;
  ST_EXPECT(kheap_check(&reason));
  return true;
}

SELFTEST(kheap_grows_by_mapping_pages) {
  const size_t free_before = pmm_free_pages();
  void* big = kmalloc(256 * 1024);  // more than the arena had: new pages get mapped
  ST_EXPECT(big != nullptr);
  ST_EXPECT(reinterpret_cast<uintptr_t>(big) >= kHeapBase);
  auto* bytes = static_cast<volatile uint8_t*>(big);
  bytes[0] = 1;
  bytes[256 * 1024 - 1] = 2;
  ST_EXPECT(pmm_free_pages() < free_before);
  kfree(big);
  return true;
}

SELFTEST(kmalloc_alignment_and_zeroing) {
  void* a = kmalloc(1);
  void* z = kzalloc(100);
  ST_EXPECT(a && z);
  ST_EXPECT((reinterpret_cast<uintptr_t>(a) & 15) == 0);
  for (int i = 0; i < 100; ++i) ST_EXPECT(static_cast<uint8_t*>(z)[i] == 0);
  kfree(a);
  kfree(z);
  kfree(nullptr);  // allowed, like free(NULL)
  return true;
}

}  // namespace
}  // namespace quartz
