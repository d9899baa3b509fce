// The x86 page size, spelled once for the kernel and the pure logic of kernel/lib: 4 KiB,
// what one page-table entry maps (Intel SDM Vol. 3A §4.3).
#pragma once
#include <cstdint>

namespace quartz {
inline constexpr uint32_t kPageSize = 4096;
}  // namespace quartz
