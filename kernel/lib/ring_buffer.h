// Fixed-size byte ring between one interrupt handler (producer) and one thread (consumer).
//
// Contract:
//   - Exactly one producer and one consumer, on a uniprocessor: typically the keyboard or
//     UART IRQ handler calls push() and the shell thread calls pop(). Neither side needs
//     to disable interrupts: the producer only writes head_, the consumer only writes
//     tail_, and each index is written with one aligned 32-bit store.
//   - Ordering: a compiler barrier (__atomic_signal_fence) keeps the data byte and its
//     index update in program order. That is enough against an interrupt on the same
//     CPU; it is NOT enough between CPUs (SMP would need acquire/release atomics).
//   - push() never blocks: when the ring is full the byte is dropped and counted.
//   - All N slots are usable: head_ and tail_ run freely and wrap modulo 2^32, and N is
//     a power of two so "index & (N - 1)" stays correct across the wrap.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

template <size_t N>
class RingBuffer {
  static_assert(N >= 2 && (N & (N - 1)) == 0, "RingBuffer size must be a power of two");
  static_assert(N <= (size_t{1} << 31), "indices are 32-bit free-running counters");

 public:
  constexpr RingBuffer() = default;
  // Starts both counters at `start` instead of 0, so tests can cross the 2^32 wrap.
  constexpr explicit RingBuffer(uint32_t start) : head_(start), tail_(start) {}
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  // Producer side (interrupt handler). False, and one more drop counted, when full.
  bool push(uint8_t byte) {
    uint32_t head = head_;
    if (head - tail_ == N) {
      dropped_ = dropped_ + 1;  // only the producer writes dropped_
      return false;
    }
    data_[head & mask] = byte;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);  // byte stored before it is published
    head_ = head + 1;
    return true;
  }

  // Consumer side (thread). False when empty.
  bool pop(uint8_t* out) {
    uint32_t tail = tail_;
    if (head_ == tail) return false;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);  // read the byte only after seeing head_
    *out = data_[tail & mask];
    __atomic_signal_fence(__ATOMIC_SEQ_CST);  // byte read before the slot is released
    tail_ = tail + 1;
    return true;
  }

  // Either side; a snapshot that may be stale by the time the caller looks at it.
  size_t size() const { return static_cast<uint32_t>(head_ - tail_); }
  bool empty() const { return size() == 0; }
  static constexpr size_t capacity() { return N; }
  size_t dropped() const { return dropped_; }

 private:
  static constexpr uint32_t mask = static_cast<uint32_t>(N - 1);

  uint8_t data_[N] = {};
  volatile uint32_t head_ = 0;     // written by the producer only
  volatile uint32_t tail_ = 0;     // written by the consumer only
  volatile uint32_t dropped_ = 0;  // written by the producer only
};

}  // namespace quartz
