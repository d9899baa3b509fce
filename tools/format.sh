#!/usr/bin/env bash
# Formats every C and C++ file git tracks with the house style (.clang-format at the top,
# modules/.clang-format for module code), or with --check lists the files that differ
# and exits 1 (ctest style.clang_format runs that).
# Usage: tools/format.sh [--check]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format.sh: clang-format is not installed (tools/deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' 2>/dev/null | grep -v '^tests/host/fixtures/' ||
                     find boot kernel drivers modules tests tools -name '*.[ch]' -o -name '*.cpp' |
                     grep -v '^tests/host/fixtures/')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "format.sh: $f differs from the house style (run tools/format.sh)"
      bad=1
    fi
  done
  [ $bad -eq 0 ] && echo "format.sh: ${#files[@]} files in the house style"
  exit $bad
fi
clang-format -i "${files[@]}"
echo "format.sh: formatted ${#files[@]} files"
