// Host tests for kernel/lib/cmdline: kernel command line, shell splitting, scripts, integers.
#include "kernel/lib/cmdline.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using quartz::KernelCmdline;
using quartz::parse_int;
using quartz::parse_uint;
using quartz::ScriptSplitter;
using quartz::split_args;

namespace {

std::vector<std::string> split(std::string line, int max_args = 16, int* rc = nullptr,
                               const char** error = nullptr) {
  std::vector<char> buf(line.begin(), line.end());
  buf.push_back('\0');
  std::vector<char*> argv(max_args > 0 ? max_args : 1);
  const char* err = nullptr;
  int argc = split_args(buf.data(), argv.data(), max_args, &err);
  if (rc != nullptr) *rc = argc;
  if (error != nullptr) *error = err;
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) out.emplace_back(argv[i]);
  return out;
}

}  // namespace

// ---- parse_int / parse_uint ----

TEST(ParseInt, Decimal) {
  long long v = 0;
  EXPECT_TRUE(parse_int("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(parse_int("12345", &v));
  EXPECT_EQ(v, 12345);
  EXPECT_TRUE(parse_int("-12345", &v));
  EXPECT_EQ(v, -12345);
  EXPECT_TRUE(parse_int("+7", &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(parse_int("010", &v));
  EXPECT_EQ(v, 10);  // leading zeros are decimal, not octal
}

TEST(ParseInt, Hex) {
  long long v = 0;
  EXPECT_TRUE(parse_int("0x10", &v));
  EXPECT_EQ(v, 16);
  EXPECT_TRUE(parse_int("0XfF", &v));
  EXPECT_EQ(v, 255);
  EXPECT_TRUE(parse_int("-0x10", &v));
  EXPECT_EQ(v, -16);
  EXPECT_TRUE(parse_int("0x7fffffffffffffff", &v));
  EXPECT_EQ(v, LLONG_MAX);
  EXPECT_TRUE(parse_int("-0x8000000000000000", &v));
  EXPECT_EQ(v, LLONG_MIN);
}

TEST(ParseInt, Limits) {
  long long v = 0;
  EXPECT_TRUE(parse_int("9223372036854775807", &v));
  EXPECT_EQ(v, LLONG_MAX);
  EXPECT_TRUE(parse_int("-9223372036854775808", &v));
  EXPECT_EQ(v, LLONG_MIN);
  v = 99;
  EXPECT_FALSE(parse_int("9223372036854775808", &v));
  EXPECT_FALSE(parse_int("-9223372036854775809", &v));
  EXPECT_FALSE(parse_int("99999999999999999999999", &v));
  EXPECT_FALSE(parse_int("0x8000000000000000", &v));
  EXPECT_EQ(v, 99);  // untouched on failure
}

TEST(ParseInt, RejectsGarbage) {
  long long v = 0;
  for (const char* bad : {"", "-", "+", "0x", "-0x", "12a", "a12", " 1", "1 ", "--1", "+-1", "0x1g",
                          "1.5", "0b101", "1e3", "0x-1"}) {
    EXPECT_FALSE(parse_int(bad, &v)) << '"' << bad << '"';
  }
  EXPECT_FALSE(parse_int(nullptr, &v));
}

TEST(ParseUint, Basics) {
  unsigned long long v = 0;
  EXPECT_TRUE(parse_uint("18446744073709551615", &v));
  EXPECT_EQ(v, ULLONG_MAX);
  EXPECT_TRUE(parse_uint("0xffffffffffffffff", &v));
  EXPECT_EQ(v, ULLONG_MAX);
  EXPECT_TRUE(parse_uint("0x0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(parse_uint("18446744073709551616", &v));
  EXPECT_FALSE(parse_uint("0x10000000000000000", &v));
  EXPECT_FALSE(parse_uint("-1", &v));
  EXPECT_FALSE(parse_uint("+1", &v));
  EXPECT_FALSE(parse_uint("", &v));
  EXPECT_FALSE(parse_uint(nullptr, &v));
}

// ---- KernelCmdline ----

TEST(KernelCmdline, GrubStyleLine) {
  auto cl = std::make_unique<KernelCmdline>();
  char err[128] = "";
  ASSERT_TRUE(cl->parse("/boot/quartz.elf hz=100 quiet\trun=\"uptime; echo hi\"", err, sizeof err))
      << err;
  ASSERT_EQ(cl->count(), 4u);
  EXPECT_STREQ(cl->key(0), "/boot/quartz.elf");
  EXPECT_EQ(cl->value(0), nullptr);
  EXPECT_TRUE(cl->has("/boot/quartz.elf"));
  EXPECT_STREQ(cl->get("hz"), "100");
  EXPECT_TRUE(cl->has("quiet"));
  EXPECT_EQ(cl->get("quiet"), nullptr);  // a flag has no value
  EXPECT_STREQ(cl->get("run"), "uptime; echo hi");
  EXPECT_FALSE(cl->has("missing"));
  EXPECT_EQ(cl->get("missing"), nullptr);
  EXPECT_EQ(cl->key(4), nullptr);
}

TEST(KernelCmdline, ValueForms) {
  KernelCmdline cl;
  char err[128];
  ASSERT_TRUE(cl.parse("a= b=\"\" c=x=y d=pre\"mid dle\"post e=\"\tt\"", err, sizeof err)) << err;
  EXPECT_STREQ(cl.get("a"), "");
  EXPECT_STREQ(cl.get("b"), "");
  EXPECT_STREQ(cl.get("c"), "x=y");
  EXPECT_STREQ(cl.get("d"), "premid dlepost");
  EXPECT_STREQ(cl.get("e"), "\tt");
}

TEST(KernelCmdline, LastValueWins) {
  KernelCmdline cl;
  ASSERT_TRUE(cl.parse("hz=100 hz=250 hz", nullptr, 0));
  EXPECT_STREQ(cl.get("hz"), "250");
  EXPECT_EQ(cl.count(), 3u);
}

TEST(KernelCmdline, EmptyAndBlank) {
  KernelCmdline cl;
  EXPECT_TRUE(cl.parse("", nullptr, 0));
  EXPECT_EQ(cl.count(), 0u);
  EXPECT_TRUE(cl.parse(" \t  ", nullptr, 0));
  EXPECT_EQ(cl.count(), 0u);
  EXPECT_TRUE(cl.parse(nullptr, nullptr, 0));
  EXPECT_EQ(cl.count(), 0u);
}

TEST(KernelCmdline, ErrorsLeaveObjectUnchanged) {
  KernelCmdline cl;
  char err[128];
  ASSERT_TRUE(cl.parse("keep=1", err, sizeof err));

  EXPECT_FALSE(cl.parse("hz=100 run=\"uptime", err, sizeof err));
  EXPECT_STREQ(err, "unterminated quote in value of 'run' (opened at column 12)");
  EXPECT_EQ(cl.count(), 1u);
  EXPECT_STREQ(cl.get("keep"), "1");

  EXPECT_FALSE(cl.parse("a =b", err, sizeof err));
  EXPECT_STREQ(err, "missing name before '=' at column 3");
  EXPECT_FALSE(cl.parse("\"quoted flag\"", err, sizeof err));
  EXPECT_STREQ(err, "quote in name '\"' (quotes are only allowed in values)");
  EXPECT_STREQ(cl.get("keep"), "1");

  std::string many;
  for (int i = 0; i < 33; ++i) many += "f" + std::to_string(i) + " ";
  EXPECT_FALSE(cl.parse(many.c_str(), err, sizeof err));
  EXPECT_STREQ(err, "too many arguments (max 32)");
  EXPECT_STREQ(cl.get("keep"), "1");

  // Errors with no room for a message still fail cleanly.
  EXPECT_FALSE(cl.parse("x=\"", nullptr, 0));
  char tiny[4];
  EXPECT_FALSE(cl.parse("x=\"", tiny, sizeof tiny));
  EXPECT_STREQ(tiny, "unt");
}

TEST(KernelCmdline, ExactlyMaxArgs) {
  KernelCmdline cl;
  std::string many;
  for (int i = 0; i < 32; ++i) many += "f" + std::to_string(i) + "=" + std::to_string(i) + " ";
  ASSERT_TRUE(cl.parse(many.c_str(), nullptr, 0));
  EXPECT_EQ(cl.count(), 32u);
  EXPECT_STREQ(cl.get("f31"), "31");
}

TEST(KernelCmdline, LengthLimit) {
  KernelCmdline cl;
  char err[128];
  // 1023 characters is the longest accepted line; storage must still fit when every
  // word is a one-character flag (the worst case for the NUL overhead).
  std::string longest(1023, 'x');
  longest[0] = 'k';
  longest[1] = '=';
  ASSERT_TRUE(cl.parse(longest.c_str(), err, sizeof err)) << err;
  EXPECT_EQ(std::strlen(cl.get("k")), 1021u);

  std::string flags;
  for (int i = 0; i < 31; ++i) flags += "a ";
  flags += "b=" + std::string(1023 - flags.size() - 2, 'v');
  ASSERT_EQ(flags.size(), 1023u);
  ASSERT_TRUE(cl.parse(flags.c_str(), err, sizeof err)) << err;
  EXPECT_EQ(std::strlen(cl.get("b")), 1023u - 64);

  std::string too_long(1024, 'x');
  EXPECT_FALSE(cl.parse(too_long.c_str(), err, sizeof err));
  EXPECT_STREQ(err, "command line too long (max 1023 characters)");
}

TEST(KernelCmdline, CopyKeepsWorking) {
  auto a = std::make_unique<KernelCmdline>();
  ASSERT_TRUE(a->parse("x=1 y", nullptr, 0));
  auto b = std::make_unique<KernelCmdline>(*a);
  a->clear();
  EXPECT_STREQ(b->get("x"), "1");
  EXPECT_TRUE(b->has("y"));
  EXPECT_FALSE(a->has("y"));
}

// ---- split_args ----

TEST(SplitArgs, Basic) {
  EXPECT_EQ(split("echo hello world"), (std::vector<std::string>{"echo", "hello", "world"}));
  EXPECT_EQ(split("  \t echo\t\thello  \r\n"), (std::vector<std::string>{"echo", "hello"}));
  EXPECT_EQ(split(""), std::vector<std::string>{});
  EXPECT_EQ(split("   "), std::vector<std::string>{});
}

TEST(SplitArgs, Quotes) {
  EXPECT_EQ(split("echo \"a b\"  c"), (std::vector<std::string>{"echo", "a b", "c"}));
  EXPECT_EQ(split("echo pre\"mid dle\"post"), (std::vector<std::string>{"echo", "premid dlepost"}));
  EXPECT_EQ(split("echo \"\" x"), (std::vector<std::string>{"echo", "", "x"}));
  EXPECT_EQ(split("echo 'it \"is\"' \"it's\""),
            (std::vector<std::string>{"echo", "it \"is\"", "it's"}));
}

TEST(SplitArgs, Errors) {
  int rc = 0;
  const char* err = nullptr;
  split("echo \"abc", 16, &rc, &err);
  EXPECT_EQ(rc, -1);
  EXPECT_STREQ(err, "unterminated quote");

  split("a b c d", 3, &rc, &err);
  EXPECT_EQ(rc, -1);
  EXPECT_STREQ(err, "too many arguments");

  auto ok = split("a b c", 3, &rc, &err);
  EXPECT_EQ(rc, 3);

  split("a", 0, &rc, &err);
  EXPECT_EQ(rc, -1);

  char line[] = "x \"y";
  char* argv[4];
  EXPECT_EQ(split_args(line, argv, 4, nullptr), -1);  // null error pointer is fine
}

// ---- ScriptSplitter ----

TEST(ScriptSplitter, SplitsOnSemicolonsOutsideQuotes) {
  ScriptSplitter sp("uptime; echo \"a;b\"; echo 'c;d' ;;  poweroff 0 ;");
  char cmd[64];
  std::vector<std::string> got;
  for (;;) {
    auto st = sp.next(cmd, sizeof cmd);
    if (st == ScriptSplitter::Status::End) break;
    ASSERT_EQ(st, ScriptSplitter::Status::Command);
    got.emplace_back(cmd);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"uptime", "echo \"a;b\"", "echo 'c;d'", "poweroff 0"}));
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::End);
}

TEST(ScriptSplitter, EmptyScripts) {
  char cmd[8];
  EXPECT_EQ(ScriptSplitter("").next(cmd, sizeof cmd), ScriptSplitter::Status::End);
  EXPECT_EQ(ScriptSplitter(" ; ;\t").next(cmd, sizeof cmd), ScriptSplitter::Status::End);
  EXPECT_EQ(ScriptSplitter(nullptr).next(cmd, sizeof cmd), ScriptSplitter::Status::End);
}

TEST(ScriptSplitter, TooLongSkipsOnlyThatCommand) {
  ScriptSplitter sp("short; this_command_is_long; ok");
  char cmd[8];
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::Command);
  EXPECT_STREQ(cmd, "short");
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::TooLong);
  EXPECT_STREQ(cmd, "");
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::Command);
  EXPECT_STREQ(cmd, "ok");
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::End);

  ScriptSplitter exact("1234567");  // 7 chars + NUL fits exactly
  EXPECT_EQ(exact.next(cmd, sizeof cmd), ScriptSplitter::Status::Command);
  ScriptSplitter over("12345678");
  EXPECT_EQ(over.next(cmd, sizeof cmd), ScriptSplitter::Status::TooLong);
}

TEST(ScriptSplitter, UnterminatedQuote) {
  ScriptSplitter sp("echo ok; echo \"broken; poweroff");
  char cmd[64];
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::Command);
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::UnterminatedQuote);
  EXPECT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::End);
}

TEST(ScriptSplitter, FeedsSplitArgs) {
  // The boot path: run="..." from the kernel command line, then script, then argv.
  KernelCmdline cl;
  ASSERT_TRUE(cl.parse("/boot/quartz.elf run=\"echo 'a;b' c; poweroff 0\"", nullptr, 0));
  ScriptSplitter sp(cl.get("run"));
  char cmd[64];
  ASSERT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::Command);
  char* argv[8];
  ASSERT_EQ(split_args(cmd, argv, 8, nullptr), 3);
  EXPECT_STREQ(argv[1], "a;b");
  ASSERT_EQ(sp.next(cmd, sizeof cmd), ScriptSplitter::Status::Command);
  EXPECT_STREQ(cmd, "poweroff 0");
}
