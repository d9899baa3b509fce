// Host tests of kernel/lib/kstring: the bounded copies, equality and the prefix test.
#include "kernel/lib/kstring.h"

#include <gtest/gtest.h>

#include <cstring>

namespace quartz {
namespace {

TEST(KString, CopyFitsAndTerminates) {
  char buf[8];
  std::memset(buf, 'x', sizeof buf);
  EXPECT_TRUE(str_copy(buf, "abc", sizeof buf));
  EXPECT_STREQ(buf, "abc");
  EXPECT_TRUE(str_copy(buf, "1234567", sizeof buf));  // exactly fills: 7 + NUL
  EXPECT_STREQ(buf, "1234567");
}

TEST(KString, CopyCutsAndSaysSo) {
  char buf[4];
  EXPECT_FALSE(str_copy(buf, "abcdef", sizeof buf));
  EXPECT_STREQ(buf, "abc");
  char one[1];
  EXPECT_FALSE(str_copy(one, "a", 1));
  EXPECT_STREQ(one, "");
  EXPECT_TRUE(str_copy(one, "", 1));
}

TEST(KString, CopyOfNullIsEmpty) {
  char buf[4] = "zz";
  EXPECT_TRUE(str_copy(buf, nullptr, sizeof buf));
  EXPECT_STREQ(buf, "");
}

TEST(KString, CopyNReadsNoFurtherThanN) {
  const char unterminated[3] = {'a', 'b', 'c'};  // no NUL: must not be read past
  char buf[8];
  EXPECT_TRUE(str_copy_n(buf, unterminated, 3, sizeof buf));
  EXPECT_STREQ(buf, "abc");
  EXPECT_TRUE(str_copy_n(buf, "ab", 5, sizeof buf));  // stops at the NUL
  EXPECT_STREQ(buf, "ab");
  EXPECT_FALSE(str_copy_n(buf, unterminated, 3, 3));  // cap cuts it
  EXPECT_STREQ(buf, "ab");
}

TEST(KString, Equality) {
  EXPECT_TRUE(str_eq("", ""));
  EXPECT_TRUE(str_eq("sched", "sched"));
  EXPECT_FALSE(str_eq("sched", "sched_sync"));
  EXPECT_FALSE(str_eq("sched_sync", "sched"));
  EXPECT_FALSE(str_eq("a", ""));
}

TEST(KString, Prefix) {
  EXPECT_TRUE(str_starts_with("/proc/sched", "/proc/"));
  EXPECT_TRUE(str_starts_with("x", ""));
  EXPECT_FALSE(str_starts_with("/pro", "/proc/"));
  EXPECT_FALSE(str_starts_with("/dev/x", "/proc/"));
}

}  // namespace
}  // namespace quartz
