// Host tests of the --linux emulation's pure logic (kernel/lib/linux_compat.h) on Linux
// 2.2's types: the task queue (LIFO, the pending bit, a routine that queues itself runs
// at the next drain), the wait queue's NULL/sentinel pointer, the /proc read loop with
// 2.2/2.4's get_info and read_proc conventions, printk's levels. The 2.2 types are
// written out here as modules/compat/linux/{tqueue,wait}.h declare them: those headers
// cannot share a translation unit with the C library's (mode_t and friends differ).
#include "kernel/lib/linux_compat.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
// Linux 2.2's layouts, as modules/compat/linux/tqueue.h and wait.h declare them.
struct tq_struct {
  struct tq_struct* next;
  unsigned long sync;
  void (*routine)(void*);
  void* data;
};
typedef struct tq_struct* task_queue;
struct wait_queue {
  void* task;
  struct wait_queue* next;
};
// 2.2's ((struct wait_queue *)((x)-1)), through an integer (see wq22_sentinel).
#define WAIT_QUEUE_HEAD(x) \
  (reinterpret_cast<struct wait_queue*>(reinterpret_cast<uintptr_t>(x) - sizeof(void*)))
typedef long off_t22;

using quartz::linux_proc_read;
using quartz::ProcReadFn;
using quartz::ProcReadKind;

std::vector<int> g_ran;
struct tq_struct* g_requeue_task = nullptr;
task_queue* g_requeue_list = nullptr;

void record(void* data) { g_ran.push_back(int(reinterpret_cast<intptr_t>(data))); }
void record_and_requeue(void* data) {
  record(data);
  bool was_empty;
  quartz::tq22_queue(g_requeue_task, g_requeue_list, &was_empty);
}

unsigned drain(task_queue* q) {
  struct tq_struct* batch = quartz::tq22_take(q);
  return quartz::tq22_run_batch(
      batch, [](void (*)(void*)) {}, [] {});
}

TEST(Linux22TaskQueue, PositionalInitialiserAndLifoOrder) {
  g_ran.clear();
  task_queue q = nullptr;
  struct tq_struct a = {nullptr, 0, record, reinterpret_cast<void*>(1)};
  struct tq_struct b = {nullptr, 0, record, reinterpret_cast<void*>(2)};
  struct tq_struct c = {nullptr, 0, record, reinterpret_cast<void*>(3)};
  bool was_empty = false;
  EXPECT_EQ(quartz::tq22_queue(&a, &q, &was_empty), 1);
  EXPECT_TRUE(was_empty);
  EXPECT_EQ(quartz::tq22_queue(&b, &q, &was_empty), 1);
  EXPECT_FALSE(was_empty);
  EXPECT_EQ(quartz::tq22_queue(&c, &q, &was_empty), 1);
  EXPECT_EQ(drain(&q), 3u);
  EXPECT_EQ(g_ran, (std::vector<int>{3, 2, 1}));  // the last queued runs first
  EXPECT_EQ(q, nullptr);
  EXPECT_EQ(a.sync, 0u);
}

TEST(Linux22TaskQueue, PendingBitRefusesASecondQueueing) {
  g_ran.clear();
  task_queue q = nullptr, other = nullptr;
  struct tq_struct a = {nullptr, 0, record, reinterpret_cast<void*>(7)};
  bool was_empty;
  EXPECT_EQ(quartz::tq22_queue(&a, &q, &was_empty), 1);
  EXPECT_EQ(a.sync & 1, 1u);
  EXPECT_EQ(quartz::tq22_queue(&a, &q, &was_empty), 0);      // already pending
  EXPECT_EQ(quartz::tq22_queue(&a, &other, &was_empty), 0);  // never on two queues
  EXPECT_EQ(other, nullptr);
  EXPECT_EQ(drain(&q), 1u);
  EXPECT_EQ(g_ran, (std::vector<int>{7}));
}

TEST(Linux22TaskQueue, SelfRequeueRunsAtTheNextDrainNotThisOne) {
  g_ran.clear();
  task_queue q = nullptr;
  struct tq_struct a = {nullptr, 0, record_and_requeue, reinterpret_cast<void*>(5)};
  g_requeue_task = &a;
  g_requeue_list = &q;
  bool was_empty;
  quartz::tq22_queue(&a, &q, &was_empty);
  EXPECT_EQ(drain(&q), 1u);  // ran once, queued itself again
  EXPECT_EQ(q, &a);
  EXPECT_EQ(a.sync & 1, 1u);
  EXPECT_EQ(drain(&q), 1u);
  EXPECT_EQ(g_ran, (std::vector<int>{5, 5}));
  a.routine = record;  // stop: the last run does not requeue
  EXPECT_EQ(drain(&q), 1u);
  EXPECT_EQ(q, nullptr);
}

TEST(Linux22TaskQueue, RemoveIfUnlinksAndClearsPending) {
  task_queue q = nullptr;
  struct tq_struct a = {nullptr, 0, record, nullptr}, b = {nullptr, 0, record, nullptr};
  bool was_empty;
  quartz::tq22_queue(&a, &q, &was_empty);
  quartz::tq22_queue(&b, &q, &was_empty);
  EXPECT_EQ(quartz::tq22_remove_if(&q, [&](struct tq_struct* t) { return t == &a; }), 1u);
  EXPECT_EQ(q, &b);
  EXPECT_EQ(b.next, nullptr);
  EXPECT_EQ(a.sync, 0u);
}

TEST(Linux22WaitQueue, PointerIsNullUntilTheFirstSleeperAndTheSentinelAfterTheLast) {
  struct wait_queue* WaitQ = nullptr;
  EXPECT_FALSE(quartz::wq22_has_sleepers(&WaitQ));
  struct wait_queue one = {nullptr, nullptr}, two = {nullptr, nullptr};
  quartz::wq22_add(&WaitQ, &one);
  EXPECT_EQ(WaitQ, &one);
  EXPECT_EQ(one.next, WAIT_QUEUE_HEAD(&WaitQ));  // the circle closes at the sentinel
  quartz::wq22_add(&WaitQ, &two);
  EXPECT_EQ(WaitQ, &two);
  EXPECT_EQ(two.next, &one);
  EXPECT_TRUE(quartz::wq22_has_sleepers(&WaitQ));
  quartz::wq22_remove(&one);  // the first sleeper leaves: two stays, circle intact
  EXPECT_EQ(WaitQ, &two);
  EXPECT_EQ(two.next, WAIT_QUEUE_HEAD(&WaitQ));
  quartz::wq22_remove(&two);
  EXPECT_NE(WaitQ, nullptr);  // what the 2.2 example's `WaitQ != NULL` relies on
  EXPECT_EQ(WaitQ, WAIT_QUEUE_HEAD(&WaitQ));
  EXPECT_FALSE(quartz::wq22_has_sleepers(&WaitQ));
  quartz::wq22_add(&WaitQ, &one);  // a later sleeper links to the sentinel again
  EXPECT_EQ(one.next, WAIT_QUEUE_HEAD(&WaitQ));
  quartz::wq22_remove(&one);
  EXPECT_EQ(WaitQ, WAIT_QUEUE_HEAD(&WaitQ));
}

// ---- /proc reads ----
struct Reader {
  int calls = 0;
  std::vector<long> offsets;
  std::string text;
};
void append(void* ctx, const char* bytes, size_t n) {
  static_cast<Reader*>(ctx)->text.append(bytes, n);
}
// Linux tells a *start that points at data from one that counts records by comparing it
// with the page: module buffers lay above the kernel's pages (vmalloc), as they do in
// Quartz (modules at 0xd0000000, the heap below). Here the functions' own buffer lies in
// the same allocation, after the page, to keep that order.
char* g_own_buffer = nullptr;
std::string read_all(const ProcReadFn& fn, long limit = 1 << 20, long* out_ret = nullptr) {
  std::vector<char> mem(2 * quartz::kProcPageSize);
  char* page = mem.data();
  g_own_buffer = page + quartz::kProcPageSize;
  long pos = 0;
  Reader* r = static_cast<Reader*>(fn.ctx);
  const long ret = linux_proc_read(fn, page, &pos, limit, append, r);
  if (out_ret) *out_ret = ret;
  return r->text;
}

// The 2.2 edition's shape: its own buffer through *start, 0 once offset > 0.
int guide22_get_info(char* buffer, char** start, off_t22 offset, int length, int zero) {
  (void)buffer, (void)length, (void)zero;
  if (offset > 0) return 0;
  const int len = std::snprintf(g_own_buffer, 80, "Timer was called %d times so far\n", 42);
  *start = g_own_buffer;
  return len;
}
int call_get_info(void* ctx, char* page, char** start, long off, int count, int*) {
  static_cast<Reader*>(ctx)->calls++;
  static_cast<Reader*>(ctx)->offsets.push_back(off);
  return guide22_get_info(page, start, off, count, 0);
}

TEST(LinuxProcRead, GetInfoWithItsOwnBufferPrintsTheTextOnce) {
  Reader r;
  const std::string text = read_all({ProcReadKind::GetInfo, call_get_info, &r});
  EXPECT_EQ(text, "Timer was called 42 times so far\n");
  EXPECT_EQ(r.calls, 1);  // returned less than asked: end of file at once
}

// A read_proc that, like the 2.4 edition's, never sets *eof: the loop calls it again at
// the advanced offset and stops on its 0.
int guide24_read_proc(void* ctx, char*, char** start, long off, int, int*) {
  auto* r = static_cast<Reader*>(ctx);
  r->calls++;
  r->offsets.push_back(off);
  if (off > 0) return 0;
  const int len = std::snprintf(g_own_buffer, 80, "Timer called %d times so far\n", 7);
  *start = g_own_buffer;
  return len;
}

TEST(LinuxProcRead, ReadProcWithoutEofIsCalledAgainAtTheNewOffsetAndStops) {
  Reader r;
  const std::string text = read_all({ProcReadKind::ReadProc, guide24_read_proc, &r});
  EXPECT_EQ(text, "Timer called 7 times so far\n");
  EXPECT_EQ(r.offsets, (std::vector<long>{0, long(text.size())}));
}

// *start left NULL: the data sits at its offset in the page, the whole text each call.
int in_page(void* ctx, char* page, char**, long off, int, int* eof) {
  auto* r = static_cast<Reader*>(ctx);
  r->calls++;
  r->offsets.push_back(off);
  std::strcpy(page, "line one\nline two\n");
  if (off > 0) *eof = 1;
  return int(std::strlen(page));
}

TEST(LinuxProcRead, NullStartTakesTheDataAtTheOffsetInThePage) {
  Reader r;
  EXPECT_EQ(read_all({ProcReadKind::ReadProc, in_page, &r}), "line one\nline two\n");
  EXPECT_EQ(r.calls, 2);  // the second call, at offset 18, has nothing past it
}

TEST(LinuxProcRead, SmallBlocksFollowTheOffset) {
  Reader r;
  long ret = 0;
  // At most 5 bytes per read(2): the loop asks for 5, takes 5 at the offset.
  EXPECT_EQ(read_all({ProcReadKind::ReadProc, in_page, &r}, 5, &ret), "line ");
  EXPECT_EQ(ret, 5);
}

// The start-as-a-number hack: data at the page's start, the position moves by *start.
int offset_hack(void* ctx, char* page, char** start, long off, int, int* eof) {
  auto* r = static_cast<Reader*>(ctx);
  r->calls++;
  r->offsets.push_back(off);
  if (off >= 2) {
    *eof = 1;
    return 0;
  }
  page[0] = char('A' + off);
  page[1] = '\n';
  *start = reinterpret_cast<char*>(1);  // one record further
  return 2;
}

TEST(LinuxProcRead, StartBelowThePageIsTheAmountThePositionMoves) {
  Reader r;
  EXPECT_EQ(read_all({ProcReadKind::ReadProc, offset_hack, &r}), "A\nB\n");
  EXPECT_EQ(r.offsets, (std::vector<long>{0, 1, 2}));
}

// An error counts only with *start set: with it NULL, Linux's `n -= *ppos; if (n <= 0)
// break;` reads it as the end of the file.
int fails(void*, char* page, char** start, long, int, int*) {
  *start = page;
  return -5;
}
int fails_without_start(void*, char*, char**, long, int, int*) { return -5; }

TEST(LinuxProcRead, AnErrorBeforeAnyDataIsReturnedAndNoFunctionMeansNothing) {
  Reader r;
  long ret = 0;
  EXPECT_EQ(read_all({ProcReadKind::ReadProc, fails, &r}, 100, &ret), "");
  EXPECT_EQ(ret, -5);
  EXPECT_EQ(read_all({ProcReadKind::ReadProc, fails_without_start, &r}, 100, &ret), "");
  EXPECT_EQ(ret, 0);
  EXPECT_EQ(read_all({ProcReadKind::None, nullptr, &r}, 100, &ret), "");
  EXPECT_EQ(ret, 0);
}

TEST(PrintkLevel, LeadingLevelIsStrippedAndNothingElse) {
  EXPECT_STREQ(quartz::printk_skip_level("<1>Alert\n"), "Alert\n");
  EXPECT_STREQ(quartz::printk_skip_level("<6>x"), "x");
  EXPECT_STREQ(quartz::printk_skip_level("<8>no"), "<8>no");
  EXPECT_STREQ(quartz::printk_skip_level("a<1>b"), "a<1>b");
  EXPECT_STREQ(quartz::printk_skip_level("<1"), "<1");
}

}  // namespace
