// The PC's 8254 PIT channel 0, programmed with real port I/O.
#pragma once
#include <cstdint>
namespace quartz {
void pit_set_hz(uint32_t hz);  // hz already validated with pit::hz_valid
}
