// Host tests of kernel/lib/intrusive_list.h: order, removal from anywhere, splice,
// membership in two lists at once, static storage, and the traps on misuse.
#include "kernel/lib/intrusive_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using quartz::IntrusiveList;
using quartz::IntrusiveListNode;
using quartz::IntrusiveSList;
using quartz::IntrusiveSListNode;

struct Item {
  explicit Item(int v) : value(v) {}
  int value;
  IntrusiveListNode run_node;  // deliberately not the first member
  IntrusiveListNode wait_node;
  IntrusiveSListNode snode;
};

using RunList = IntrusiveList<Item, &Item::run_node>;
using WaitList = IntrusiveList<Item, &Item::wait_node>;
using SList = IntrusiveSList<Item, &Item::snode>;

template <class L>
std::vector<int> values(L& list) {
  std::vector<int> out;
  for (Item& i : list) out.push_back(i.value);
  return out;
}

TEST(IntrusiveList, StartsEmpty) {
  RunList l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.size(), 0u);
  EXPECT_EQ(l.front(), nullptr);
  EXPECT_EQ(l.back(), nullptr);
  EXPECT_EQ(l.pop_front(), nullptr);
  EXPECT_EQ(l.pop_back(), nullptr);
}

TEST(IntrusiveList, PushBackKeepsFifoOrderAndPushFrontPrepends) {
  Item a(1), b(2), c(3);
  RunList l;
  l.push_back(a);
  l.push_back(b);
  l.push_front(c);
  EXPECT_EQ(values(l), (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(l.front(), &c);
  EXPECT_EQ(l.back(), &b);
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.pop_front(), &c);
  EXPECT_EQ(l.pop_back(), &b);
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_TRUE(l.empty());
  EXPECT_FALSE(a.run_node.is_linked());
}

TEST(IntrusiveList, OwnerIsRecoveredFromANonFirstMember) {
  Item a(7);
  WaitList l;
  l.push_back(a);
  EXPECT_EQ(l.front(), &a);
  EXPECT_EQ(l.front()->value, 7);
  l.clear();
}

TEST(IntrusiveList, RemoveFromHeadMiddleAndTail) {
  Item a(1), b(2), c(3), d(4);
  RunList l;
  for (Item* i : {&a, &b, &c, &d}) l.push_back(*i);
  RunList::remove(b);
  EXPECT_EQ(values(l), (std::vector<int>{1, 3, 4}));
  RunList::remove(a);
  RunList::remove(d);
  EXPECT_EQ(values(l), (std::vector<int>{3}));
  EXPECT_FALSE(b.run_node.is_linked());
  EXPECT_TRUE(c.run_node.is_linked());
  RunList::remove(c);
  EXPECT_TRUE(l.empty());
}

TEST(IntrusiveList, InsertBefore) {
  Item a(1), b(2), c(3);
  RunList l;
  l.push_back(a);
  l.push_back(c);
  l.insert_before(c, b);
  EXPECT_EQ(values(l), (std::vector<int>{1, 2, 3}));
  l.clear();
}

TEST(IntrusiveList, AnObjectCanBeOnTwoListsThroughTwoNodes) {
  Item a(1), b(2);
  RunList run;
  WaitList wait;
  run.push_back(a);
  run.push_back(b);
  wait.push_back(b);
  EXPECT_EQ(values(run), (std::vector<int>{1, 2}));
  EXPECT_EQ(values(wait), (std::vector<int>{2}));
  EXPECT_TRUE(run.contains(b));
  EXPECT_TRUE(wait.contains(b));
  EXPECT_FALSE(wait.contains(a));
  run.clear();
  wait.clear();
}

TEST(IntrusiveList, SpliceTakesTheWholeListOverInOrder) {
  Item a(1), b(2), c(3), d(4);
  RunList dst, src;
  dst.push_back(a);
  src.push_back(b);
  src.push_back(c);
  src.push_back(d);
  dst.splice_back(src);
  EXPECT_TRUE(src.empty());
  EXPECT_EQ(values(dst), (std::vector<int>{1, 2, 3, 4}));
  RunList::remove(c);  // still a proper doubly linked list
  EXPECT_EQ(dst.pop_back(), &d);
  EXPECT_EQ(values(dst), (std::vector<int>{1, 2}));
  RunList empty;
  dst.splice_back(empty);
  dst.splice_back(dst);
  EXPECT_EQ(values(dst), (std::vector<int>{1, 2}));
  src.splice_back(dst);  // into an empty list
  EXPECT_EQ(values(src), (std::vector<int>{1, 2}));
  src.clear();
}

TEST(IntrusiveList, DestroyingAListUnlinksItsItems) {
  Item a(1);
  {
    RunList l;
    l.push_back(a);
  }
  EXPECT_FALSE(a.run_node.is_linked());
}

constinit RunList g_static_list;  // constexpr constructor: no global constructor needed

TEST(IntrusiveList, WorksInStaticStorage) {
  Item a(5);
  EXPECT_TRUE(g_static_list.empty());
  g_static_list.push_back(a);
  EXPECT_EQ(g_static_list.front(), &a);
  g_static_list.clear();
}

TEST(IntrusiveListDeathTest, PushingALinkedNodeTraps) {
  EXPECT_DEATH(
      {
        Item a(1);
        RunList l1;
        RunList l2;
        l1.push_back(a);
        l2.push_back(a);
      },
      "");
}

TEST(IntrusiveListDeathTest, DestroyingALinkedNodeTraps) {
  EXPECT_DEATH(
      {
        RunList l;
        auto* a = new Item(1);
        l.push_back(*a);
        delete a;
      },
      "");
}

TEST(IntrusiveListDeathTest, RemovingAnUnlinkedNodeTraps) {
  EXPECT_DEATH(
      {
        Item a(1);
        RunList::remove(a);
      },
      "");
}

TEST(IntrusiveSList, FifoPushBackPushFrontPopFront) {
  Item a(1), b(2), c(3);
  SList l;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.pop_front(), nullptr);
  l.push_back(a);
  l.push_back(b);
  l.push_front(c);
  EXPECT_EQ(values(l), (std::vector<int>{3, 1, 2}));
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.back(), &b);
  EXPECT_EQ(l.pop_front(), &c);
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_EQ(l.pop_front(), &b);
  EXPECT_EQ(l.back(), nullptr);
  EXPECT_FALSE(a.snode.is_linked());
  l.push_back(a);  // tail reset correctly after emptying
  EXPECT_EQ(l.front(), &a);
  EXPECT_EQ(l.back(), &a);
  l.clear();
}

TEST(IntrusiveSList, TakeAllMovesEverythingAndEmptiesTheSource) {
  Item a(1), b(2), c(3);
  SList pending, batch;
  pending.push_back(a);
  pending.push_back(b);
  batch.take_all(pending);
  EXPECT_TRUE(pending.empty());
  pending.push_back(c);  // the source is usable at once (tail reset)
  EXPECT_EQ(values(batch), (std::vector<int>{1, 2}));
  EXPECT_EQ(values(pending), (std::vector<int>{3}));
  batch.clear();
  pending.clear();
}

TEST(IntrusiveSListDeathTest, PushingALinkedNodeTraps) {
  EXPECT_DEATH(
      {
        Item a(1);
        SList l;
        l.push_back(a);
        l.push_front(a);
      },
      "");
}

}  // namespace
