/* ls [-l] [PATH...]: list directories (names sorted, dot files hidden) and files; -l adds the
 * type (d directory, - file, c device) and the size. Errors as GNU ls prints them, status 2. */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int long_format;
static int status;

static char type_char(unsigned mode) {
  return S_ISDIR(mode) ? 'd' : S_ISREG(mode) ? '-' : S_ISCHR(mode) ? 'c' : '?';
}

/* One line for NAME; ST may be NULL when stat failed (then only the name is known). */
static void print_entry(const char* name, const struct stat* st) {
  if (!long_format) {
    printf("%s\n", name);
  } else if (st) {
    printf("%c %10lld %s\n", type_char(st->st_mode), (long long)st->st_size, name);
  } else {
    printf("? %10s %s\n", "?", name);
  }
}

static int by_name(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void list_directory(const char* path) {
  DIR* d = opendir(path);
  if (!d) {
    fprintf(stderr, "ls: cannot open directory '%s': %s\n", path, strerror(errno));
    status = 2;
    return;
  }
  char** names = NULL;
  size_t n = 0, cap = 0;
  struct dirent* e;
  errno = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue; /* hidden, as without ls -a */
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char** grown = realloc(names, cap * sizeof *names);
      if (!grown) {
        fprintf(stderr, "ls: %s\n", strerror(ENOMEM));
        exit(2);
      }
      names = grown;
    }
    if (!(names[n++] = strdup(e->d_name))) {
      fprintf(stderr, "ls: %s\n", strerror(ENOMEM));
      exit(2);
    }
    errno = 0;
  }
  if (errno) {
    fprintf(stderr, "ls: reading directory '%s': %s\n", path, strerror(errno));
    status = 2;
  }
  closedir(d);
  qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; ++i) {
    struct stat st;
    int have = 0;
    if (long_format) {
      char full[PATH_MAX];
      if (snprintf(full, sizeof full, "%s/%s", path, names[i]) < (int)sizeof full) {
        have = stat(full, &st) == 0;
      }
    }
    print_entry(names[i], have ? &st : NULL);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char** argv) {
  int first = 1;
  for (; first < argc && argv[first][0] == '-' && argv[first][1]; ++first) {
    if (strcmp(argv[first], "-l") == 0) {
      long_format = 1;
    } else {
      fprintf(stderr, "ls: invalid option '%s'\nusage: ls [-l] [PATH...]\n", argv[first]);
      return 2;
    }
  }
  if (first == argc) {
    list_directory(".");
    return status;
  }
  /* As GNU ls: the files named first, then each directory, under a "PATH:" header when
   * there are several arguments, the groups apart by a blank line. */
  int many = argc - first > 1, printed = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = first; i < argc; ++i) {
      struct stat st;
      if (stat(argv[i], &st) < 0) {
        if (pass == 0) {
          fprintf(stderr, "ls: cannot access '%s': %s\n", argv[i], strerror(errno));
          status = 2;
        }
      } else if (pass == 0 && !S_ISDIR(st.st_mode)) {
        print_entry(argv[i], &st);
        printed = 1;
      } else if (pass == 1 && S_ISDIR(st.st_mode)) {
        if (many) printf("%s%s:\n", printed ? "\n" : "", argv[i]);
        list_directory(argv[i]);
        printed = 1;
      }
    }
  }
  return status;
}
