// Host tests for kernel/lib/user_stack: build an initial stack, then read it back as a C
// program's _start would (argc at sp, argv and envp through their user addresses, the
// auxiliary vector after envp's NULL), and the limits.
#include "kernel/uapi/quartz/abi.h"
#include "kernel/uapi/quartz/errno.h"
#include "kernel/lib/user_stack.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace quartz;

namespace {

constexpr uint32_t kTop = QUARTZ_USER_LIMIT;  // the stack starts just below the limit

std::vector<UserString> strings(const std::vector<std::string>& v) {
  std::vector<UserString> out;
  for (const std::string& s : v) out.push_back({s.data(), static_cast<uint32_t>(s.size())});
  return out;
}

// What _start sees, decoded through user addresses mapped back into the buffer.
struct Decoded {
  uint32_t argc = 0;
  std::vector<std::string> argv, envp;
  std::map<uint32_t, uint32_t> auxv;
  std::vector<uint32_t> aux_order;
};

struct Stack {
  std::vector<uint8_t> buf;
  uint32_t top;
  uint32_t base() const { return top - static_cast<uint32_t>(buf.size()); }
  uint32_t word(uint32_t addr) const {
    EXPECT_GE(addr, base());
    EXPECT_LE(uint64_t{addr} + 4, top);
    uint32_t v;
    std::memcpy(&v, buf.data() + (addr - base()), 4);
    return v;
  }
  std::string str(uint32_t addr) const {
    EXPECT_GE(addr, base());
    EXPECT_LT(addr, top);
    const char* p = reinterpret_cast<const char*>(buf.data() + (addr - base()));
    size_t max = top - addr;
    size_t n = strnlen(p, max);
    EXPECT_LT(n, max) << "string runs off the top of the stack";
    return std::string(p, n);
  }
};

Decoded decode(const Stack& s, uint32_t sp) {
  Decoded d;
  uint32_t p = sp;
  d.argc = s.word(p);
  p += 4;
  for (uint32_t i = 0; i < d.argc; ++i, p += 4) d.argv.push_back(s.str(s.word(p)));
  EXPECT_EQ(s.word(p), 0u) << "argv[argc] is NULL";
  p += 4;
  for (; s.word(p) != 0; p += 4) d.envp.push_back(s.str(s.word(p)));
  p += 4;
  for (int guard = 0; guard < 64; ++guard, p += 8) {
    uint32_t type = s.word(p), value = s.word(p + 4);
    d.aux_order.push_back(type);
    d.auxv[type] = value;
    if (type == AT_NULL) break;
  }
  return d;
}

int build(Stack* s, const std::vector<std::string>& argv, const std::vector<std::string>& envp,
          uint32_t entry, uint32_t* sp) {
  auto a = strings(argv), e = strings(envp);
  return user_stack_build(s->buf.data(), static_cast<uint32_t>(s->buf.size()), s->top, a.data(),
                          static_cast<uint32_t>(a.size()), e.data(),
                          static_cast<uint32_t>(e.size()), entry, sp);
}

TEST(UserStack, StartReadsArgvEnvpAndAuxv) {
  Stack s{std::vector<uint8_t>(8192, 0xEE), kTop};
  std::vector<std::string> argv = {"/bin/echo", "hello", "", "world with spaces"};
  std::vector<std::string> envp = {"PATH=/bin:/sbin", "HOME=/"};
  uint32_t sp = 0;
  ASSERT_EQ(build(&s, argv, envp, 0x40001234, &sp), 0);
  EXPECT_EQ(sp % 16, 0u) << "16-byte aligned at entry";
  EXPECT_LT(sp, kTop);
  EXPECT_GE(sp, s.base());
  Decoded d = decode(s, sp);
  EXPECT_EQ(d.argc, 4u);
  EXPECT_EQ(d.argv, argv);
  EXPECT_EQ(d.envp, envp);
  EXPECT_EQ(d.aux_order, (std::vector<uint32_t>{AT_PAGESZ, AT_ENTRY, AT_NULL}));
  EXPECT_EQ(d.auxv[AT_PAGESZ], 4096u);
  EXPECT_EQ(d.auxv[AT_ENTRY], 0x40001234u);
  // Strings lie above the table, argv's before envp's, and the stack ends with 4 zeros.
  uint32_t argv0 = s.word(sp + 4), envp0 = s.word(sp + 4 * (1 + 4 + 1));
  EXPECT_GT(argv0, sp + 4 * (1 + 5 + 3 + 6) - 1);
  EXPECT_LT(argv0, envp0);
  EXPECT_EQ(s.word(kTop - 4), 0u);
  EXPECT_EQ(s.str(envp0 + 16), "HOME=/") << "strings are packed";
  // Nothing below sp was written.
  for (uint32_t a = s.base(); a < sp; ++a) ASSERT_EQ(s.buf[a - s.base()], 0xEE) << a;
}

TEST(UserStack, EmptyListsAndAlignmentForEveryLength) {
  // Whatever the strings' lengths, sp is 16-aligned and the layout decodes.
  for (uint32_t len = 0; len < 40; ++len) {
    for (uint32_t n = 0; n < 5; ++n) {
      Stack s{std::vector<uint8_t>(4096, 0), kTop};
      std::vector<std::string> argv(n, std::string(len, 'a'));
      std::vector<std::string> envp(n % 3, std::string(len + 1, 'e'));
      uint32_t sp;
      ASSERT_EQ(build(&s, argv, envp, 7, &sp), 0);
      ASSERT_EQ(sp % 16, 0u);
      Decoded d = decode(s, sp);
      ASSERT_EQ(d.argv, argv);
      ASSERT_EQ(d.envp, envp);
      ASSERT_EQ(d.auxv[AT_ENTRY], 7u);
    }
  }
}

TEST(UserStack, ArgMaxCountsStringsAndPointers) {
  // One argument filling ARG_MAX exactly: len + NUL + 2 pointers (argv[0], NULL) + envp's NULL.
  uint32_t exact = QUARTZ_ARG_MAX - 1 - 3 * 4;
  Stack s{std::vector<uint8_t>(QUARTZ_ARG_MAX + 4096, 0), kTop};
  uint32_t sp;
  EXPECT_EQ(build(&s, {std::string(exact, 'x')}, {}, 0, &sp), 0);
  EXPECT_EQ(decode(s, sp).argv[0].size(), exact);
  std::vector<uint8_t> before = s.buf;
  EXPECT_EQ(build(&s, {std::string(exact + 1, 'x')}, {}, 0, &sp), -E2BIG);
  EXPECT_EQ(build(&s, {std::string(exact / 2, 'x')}, {std::string(exact / 2 + 1, 'y')}, 0, &sp),
            -E2BIG)
      << "argv and envp together";
  EXPECT_EQ(s.buf, before) << "a refused layout writes nothing";
  // Many empty arguments: the pointers count too.
  std::vector<std::string> many(QUARTZ_ARG_MAX / 5, "");
  EXPECT_EQ(build(&s, many, {}, 0, &sp), -E2BIG);
}

TEST(UserStack, BufferTooSmall) {
  Stack s{std::vector<uint8_t>(64, 0xEE), kTop};
  uint32_t sp;
  std::vector<uint8_t> before = s.buf;
  EXPECT_EQ(build(&s, {"a-long-argument-string"}, {"X=1"}, 0, &sp), -E2BIG);
  EXPECT_EQ(s.buf, before);
  // The smallest layout: argc, NULL, NULL, 3 aux pairs (9 words = 36 bytes) and the end
  // marker, aligned: 48 bytes.
  Stack t{std::vector<uint8_t>(48, 0xEE), kTop};
  ASSERT_EQ(build(&t, {}, {}, 0, &sp), 0);
  EXPECT_EQ(sp, kTop - 48);
  Decoded d = decode(t, sp);
  EXPECT_EQ(d.argc, 0u);
  EXPECT_TRUE(d.envp.empty());
  Stack u{std::vector<uint8_t>(32, 0xEE), kTop};
  EXPECT_EQ(build(&u, {}, {}, 0, &sp), -E2BIG);
  // A stack top near address 0 cannot hold it either (no wrap-around).
  Stack low{std::vector<uint8_t>(32, 0), 32};
  EXPECT_EQ(build(&low, {"x"}, {}, 0, &sp), -E2BIG);
}

TEST(UserStack, BadArguments) {
  Stack s{std::vector<uint8_t>(4096, 0), kTop - 4};
  uint32_t sp;
  EXPECT_EQ(build(&s, {"a"}, {}, 0, &sp), -EINVAL) << "stack top not 16-aligned";
  Stack t{std::vector<uint8_t>(4096, 0), 1024};
  EXPECT_EQ(build(&t, {"a"}, {}, 0, &sp), -EINVAL) << "buffer larger than the addresses below top";
}

}  // namespace
