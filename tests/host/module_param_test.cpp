// Host tests of kernel/lib/module_param: parsing insmod's params string against a table
// of int/uint/bool/charp descriptors, all or nothing, and formatting values.
#include "kernel/lib/module_param.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace quartz {
namespace {

struct Vars {
  int interval = 1;
  unsigned int count = 7;
  bool verbose = false;
  char* name = nullptr;
};

class ModuleParam : public ::testing::Test {
 protected:
  Vars v;
  ParamDesc table[4] = {
      {"interval", &v.interval, kParamInt, 0444},
      {"count", &v.count, kParamUint, 0444},
      {"verbose", &v.verbose, kParamBool, 0644},
      {"name", &v.name, kParamCharp, 0444},
  };
  char buf[kParamsMax];
  char err[128];

  bool parse(const char* s) {
    std::strncpy(buf, s, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    std::memset(err, 'x', sizeof err);
    return parse_module_params(buf, table, 4, err, sizeof err);
  }
  // Parses s, expects refusal with exactly msg and every variable unchanged.
  void refused(const char* s, const char* msg) {
    const Vars before = v;
    EXPECT_FALSE(parse(s)) << s;
    EXPECT_STREQ(err, msg) << s;
    EXPECT_EQ(v.interval, before.interval) << s;
    EXPECT_EQ(v.count, before.count) << s;
    EXPECT_EQ(v.verbose, before.verbose) << s;
    EXPECT_EQ(v.name, before.name) << s;
  }
};

TEST_F(ModuleParam, EmptyAndNullChangeNothing) {
  EXPECT_TRUE(parse(""));
  EXPECT_STREQ(err, "");
  EXPECT_TRUE(parse("   \t "));
  EXPECT_TRUE(parse_module_params(nullptr, table, 4, err, sizeof err));
  EXPECT_EQ(v.interval, 1);
  EXPECT_EQ(v.count, 7u);
  EXPECT_FALSE(v.verbose);
  EXPECT_EQ(v.name, nullptr);
}

TEST_F(ModuleParam, TheBriefsExample) {
  ASSERT_TRUE(parse("interval=5 verbose name=abc")) << err;
  EXPECT_EQ(v.interval, 5);
  EXPECT_TRUE(v.verbose);  // a bare bool is true, as on Linux
  ASSERT_NE(v.name, nullptr);
  EXPECT_STREQ(v.name, "abc");
  // charp points into the caller's buffer, not at a copy of its own.
  EXPECT_GE(v.name, buf);
  EXPECT_LT(v.name, buf + sizeof buf);
}

TEST_F(ModuleParam, QuotesGroupBlanks) {
  ASSERT_TRUE(parse("name=\"two words\" interval=3")) << err;
  EXPECT_STREQ(v.name, "two words");
  EXPECT_EQ(v.interval, 3);
  ASSERT_TRUE(parse("\"name=three  spaced words\"")) << err;  // the whole word quoted
  EXPECT_STREQ(v.name, "three  spaced words");
  ASSERT_TRUE(parse("name=\"\"")) << err;
  EXPECT_STREQ(v.name, "");
  ASSERT_TRUE(parse("name=a=b")) << err;  // the first '=' splits
  EXPECT_STREQ(v.name, "a=b");
}

TEST_F(ModuleParam, BoolSpellings) {
  for (const char* t : {"1", "y", "Y", "true"}) {
    v.verbose = false;
    ASSERT_TRUE(parse((std::string("verbose=") + t).c_str())) << t << ": " << err;
    EXPECT_TRUE(v.verbose) << t;
  }
  for (const char* f : {"0", "n", "N", "false"}) {
    v.verbose = true;
    ASSERT_TRUE(parse((std::string("verbose=") + f).c_str())) << f << ": " << err;
    EXPECT_FALSE(v.verbose) << f;
  }
  v.verbose = false;
  refused("verbose=maybe", "verbose: 'maybe' is not a bool (1/0, y/n, Y/N, true/false)");
  refused("verbose=", "verbose: '' is not a bool (1/0, y/n, Y/N, true/false)");
}

TEST_F(ModuleParam, IntsAndUints) {
  ASSERT_TRUE(parse("interval=-12 count=0x10")) << err;
  EXPECT_EQ(v.interval, -12);
  EXPECT_EQ(v.count, 16u);
  ASSERT_TRUE(parse("interval=2147483647 count=4294967295")) << err;
  EXPECT_EQ(v.interval, 2147483647);
  EXPECT_EQ(v.count, 4294967295u);
  ASSERT_TRUE(parse("interval=-2147483648")) << err;
  EXPECT_EQ(v.interval, -2147483647 - 1);
}

TEST_F(ModuleParam, BadNumbersNameTheParameterAndTheValue) {
  refused("interval=abc", "interval: 'abc' is not an int");
  refused("interval=5x", "interval: '5x' is not an int");
  refused("interval=", "interval: '' is not an int");
  refused("interval=2147483648", "interval: '2147483648' is out of range for an int");
  refused("interval=-2147483649", "interval: '-2147483649' is out of range for an int");
  refused("interval=99999999999999999999999",
          "interval: '99999999999999999999999' is out of range for an int");
  refused("count=4294967296", "count: '4294967296' is out of range for a uint");
  refused("count=-1", "count: '-1' is not a uint");
  refused("count=ten", "count: 'ten' is not a uint");
}

TEST_F(ModuleParam, UnknownNamesAndMissingValuesAreRefused) {
  refused("x=1", "unknown parameter 'x'");
  refused("interval=5 bogus", "unknown parameter 'bogus'");
  refused("interval", "interval: needs a value");
  refused("name", "name: needs a value");
  refused("name=\"open", "unterminated quote");
}

TEST_F(ModuleParam, NothingIsStoredUnlessAllIsValid) {
  // Valid words before the bad one must not be stored either.
  refused("interval=9 verbose=1 name=zzz count=oops", "count: 'oops' is not a uint");
  refused("interval=9 name=zzz nosuch=1", "unknown parameter 'nosuch'");
}

TEST_F(ModuleParam, LastValueWinsAndDashesAreUnderscores) {
  ParamDesc t[1] = {{"max_ticks", &v.interval, kParamInt, 0444}};
  char s[] = "max-ticks=4 max_ticks=6";
  ASSERT_TRUE(parse_module_params(s, t, 1, err, sizeof err)) << err;
  EXPECT_EQ(v.interval, 6);
}

TEST_F(ModuleParam, TooManyWords) {
  std::string s;
  for (size_t i = 0; i <= kParamsMaxWords; ++i) s += "verbose ";
  refused(s.c_str(), "too many parameters (at most 32)");
  std::string ok;
  for (size_t i = 0; i < kParamsMaxWords; ++i) ok += "verbose ";
  EXPECT_TRUE(parse(ok.c_str())) << err;
}

TEST_F(ModuleParam, MessagesStayOnOneLineAndFit) {
  refused("interval=\"a\x1b[2Jb\"", "interval: 'a?[2Jb' is not an int");
  char small[16];
  char s[] = "interval=abcdefghijklmnop";
  EXPECT_FALSE(parse_module_params(s, table, 4, small, sizeof small));
  EXPECT_EQ(std::strlen(small), sizeof small - 1);
  EXPECT_EQ(v.interval, 1);
}

TEST_F(ModuleParam, FormatsValues) {
  v.interval = -3;
  v.count = 4000000000u;
  v.verbose = true;
  char name[] = "abc";
  v.name = name;
  char out[32];
  format_param_value(table[0], out, sizeof out);
  EXPECT_STREQ(out, "-3");
  format_param_value(table[1], out, sizeof out);
  EXPECT_STREQ(out, "4000000000");
  format_param_value(table[2], out, sizeof out);
  EXPECT_STREQ(out, "Y");
  format_param_value(table[3], out, sizeof out);
  EXPECT_STREQ(out, "abc");
  v.name = nullptr;
  format_param_value(table[3], out, sizeof out);
  EXPECT_STREQ(out, "(null)");
  EXPECT_STREQ(param_type_name(kParamCharp), "charp");
  EXPECT_STREQ(param_type_name(99), "?");
}

}  // namespace
}  // namespace quartz
