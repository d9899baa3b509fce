#!/usr/bin/env bash
# Builds a Quartz loadable module (.ko, an i386 ELF relocatable object) from C and C++
# sources against the module API (modules/include/quartz/module.h), then checks it the
# way the kernel's loader will. The in-tree modules are built by this same script.
#
# Usage: tools/build-module.sh [-v] [--linux 2.2|2.4|2.6|6] [-I DIR]... [-D NAME[=VALUE]]...
#                               -o OUT.ko SRC...
#   -o OUT.ko   the module to write; its name is the file name without .ko
#   SRC...      .c (C, gnu11) and .cpp/.cc/.cxx (C++, gnu++20) files, any number
#   --linux G   build a module written for Linux generation G, unchanged, against
#               <linux/...> (modules/compat/linux, docs/the-guide.md): defines
#               QUARTZ_LINUX (0x020200, 0x020400, 0x020600 or 0x060000), compiles C as
#               gnu89 (gnu11 for 6) with -Wall -Werror, as the era's kernel did (no -Wextra)
#   -I DIR      an extra include directory      -D NAME[=VALUE]  a preprocessor define
#   -v          print every command before running it
#   -h          this help
# Environment: QUARTZ_CC, QUARTZ_CXX, QUARTZ_LD choose the tools, QUARTZ_MODCHECK the checker
# (default: the i686-linux-gnu-* cross tools, else gcc/g++ -m32 and ld -m elf_i386);
# QUARTZ_MODULE_CFLAGS adds flags after the standard ones (e.g. "-O0" to debug).
# Exits 0 with OUT.ko written, or non-zero with a one-line reason (OUT.ko removed).
set -euo pipefail

prog=build-module.sh
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

usage() {
  sed -n '/^# Usage:/,/^# Exits/p' "$(readlink -f "${BASH_SOURCE[0]}")" | sed 's/^# \{0,1\}//'
}
die() {
  echo "$prog: error: $*" >&2
  exit 1
}
verbose=0
run() {
  if [ $verbose -eq 1 ]; then
    printf '+'
    printf ' %q' "$@"
    printf '\n'
  fi
  "$@"
}

# ---- arguments ----
out="" srcs=() extra=() linux=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) [ $# -ge 2 ] || die "-o needs a file name (try -h)"; out="$2"; shift ;;
    -o*) out="${1#-o}" ;;
    -I) [ $# -ge 2 ] || die "-I needs a directory (try -h)"; extra+=(-I "$2"); shift ;;
    -I*) extra+=("$1") ;;
    -D) [ $# -ge 2 ] || die "-D needs NAME[=VALUE] (try -h)"; extra+=(-D "$2"); shift ;;
    -D*) extra+=("$1") ;;
    -v) verbose=1 ;;
    --linux) [ $# -ge 2 ] && [ -n "$2" ] && [ "${2#-}" = "$2" ] ||
               die "--linux needs a generation: 2.2, 2.4, 2.6 or 6"
             linux="$2"; shift ;;
    --linux=*) linux="${1#--linux=}"; [ -n "$linux" ] || die "--linux needs a generation: 2.2, 2.4, 2.6 or 6" ;;
    -h|--help) usage; exit 0 ;;
    --) shift; srcs+=("$@"); break ;;
    -*) echo "$prog: error: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) srcs+=("$1") ;;
  esac
  shift
done
if [ -z "$out" ]; then echo "$prog: error: no output given (-o NAME.ko)" >&2; usage >&2; exit 2; fi
if [ ${#srcs[@]} -eq 0 ]; then echo "$prog: error: no source files given" >&2; usage >&2; exit 2; fi

# The Linux generation a module is written for (docs/the-guide.md): the value of
# QUARTZ_LINUX that modules/include/linux/*.h select their layouts and names by.
linux_code=""
case "$linux" in
  "") ;;
  2.2) linux_code=0x020200 ;;
  2.4) linux_code=0x020400 ;;
  2.6) linux_code=0x020600 ;;
  6) linux_code=0x060000 ;;
  *) die "--linux $linux: unknown generation (expected 2.2, 2.4, 2.6 or 6)" ;;
esac

base=$(basename -- "$out")
case "$base" in
  *.ko) name="${base%.ko}" ;;
  *) die "output $out must end in .ko (the module's name is its file name without .ko)" ;;
esac
[ -n "$name" ] || die "output $out has no module name before .ko"
if ! [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]]; then
  die "module name '$name' (from $base) may hold only letters, digits, _ and -"
fi
if [ ${#name} -gt 31 ]; then
  die "module name '$name' is ${#name} characters long; insmod accepts at most 31"
fi

have_cxx=0
for s in "${srcs[@]}"; do
  [ -f "$s" ] || die "$s: no such file"
  case "$s" in
    *.c) ;;
    *.cpp|*.cc|*.cxx) have_cxx=1 ;;
    *) die "$s: unknown source type (expected .c, .cpp, .cc or .cxx)" ;;
  esac
done

# ---- tools ----
find_tool() {  # VAR-VALUE CROSS-NAME FALLBACK... : prints the command words
  if [ -n "$1" ]; then echo "$1"; return; fi
  if command -v "$2" >/dev/null 2>&1; then echo "$2"; return; fi
  shift 2
  command -v "$1" >/dev/null 2>&1 || return 1
  echo "$@"
}
tool=$(find_tool "${QUARTZ_CC:-}" i686-linux-gnu-gcc gcc) ||
  die "no C compiler: install gcc-i686-linux-gnu (or gcc-multilib), or set QUARTZ_CC"
read -r -a cc <<<"$tool"
if [ $have_cxx -eq 1 ]; then
  tool=$(find_tool "${QUARTZ_CXX:-}" i686-linux-gnu-g++ g++) ||
    die "no C++ compiler: install g++-i686-linux-gnu (or g++-multilib), or set QUARTZ_CXX"
  read -r -a cxx <<<"$tool"
fi
tool=$(find_tool "${QUARTZ_LD:-}" i686-linux-gnu-ld ld -m elf_i386) ||
  die "no linker: install binutils-i686-linux-gnu (or binutils), or set QUARTZ_LD"
read -r -a ld <<<"$tool"

# ---- flags (docs/modules.md says why each one is there) ----
common=(-m32 -march=i686 -fno-pic -fno-pie -fno-common -ffreestanding
        -fno-asynchronous-unwind-tables -fno-stack-protector -fcf-protection=none
        -mgeneral-regs-only -O2 -g -Wall -Wextra -Werror
        -fno-omit-frame-pointer -fno-optimize-sibling-calls
        -I "$root/modules/include")  # the module API only: never kernel internals
cflags=(-std=gnu11)
if [ -n "$linux_code" ]; then
  # The guide's code as printed: K&R definitions, GNU `field: value` initialisers, unused
  # parameters. Linux built it with gcc -Wall (no -Wextra); -Werror keeps a warning from
  # hiding a mis-compile (an implicit declaration of something Quartz does not offer).
  # No -DMODULE or -D__KERNEL__: the 2.4 edition defines them itself.
  kept=()
  for f in "${common[@]}"; do [ "$f" = -Wextra ] || kept+=("$f"); done
  common=("${kept[@]}")
  [ "$linux" = 6 ] || cflags=(-std=gnu89)
  cflags+=(-DQUARTZ_LINUX="$linux_code" -I "$root/modules/compat")
  [ $have_cxx -eq 0 ] || die "--linux $linux: Linux modules are C; C++ sources are not accepted"
fi
# C++ objects with destructors register them with __cxa_atexit (the kernel runs them
# after cleanup_module); constructors go to .init_array (run before init_module).
cxxflags=(-std=gnu++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics)
read -r -a user_flags <<<"${QUARTZ_MODULE_CFLAGS:-}"

# ---- compile, link ----
tmp=$(mktemp -d "${TMPDIR:-/tmp}/quartz-module.XXXXXX")
ok=0
cleanup() {
  rm -rf "$tmp"
  if [ $ok -eq 0 ]; then rm -f "$out"; fi
}
trap cleanup EXIT

objs=()
i=0
for s in "${srcs[@]}"; do
  i=$((i + 1))
  o="$tmp/$i-$(basename -- "${s%.*}").o"
  case "$s" in
    *.c) if ! run "${cc[@]}" "${cflags[@]}" "${common[@]}" "${extra[@]}" "${user_flags[@]}" -c "$s" -o "$o"; then
           if [ -z "$linux_code" ] && grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*<linux/' "$s"; then
             die "compiling $s failed (written for Linux? build it with --linux 2.2|2.4|2.6|6)"
           fi
           die "compiling $s failed"
         fi ;;
    *) run "${cxx[@]}" "${cxxflags[@]}" "${common[@]}" "${extra[@]}" "${user_flags[@]}" -c "$s" -o "$o" ||
           die "compiling $s failed" ;;
  esac
  objs+=("$o")
done

outdir=$(dirname -- "$out")
[ -d "$outdir" ] || run mkdir -p "$outdir" || die "cannot create $outdir"
# -r: one relocatable object out of many, symbols and relocations kept (never strip a
# module: the loader needs its symbol table).
run "${ld[@]}" -r -o "$out" "${objs[@]}" || die "linking $out failed"

# ---- check it as the loader will ----
# With the loader's own code (kernel/lib/elf_module, built for the host as
# quartz-modcheck): validation, layout, relocation types, COMMON symbols, init_module,
# constructor sections. The policy is written once, in the loader.
modcheck=${QUARTZ_MODCHECK:-}
if [ -z "$modcheck" ]; then
  # Not given (an out-of-tree build): compile it once into a cache, keyed by its sources.
  srcs_mc=("$root/tools/modcheck.cpp" "$root/kernel/lib/elf_module.cpp" "$root/kernel/lib/format.cpp"
           "$root/kernel/lib/kstring.cpp")
  key=$(cat "${srcs_mc[@]}" "$root"/kernel/lib/{elf_module,elf32,format,kstring,ksyms,page_size}.h |
        cksum | cut -d' ' -f1)
  cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/quartz
  modcheck="$cache/quartz-modcheck-$key"
  if [ ! -x "$modcheck" ]; then
    hostcxx=$(command -v c++ || command -v g++ || command -v clang++) ||
      die "no host C++ compiler to build the module checker: install g++"
    mkdir -p "$cache" || die "cannot create $cache"
    run "$hostcxx" -std=c++20 -O1 -DQUARTZ_HOST=1 -I "$root" "${srcs_mc[@]}" \
        -o "$modcheck.tmp.$$" || die "building the module checker failed"
    mv -f "$modcheck.tmp.$$" "$modcheck"
  fi
fi
why=$("$modcheck" "$out") || die "${why:-$out: the module checker failed}"
imports_list=$("$modcheck" "$out" --imports 2>/dev/null) || true

imports=$(sort -u <<<"$imports_list" | paste -sd' ' || true)
# Compiler helpers from libgcc (64-bit division and shifts: __udivdi3, __divdi3, __umoddi3,
# ...) are not part of the module API: insmod would say "unknown symbol __udivdi3".
for s in $imports; do
  if [[ "$s" =~ ^__[a-z]+[ds]i[234]$ ]]; then
    echo "$prog: warning: $out: needs $s, a libgcc helper (64-bit / or %?) the kernel does not export: insmod will fail with \"unknown symbol $s\"" >&2
  fi
done
if [ $verbose -eq 1 ]; then
  echo "$prog: $out: module $name, imports: ${imports:-none}"
fi
ok=1
