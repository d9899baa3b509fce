// Intrusive lists typed by member: the node lives in the object, the list knows which
// member to use (SerenityOS IntrusiveList<&Timer::m_list_node>, Zircon fbl). Nothing is
// ever allocated, so they may be used on interrupt paths.
//
//   struct Thread { IntrusiveListNode run_node; IntrusiveListNode wait_node; ... };
//   IntrusiveList<Thread, &Thread::run_node> run_queue;
//
// Contract:
//   - No locking inside: the owner of a list says what guards it (e.g. "IRQs off") and
//     holds that guard around every call.
//   - A node is on at most one list at a time; is_linked() tells. Pushing a linked node
//     or removing an unlinked one traps (ud2 in the kernel, SIGILL on the host), as does
//     destroying a node that is still linked: an object must leave its lists before dying.
//   - Nodes and lists delete copy and move (a list's sentinel is self-referential) and
//     have constexpr constructors, so they can live in static storage.
//   - IntrusiveList is doubly linked and circular around a sentinel: O(1) push, pop,
//     remove from anywhere, and splice (take another list's elements over in O(1)).
//     IntrusiveSList is singly linked FIFO (head and tail): O(1) push_back, push_front,
//     pop_front and take_all; removing from the middle is not offered.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

namespace list_detail {
[[noreturn]] inline void list_misuse() { __builtin_trap(); }

// container_of for a member pointer: the member's offset measured in a pretend object at a
// fixed, suitably aligned address. Only addresses are computed; nothing is dereferenced.
template <class T, class Node, Node T::*Member>
__attribute__((no_sanitize("undefined"))) inline T* owner_of(Node* node) {
  constexpr std::uintptr_t kProbe = 0x10000;
  const std::uintptr_t offset =
      reinterpret_cast<std::uintptr_t>(&(reinterpret_cast<T*>(kProbe)->*Member)) - kProbe;
  return reinterpret_cast<T*>(reinterpret_cast<std::uintptr_t>(node) - offset);
}

// The forward iterator of both lists: follows next_ from a node until the list's end node.
template <class T, class Node, Node T::*Member>
class NodeIterator {
 public:
  explicit NodeIterator(Node* n) : node_(n) {}
  T& operator*() const { return *owner_of<T, Node, Member>(node_); }
  T* operator->() const { return owner_of<T, Node, Member>(node_); }
  NodeIterator& operator++() {
    node_ = node_->next_;
    return *this;
  }
  bool operator==(const NodeIterator& o) const { return node_ == o.node_; }
  bool operator!=(const NodeIterator& o) const { return node_ != o.node_; }

 private:
  Node* node_;
};
}  // namespace list_detail

class IntrusiveListNode {
 public:
  constexpr IntrusiveListNode() = default;
  ~IntrusiveListNode() {
    if (is_linked()) list_detail::list_misuse();
  }
  IntrusiveListNode(const IntrusiveListNode&) = delete;
  IntrusiveListNode& operator=(const IntrusiveListNode&) = delete;

  bool is_linked() const { return next_ != nullptr; }

 private:
  template <class T, IntrusiveListNode T::*Member>
  friend class IntrusiveList;
  template <class T, class Node, Node T::*Member>
  friend class list_detail::NodeIterator;
  constexpr IntrusiveListNode(IntrusiveListNode* next, IntrusiveListNode* prev)
      : next_(next), prev_(prev) {}

  IntrusiveListNode* next_ = nullptr;  // null <=> not on a list
  IntrusiveListNode* prev_ = nullptr;
};

template <class T, IntrusiveListNode T::*Member>
class IntrusiveList {
 public:
  constexpr IntrusiveList() : sentinel_(&sentinel_, &sentinel_) {}
  // A list that dies unlinks what it still holds, so those objects may die later.
  ~IntrusiveList() {
    clear();
    sentinel_.next_ = sentinel_.prev_ = nullptr;  // the sentinel is not "linked" anywhere
  }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return sentinel_.next_ == &sentinel_; }
  std::size_t size() const {  // O(n)
    std::size_t n = 0;
    for (const IntrusiveListNode* p = sentinel_.next_; p != &sentinel_; p = p->next_) ++n;
    return n;
  }

  T* front() { return empty() ? nullptr : owner(sentinel_.next_); }
  T* back() { return empty() ? nullptr : owner(sentinel_.prev_); }

  void push_back(T& item) { insert_before_node(&sentinel_, node(item)); }
  void push_front(T& item) { insert_before_node(sentinel_.next_, node(item)); }
  // Insert item before pos (pos must be on this list).
  void insert_before(T& pos, T& item) {
    if (!node(pos)->is_linked()) list_detail::list_misuse();
    insert_before_node(node(pos), node(item));
  }

  T* pop_front() {
    if (empty()) return nullptr;
    IntrusiveListNode* n = sentinel_.next_;
    unlink(n);
    return owner(n);
  }
  T* pop_back() {
    if (empty()) return nullptr;
    IntrusiveListNode* n = sentinel_.prev_;
    unlink(n);
    return owner(n);
  }

  // Remove item from whichever list holds it (the caller knows it is this one).
  static void remove(T& item) {
    IntrusiveListNode* n = node(item);
    if (!n->is_linked()) list_detail::list_misuse();
    unlink(n);
  }

  // O(n): for checks and tests.
  bool contains(const T& item) const {
    for (const IntrusiveListNode* p = sentinel_.next_; p != &sentinel_; p = p->next_) {
      if (p == node(const_cast<T&>(item))) return true;
    }
    return false;
  }

  // Move every element of other to the back of this list, in order, in O(1).
  void splice_back(IntrusiveList& other) {
    if (other.empty() || &other == this) return;
    IntrusiveListNode* first = other.sentinel_.next_;
    IntrusiveListNode* last = other.sentinel_.prev_;
    other.sentinel_.next_ = other.sentinel_.prev_ = &other.sentinel_;
    first->prev_ = sentinel_.prev_;
    sentinel_.prev_->next_ = first;
    last->next_ = &sentinel_;
    sentinel_.prev_ = last;
  }

  void clear() {
    while (pop_front()) {
    }
  }

  using Iterator = list_detail::NodeIterator<T, IntrusiveListNode, Member>;
  // Iteration must not remove the current element; use pop_front() loops for that.
  Iterator begin() { return Iterator(sentinel_.next_); }
  Iterator end() { return Iterator(&sentinel_); }

 private:
  static IntrusiveListNode* node(T& item) { return &(item.*Member); }
  static T* owner(IntrusiveListNode* n) {
    return list_detail::owner_of<T, IntrusiveListNode, Member>(n);
  }
  static void insert_before_node(IntrusiveListNode* pos, IntrusiveListNode* n) {
    if (n->is_linked()) list_detail::list_misuse();
    n->next_ = pos;
    n->prev_ = pos->prev_;
    pos->prev_->next_ = n;
    pos->prev_ = n;
  }
  static void unlink(IntrusiveListNode* n) {
    n->prev_->next_ = n->next_;
    n->next_->prev_ = n->prev_;
    n->next_ = n->prev_ = nullptr;
  }

  IntrusiveListNode sentinel_;
};

class IntrusiveSListNode {
 public:
  constexpr IntrusiveSListNode() = default;
  ~IntrusiveSListNode() {
    if (linked_) list_detail::list_misuse();
  }
  IntrusiveSListNode(const IntrusiveSListNode&) = delete;
  IntrusiveSListNode& operator=(const IntrusiveSListNode&) = delete;

  bool is_linked() const { return linked_; }

 private:
  template <class T, IntrusiveSListNode T::*Member>
  friend class IntrusiveSList;
  template <class T, class Node, Node T::*Member>
  friend class list_detail::NodeIterator;
  IntrusiveSListNode* next_ = nullptr;
  bool linked_ = false;
};

template <class T, IntrusiveSListNode T::*Member>
class IntrusiveSList {
 public:
  constexpr IntrusiveSList() = default;
  ~IntrusiveSList() { clear(); }
  IntrusiveSList(const IntrusiveSList&) = delete;
  IntrusiveSList& operator=(const IntrusiveSList&) = delete;

  bool empty() const { return head_ == nullptr; }
  std::size_t size() const {  // O(n)
    std::size_t n = 0;
    for (const IntrusiveSListNode* p = head_; p; p = p->next_) ++n;
    return n;
  }
  T* front() { return head_ ? owner(head_) : nullptr; }
  T* back() { return tail_ ? owner(tail_) : nullptr; }

  void push_back(T& item) {
    IntrusiveSListNode* n = claim(item);
    if (tail_) {
      tail_->next_ = n;
    } else {
      head_ = n;
    }
    tail_ = n;
  }
  void push_front(T& item) {
    IntrusiveSListNode* n = claim(item);
    n->next_ = head_;
    head_ = n;
    if (!tail_) tail_ = n;
  }
  T* pop_front() {
    IntrusiveSListNode* n = head_;
    if (!n) return nullptr;
    head_ = n->next_;
    if (!head_) tail_ = nullptr;
    n->next_ = nullptr;
    n->linked_ = false;
    return owner(n);
  }
  // Take every element over in O(1) (the drain-by-taking-the-whole-list idiom); this list
  // must be empty.
  void take_all(IntrusiveSList& other) {
    if (!empty() && &other != this) list_detail::list_misuse();
    if (&other == this) return;
    head_ = other.head_;
    tail_ = other.tail_;
    other.head_ = other.tail_ = nullptr;
  }
  void clear() {
    while (pop_front()) {
    }
  }

  using Iterator = list_detail::NodeIterator<T, IntrusiveSListNode, Member>;
  Iterator begin() { return Iterator(head_); }
  Iterator end() { return Iterator(nullptr); }

 private:
  static T* owner(IntrusiveSListNode* n) {
    return list_detail::owner_of<T, IntrusiveSListNode, Member>(n);
  }
  static IntrusiveSListNode* claim(T& item) {
    IntrusiveSListNode* n = &(item.*Member);
    if (n->linked_) list_detail::list_misuse();
    n->linked_ = true;
    n->next_ = nullptr;
    return n;
  }

  IntrusiveSListNode* head_ = nullptr;
  IntrusiveSListNode* tail_ = nullptr;
};

}  // namespace quartz
