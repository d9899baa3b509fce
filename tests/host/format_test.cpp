// Host tests for kernel/lib/format: compared against the C library's snprintf.
#include "kernel/lib/format.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>

using quartz::snformat;

namespace {

// Formats with both engines into generous buffers and compares text and return value.
#define EXPECT_SAME(...)                                              \
  do {                                                                \
    char ours[512];                                                   \
    char theirs[512];                                                 \
    int n_ours = snformat(ours, sizeof ours, __VA_ARGS__);            \
    int n_theirs = std::snprintf(theirs, sizeof theirs, __VA_ARGS__); \
    EXPECT_STREQ(ours, theirs) << "format: " << #__VA_ARGS__;         \
    EXPECT_EQ(n_ours, n_theirs) << "format: " << #__VA_ARGS__;        \
  } while (0)

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  quartz::vsnformat(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

void collect(void* ctx, char c) { static_cast<std::string*>(ctx)->push_back(c); }

}  // namespace

TEST(Format, PlainText) {
  EXPECT_SAME("hello, world");
  EXPECT_SAME("%s", "");
  EXPECT_SAME("100%% sure");
}

TEST(Format, SignedIntegers) {
  EXPECT_SAME("%d %i %d", 0, 42, -42);
  EXPECT_SAME("%d %d", INT_MIN, INT_MAX);
  EXPECT_SAME("%ld %ld", LONG_MIN, LONG_MAX);
  EXPECT_SAME("%lld %lld", LLONG_MIN, LLONG_MAX);
  EXPECT_SAME("%lld", -1234567890123LL);
  EXPECT_SAME("%hd %hhd", -1234, -12);
  EXPECT_SAME("%hd %hhd", 70000, 300);  // truncated to short / signed char
  EXPECT_SAME("%zd %jd %td", static_cast<ssize_t>(-5), static_cast<intmax_t>(INT64_MIN),
              static_cast<ptrdiff_t>(-77));
}

TEST(Format, UnsignedIntegers) {
  EXPECT_SAME("%u %u", 0u, UINT_MAX);
  EXPECT_SAME("%lu %llu", ULONG_MAX, ULLONG_MAX);
  EXPECT_SAME("%llu", 10000000000000000000ULL);
  EXPECT_SAME("%llu", 4294967296ULL);
  EXPECT_SAME("%x %X %x", 0xdeadbeefu, 0xdeadbeefu, 0u);
  EXPECT_SAME("%llx %llX", ULLONG_MAX, 0x0123456789abcdefULL);
  EXPECT_SAME("%o %llo", 8u, ULLONG_MAX);
  EXPECT_SAME("%hu %hhu %hhx", 70000u, 300u, 0x1ffu);
  EXPECT_SAME("%zu %zx", SIZE_MAX, static_cast<size_t>(4096));
}

// Flag combinations C defines but GCC warns about ("'0' ignored with '-'") are tested
// on purpose: the kernel engine must agree with snprintf on them too.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
TEST(Format, WidthAndFlags) {
  EXPECT_SAME("[%5d] [%-5d] [%05d]", 42, 42, 42);
  EXPECT_SAME("[%05d] [%08d] [%-08d]", -42, INT_MIN, -1);
  EXPECT_SAME("[%1d] [%2d]", -123, 123456);
  EXPECT_SAME("[%010lld]", LLONG_MIN);
  EXPECT_SAME("[%08x] [%-8X] [%#x] [%#010x] [%#x]", 0xbeefu, 0xbeefu, 0xbeefu, 0xbeefu, 0u);
  EXPECT_SAME("[%+d] [%+d] [% d] [% d] [%+ d]", 5, -5, 5, -5, 5);
  EXPECT_SAME("[%#o] [%#o] [%#.3o]", 8u, 0u, 8u);
  EXPECT_SAME("[%*d] [%-*d] [%*d]", 6, 7, 6, 7, -6, 7);
  EXPECT_SAME("[%0*d]", 6, -7);
  EXPECT_SAME("[%5c] [%-5c] [%c]", 'x', 'y', 'z');
  EXPECT_SAME("[%10s] [%-10s] [%2s]", "abc", "abc", "abcdef");
}

TEST(Format, Precision) {
  EXPECT_SAME("[%.3s] [%.0s] [%.10s]", "abcdef", "abcdef", "abc");
  EXPECT_SAME("[%.*s] [%.*s]", 2, "abcdef", -1, "abcdef");
  EXPECT_SAME("[%8.3s] [%-8.3s]", "abcdef", "abcdef");
  EXPECT_SAME("[%.5d] [%.5d] [%8.5d] [%08.5d]", 42, -42, 42, -42);
  EXPECT_SAME("[%.0d] [%.0u] [%5.0x] [%.d]", 0, 0u, 0u, 0);
  EXPECT_SAME("[%.3x] [%#.6x]", 0xau, 0xau);
}

#pragma GCC diagnostic pop

TEST(Format, PrecisionDoesNotReadPastLimit) {
  char not_terminated[3] = {'a', 'b', 'c'};
  EXPECT_EQ(fmt("%.3s", not_terminated), "abc");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-overflow"
TEST(Format, NullString) {
  EXPECT_EQ(fmt("%s", static_cast<const char*>(nullptr)), "(null)");
  EXPECT_EQ(fmt("[%8s]", static_cast<const char*>(nullptr)), "[  (null)]");
}

#pragma GCC diagnostic pop

TEST(Format, Pointer) {
  std::string zeros(2 * sizeof(void*), '0');
  EXPECT_EQ(fmt("%p", static_cast<void*>(nullptr)), "0x" + zeros);
  auto p = reinterpret_cast<void*>(static_cast<uintptr_t>(0xc0100000u));
  std::string expect = "0x" + std::string(2 * sizeof(void*) - 8, '0') + "c0100000";
  EXPECT_EQ(fmt("%p", p), expect);
  EXPECT_EQ(fmt("[%-*p]", static_cast<int>(expect.size() + 2), p), "[" + expect + "  ]");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-security"
TEST(Format, UnknownConversionIsLiteral) {
  EXPECT_EQ(fmt("%q"), "%q");
  EXPECT_EQ(fmt("a%5qb"), "a%5qb");
  EXPECT_EQ(fmt("%f"), "%f");
  EXPECT_EQ(fmt("x%lly", 1LL), "x%lly");
}

TEST(Format, TruncatedSpecAtEndOfString) {
  EXPECT_EQ(fmt("abc%"), "abc%");
  EXPECT_EQ(fmt("abc%-05"), "abc%-05");
  EXPECT_EQ(fmt("abc%ll"), "abc%ll");
  // Nothing after the '%' may be read: the heap block ends right at the NUL, so ASan
  // reports any read beyond it.
  std::unique_ptr<char[]> exact(new char[6]);
  std::memcpy(exact.get(), "tail%", 6);
  EXPECT_EQ(fmt(exact.get()), "tail%");
}
#pragma GCC diagnostic pop

TEST(Format, Truncation) {
  char buf[8];
  std::memset(buf, 'X', sizeof buf);
  int n = snformat(buf, sizeof buf, "%s-%d", "hello", 12345);
  EXPECT_EQ(n, 11);
  EXPECT_STREQ(buf, "hello-1");

  char small[1] = {'X'};
  EXPECT_EQ(snformat(small, 1, "abc"), 3);
  EXPECT_EQ(small[0], '\0');

  EXPECT_EQ(snformat(nullptr, 0, "%d", -100), 4);

  char guard[6] = {'X', 'X', 'X', 'X', 'X', 'X'};
  EXPECT_EQ(snformat(guard, 4, "abcdef"), 6);
  EXPECT_STREQ(guard, "abc");
  EXPECT_EQ(guard[4], 'X');  // nothing written beyond size
  EXPECT_EQ(guard[5], 'X');

  // Same truncation results as snprintf for every size.
  for (size_t size = 0; size <= 16; ++size) {
    char a[16];
    char b[16];
    std::memset(a, 'X', sizeof a);
    std::memset(b, 'X', sizeof b);
    int na = snformat(a, size, "%-6s|%05d", "ab", -42);
    int nb = std::snprintf(b, size, "%-6s|%05d", "ab", -42);
    EXPECT_EQ(na, nb);
    EXPECT_EQ(0, std::memcmp(a, b, sizeof a)) << "size " << size;
  }
}

TEST(Format, SinkCountsEveryCharacter) {
  std::string s;
  int n = quartz::format(collect, &s, "%s=%08x%c", "cr0", 0x80000011u, '\n');
  EXPECT_EQ(s, "cr0=80000011\n");
  EXPECT_EQ(n, 13);
}

TEST(Format, RandomIntegersMatchSnprintf) {
  std::mt19937_64 rng(12345);
  const char* fmts[] = {"%lld",     "%llu",  "%llx",    "%llX", "%020lld",
                        "%-20lld|", "%+lld", "%.15lld", "%#llo"};
  for (int i = 0; i < 20000; ++i) {
    uint64_t raw = rng();
    // Spread magnitudes: shift away a random number of bits.
    raw >>= rng() % 64;
    const char* f = fmts[i % (sizeof fmts / sizeof fmts[0])];
    char ours[64];
    char theirs[64];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    long long sv = static_cast<long long>(raw) * ((i & 1) ? -1 : 1);
    int a = snformat(ours, sizeof ours, f, sv);
    int b = std::snprintf(theirs, sizeof theirs, f, sv);
#pragma GCC diagnostic pop
    ASSERT_EQ(a, b);
    ASSERT_STREQ(ours, theirs) << f << " " << sv;
  }
}
