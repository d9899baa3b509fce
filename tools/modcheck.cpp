// quartz-modcheck: checks a module file on the host with the kernel loader's own code
// (kernel/lib/elf_module), so tools/build-module.sh and insmod can never disagree on what
// a loadable module is: validation, layout, relocation types, constructor sections.
//
// Usage: quartz-modcheck FILE.ko [--imports]
//   Exits 0 if the loader would accept the file (its imports are assumed to resolve:
//   they depend on the running kernel), else prints "FILE: REASON" on one line and
//   exits 1. --imports prints the names of the undefined symbols, one per line.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel/lib/elf_module.h"

namespace {

// Every import resolves, to an address no module section is at: the checker cannot
// know the running kernel's exports (insmod names an unknown one).
bool resolve_any(void*, const char*, uint32_t* addr) {
  *addr = 0xC0100000u;
  return true;
}

bool print_import(void*, const char* name, bool) {
  std::printf("%s\n", name);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::strcmp(argv[2], "--imports") != 0)) {
    std::fprintf(stderr, "usage: quartz-modcheck FILE.ko [--imports]\n");
    return 2;
  }
  const char* path = argv[1];
  std::FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::printf("%s: cannot open\n", path);
    return 1;
  }
  std::vector<uint8_t> image;
  uint8_t buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    image.insert(image.end(), buf, buf + n);
  std::fclose(f);

  using namespace quartz;
  ElfInfo info;
  ElfError err{};
  static ElfLayout layout;
  if (!elf_validate(image.data(), image.size(), &info, &err) || !elf_layout(info, &layout, &err)) {
    std::printf("%s: %s\n", path, err.msg);
    return 1;
  }
  // The same placement insmod uses: page-aligned text, then data.
  constexpr uint32_t kText = 0xD0000000u;
  std::vector<uint8_t> text(layout.text_size), data(layout.data_size);
  const ElfLoad load{text.data(), kText, data.data(), kText + layout.text_size};
  if (!elf_relocate(info, layout, load, resolve_any, nullptr, &err) ||
      !elf_check_ctors(info, layout, load, &err)) {
    std::printf("%s: %s\n", path, err.msg);
    return 1;
  }
  uint32_t init = 0;
  if (!elf_find_symbol(info, layout, load, "init_module", &init)) {
    std::printf("%s: no init_module (static? or C++ without extern \"C\"?)\n", path);
    return 1;
  }
  if (!elf_find_symbol(info, layout, load, "cleanup_module", &init))
    std::fprintf(stderr,
                 "warning: %s: no global cleanup_module (static? or C++ without "
                 "extern \"C\"?): it can never be unloaded\n",
                 path);
  if (argc == 3) elf_for_each_undefined(info, print_import, nullptr);
  return 0;
}
