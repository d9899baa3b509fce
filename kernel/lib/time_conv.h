// Milliseconds to ticks, in 64 bits, as a pure function: msleep, the shell's `sleep` and
// `every` convert with it, and the host tests check it with hand-computed constants.
//
// Contract: any context (no state). Why 64 bits: with 32-bit arithmetic ms * hz wraps
// from ms = 4294967 at HZ=1000 (msleep(4294968) slept one tick, msleep(4294967) none).
// In 64 bits ms * hz + 999 < 2^64 for every 32-bit ms and hz, so nothing here overflows.
// How far one deadline may lie ahead is a separate limit, QUARTZ_TIMEOUT_HORIZON in
// quartz/wait.h; sleep_ticks and wait_event_timeout wait longer times in chunks.
#pragma once
#include <cstdint>

namespace quartz {

// Ticks in at least `ms` milliseconds at `hz` ticks per second: ceil(ms * hz / 1000).
constexpr uint64_t ms_to_ticks(uint32_t ms, uint32_t hz) {
  return (uint64_t(ms) * hz + 999) / 1000;
}

}  // namespace quartz
