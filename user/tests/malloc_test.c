/* malloc_test [--bad-free]: malloc, free, realloc and calloc under stress: many sizes, every
 * block filled with its own pattern and checked before it is freed or after it is moved,
 * alignment, realloc keeping the contents, freed memory merged and reused (the break does not
 * grow again), and the refusals (huge sizes, calloc overflow). --bad-free frees a pointer
 * malloc never gave, which must abort the program with "free(): invalid pointer". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kSlots = 512, kRounds = 40000 };

struct slot {
  unsigned char* p;
  size_t size;
  unsigned char seed;
};

static struct slot slots[kSlots];
static int failures;
static uint32_t rng = 12345;

static uint32_t next_random(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

/* Mostly small blocks, some large ones, now and then a very large one. */
static size_t random_size(void) {
  uint32_t r = next_random() % 100;
  if (r < 70) return next_random() % 128 + 1;
  if (r < 97) return next_random() % 4096 + 1;
  return next_random() % (256 * 1024) + 1;
}

static void fail(const char* what, int slot) {
  if (failures++ < 10) printf("FAIL: %s (slot %d)\n", what, slot);
}

static void fill(struct slot* s, size_t from) {
  for (size_t i = from; i < s->size; ++i) s->p[i] = (unsigned char)(s->seed + i * 7);
}

/* The first N bytes still hold the pattern. */
static int intact(const struct slot* s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (s->p[i] != (unsigned char)(s->seed + i * 7)) return 0;
  }
  return 1;
}

static void stress(void) {
  for (int round = 0; round < kRounds; ++round) {
    int i = (int)(next_random() % kSlots);
    struct slot* s = &slots[i];
    if (!s->p) {
      s->size = random_size();
      s->seed = (unsigned char)next_random();
      s->p = malloc(s->size);
      if (!s->p) {
        fail("malloc returned NULL", i);
        continue;
      }
      if ((uintptr_t)s->p % 16) fail("malloc: not 16-byte aligned", i);
      fill(s, 0);
    } else if (!intact(s, s->size)) {
      fail("a block's contents changed", i);
      free(s->p);
      s->p = NULL;
    } else if (next_random() % 2) {
      free(s->p);
      s->p = NULL;
    } else {
      size_t old = s->size;
      size_t size = random_size();
      unsigned char* q = realloc(s->p, size);
      if (!q) {
        fail("realloc returned NULL", i);
        continue;
      }
      s->p = q;
      s->size = size;
      if ((uintptr_t)q % 16) fail("realloc: not 16-byte aligned", i);
      if (!intact(s, old < size ? old : size)) fail("realloc lost the contents", i);
      fill(s, old < size ? old : size);
    }
  }
  for (int i = 0; i < kSlots; ++i) {
    if (slots[i].p && !intact(&slots[i], slots[i].size)) fail("contents changed at the end", i);
    free(slots[i].p);
    slots[i].p = NULL;
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--bad-free") == 0) {
    int on_the_stack;
    printf("malloc_test: freeing a pointer malloc never gave\n");
    fflush(stdout);
    free(&on_the_stack);
    printf("malloc_test: free accepted it?!\n");
    return 1;
  }
  char* heap_before = sbrk(0);
  stress();
  char* heap_after = sbrk(0);
  size_t heap = (size_t)(heap_after - heap_before);

  /* Everything is free again, in one merged block: a block of nearly the whole heap fits
   * without moving the break. */
  void* big = malloc(heap - 256);
  if (!big) fail("the freed heap was not merged into one block", -1);
  if (sbrk(0) != heap_after) fail("the break grew although the heap was all free", -1);
  free(big);

  /* A second stress round reuses the same memory. */
  rng = 777;
  stress();
  if ((size_t)((char*)sbrk(0) - heap_before) > 2 * heap)
    fail("the second round doubled the heap", -1);

  /* calloc zeroes; realloc(NULL) is malloc; realloc(p, 0) frees; refusals set ENOMEM. */
  unsigned char* z = malloc(4096);
  memset(z, 0xAB, 4096);
  free(z);
  z = calloc(1024, 4);
  for (int i = 0; z && i < 4096; ++i) {
    if (z[i]) {
      fail("calloc did not zero", i);
      break;
    }
  }
  free(z);
  char* r = realloc(NULL, 10);
  if (!r) fail("realloc(NULL, 10) returned NULL", -1);
  if (realloc(r, 0) != NULL) fail("realloc(p, 0) did not return NULL", -1);
  errno = 0;
  if (malloc((size_t)-100) != NULL || errno != ENOMEM) fail("malloc(huge) did not fail", -1);
  errno = 0;
  if (calloc((size_t)1 << 20, (size_t)1 << 13) != NULL || errno != ENOMEM) {
    fail("calloc overflow did not fail", -1);
  }
  errno = 0;
  if (malloc((size_t)1 << 31) != NULL || errno != ENOMEM) fail("malloc(2 GiB) did not fail", -1);
  void* small = malloc(0);
  if (!small) fail("malloc(0) returned NULL", -1);
  free(small);
  free(NULL);

  printf("malloc_test: heap=%u bytes after %d rounds, %d failures\n", (unsigned)heap, kRounds,
         failures);
  return failures ? 1 : 0;
}
