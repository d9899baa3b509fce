#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test through ctest
# (host unit tests under ASan/UBSan and the QEMU integration tests).
# Usage: tools/test.sh [--long] [CTEST ARGS...]   e.g. tools/test.sh -R qemu.crash
# Tests labelled `long` (soaks of minutes) run only with --long (then only they run).
set -euo pipefail
cd "$(dirname "$0")/.."
labels=(-LE long)
if [ "${1:-}" = "--long" ]; then
  labels=(-L long)
  shift
fi
source tools/deps.sh
quartz_install_deps
build=${QUARTZ_BUILD_DIR:-build}
cmake -S . -B "$build"
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 300 "${labels[@]}" "$@"
