/* malloc, free, calloc and realloc on the program break (brk): one heap of blocks laid end to
 * end, free blocks on a list searched first-fit, neighbours merged when freed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every block starts with this 16-byte header; the caller's memory follows it, 16-byte
 * aligned. The blocks tile [heap_start, heap_end) exactly, so the next block is at
 * (char*)b + b->size and the previous at (char*)b - b->prev_size. */
struct block {
  size_t size;      /* the whole block, header included: a multiple of 16 */
  size_t prev_size; /* the block just below, 0 for the first one */
  uint32_t magic;   /* kUsed or kFree: free() refuses anything else */
  uint32_t unused;
  /* Only while free, in what is otherwise the caller's memory: the free list. */
  struct block* next_free;
  struct block* prev_free;
};

enum {
  kHeader = 16,
  kMinBlock = 32,        /* header + the two list pointers, rounded up */
  kGrowStep = 64 * 1024, /* ask brk for at least this much at a time */
  kUsed = 0x55534544,    /* "USED" */
  kFree = 0x46524545,    /* "FREE" */
};

static char* heap_start;        /* the first block (16-byte aligned), NULL before first use */
static char* heap_end;          /* one past the last block: the break malloc set */
static size_t last_size;        /* the size of the block that ends at heap_end */
static struct block* free_list; /* most recently freed first */

static struct block* next_block(struct block* b) {
  char* n = (char*)b + b->size;
  return n < heap_end ? (struct block*)n : NULL;
}
static struct block* prev_block(struct block* b) {
  return b->prev_size ? (struct block*)((char*)b - b->prev_size) : NULL;
}
/* After B's size changed: tell the block after it (or last_size) where B starts. */
static void fix_next_prev_size(struct block* b) {
  struct block* n = next_block(b);
  if (n) {
    n->prev_size = b->size;
  } else {
    last_size = b->size;
  }
}

static void list_insert(struct block* b) {
  b->magic = kFree;
  b->prev_free = NULL;
  b->next_free = free_list;
  if (free_list) free_list->prev_free = b;
  free_list = b;
}
static void list_remove(struct block* b) {
  if (b->prev_free) {
    b->prev_free->next_free = b->next_free;
  } else {
    free_list = b->next_free;
  }
  if (b->next_free) b->next_free->prev_free = b->prev_free;
}

/* Merge free block B with the free block after it (already off the list). */
static void absorb_next(struct block* b, struct block* n) {
  b->size += n->size;
  fix_next_prev_size(b);
}

/* Cut used block B down to SIZE if what is left makes a block; the rest is freed. */
static void split(struct block* b, size_t size) {
  if (b->size - size < kMinBlock) return;
  struct block* rest = (struct block*)((char*)b + size);
  rest->size = b->size - size;
  rest->prev_size = size;
  b->size = size;
  fix_next_prev_size(rest);
  struct block* after = next_block(rest);
  if (after && after->magic == kFree) {
    list_remove(after);
    absorb_next(rest, after);
  }
  list_insert(rest);
}

/* Make a free block of at least NEED bytes at the end of the heap with brk. NULL if the
 * kernel refuses, or if someone else moved the break (malloc then stops growing). */
static struct block* grow(size_t need) {
  if (!heap_start) {
    char* start = sbrk(0);
    char* aligned = (char*)(((uintptr_t)start + 15) & ~(uintptr_t)15);
    if (aligned != start && sbrk(aligned - start) == (void*)-1) return NULL;
    heap_start = heap_end = aligned;
  }
  if ((char*)sbrk(0) != heap_end) return NULL;
  struct block* last = last_size ? (struct block*)(heap_end - last_size) : NULL;
  size_t have = (last && last->magic == kFree) ? last->size : 0;
  size_t add = (need - have + kGrowStep - 1) / kGrowStep * kGrowStep;
  if (add > (size_t)INTPTR_MAX || sbrk((intptr_t)add) == (void*)-1) return NULL;
  struct block* b;
  if (have) { /* the free last block grows */
    b = last;
    list_remove(b);
    b->size += add;
  } else {
    b = (struct block*)heap_end;
    b->size = add;
    b->prev_size = last_size;
  }
  heap_end += add;
  last_size = b->size;
  list_insert(b);
  return b;
}

/* The block size for N bytes: header added, rounded to 16, at least kMinBlock. 0 if N is too
 * large to be possible. */
static size_t block_size(size_t n) {
  if (n > SIZE_MAX / 2) return 0;
  size_t size = (n + kHeader + 15) & ~(size_t)15;
  return size < kMinBlock ? kMinBlock : size;
}

void* malloc(size_t n) {
  size_t need = block_size(n);
  if (!need) {
    errno = ENOMEM;
    return NULL;
  }
  struct block* b = free_list;
  while (b && b->size < need) b = b->next_free;
  if (!b && !(b = grow(need))) {
    errno = ENOMEM;
    return NULL;
  }
  list_remove(b);
  b->magic = kUsed;
  split(b, need);
  return (char*)b + kHeader;
}

/* The block of P, or abort with glibc's words if P is not a block malloc gave out. */
static struct block* block_of(void* p, const char* who) {
  struct block* b = (struct block*)((char*)p - kHeader);
  if ((char*)p < heap_start + kHeader || (char*)p >= heap_end || ((uintptr_t)p & 15) ||
      b->magic != kUsed) {
    fprintf(stderr, "%s(): invalid pointer\n", who);
    abort();
  }
  return b;
}

void free(void* p) {
  if (!p) return;
  struct block* b = block_of(p, "free");
  struct block* n = next_block(b);
  if (n && n->magic == kFree) {
    list_remove(n);
    absorb_next(b, n);
  }
  struct block* prev = prev_block(b);
  if (prev && prev->magic == kFree) {
    list_remove(prev);
    absorb_next(prev, b);
    b = prev;
  }
  list_insert(b);
}

void* calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  void* p = malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void* realloc(void* p, size_t n) {
  if (!p) return malloc(n);
  if (n == 0) { /* glibc's choice: free it and return NULL */
    free(p);
    return NULL;
  }
  struct block* b = block_of(p, "realloc");
  size_t need = block_size(n);
  if (!need) {
    errno = ENOMEM;
    return NULL;
  }
  struct block* next = next_block(b);
  if (need > b->size && next && next->magic == kFree && b->size + next->size >= need) {
    list_remove(next); /* grow in place into the free neighbour */
    absorb_next(b, next);
  }
  if (need <= b->size) {
    split(b, need);
    return p;
  }
  void* q = malloc(n);
  if (!q) return NULL; /* P is left as it was, as C says */
  memcpy(q, p, b->size - kHeader);
  free(p);
  return q;
}
