#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test through ctest
# (host unit tests under ASan/UBSan and the QEMU integration tests).
# Usage: tools/test.sh [CTEST ARGS...]   e.g. tools/test.sh -R qemu.crash
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
quartz_install_deps
build=${QUARTZ_BUILD_DIR:-build}
cmake -S . -B "$build"
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 300 "$@"
