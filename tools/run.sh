#!/usr/bin/env bash
# Installs what is missing, builds, and boots Quartz in QEMU with the serial console in
# this terminal. Usage: tools/run.sh [--vga] [--iso] [--deterministic] [--debug]
#                                     [--append "KERNEL ARGS"] [-- QEMU ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh

vga=0 iso=0 det=0 debug=OFF append=""
while [ $# -gt 0 ]; do
  case "$1" in
    --vga) vga=1 ;;
    --iso) iso=1 ;;
    --deterministic) det=1 ;;
    --debug) debug=ON ;;
    --append) append="$2"; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

quartz_install_deps
build=${QUARTZ_BUILD_DIR:-build}
cmake -S . -B "$build" -DQUARTZ_DEBUG=$debug >/dev/null
cmake --build "$build" -j"$(nproc)"

# The command line is defined once, in tools/quartz_qemu.py (the tests use the same).
opts=(--build "$build" --serial mon:stdio --default-monitor)
if [ $vga -eq 1 ]; then opts+=(--vga); fi
if [ $det -eq 1 ]; then opts+=(--icount); fi
if [ $iso -eq 1 ]; then opts+=(--iso); fi
if [ -n "$append" ]; then opts+=(--append "$append"); fi
mapfile -t qemu < <(python3 tools/quartz_qemu.py command "${opts[@]}")
[ ${#qemu[@]} -gt 0 ] || { echo "run.sh: tools/quartz_qemu.py gave no command" >&2; exit 1; }
echo "run.sh: ${qemu[*]} $*"
echo "run.sh: Ctrl-A X quits QEMU; 'poweroff' in the shell ends the run."
set +e
"${qemu[@]}" "$@"
status=$?
# isa-debug-exit turns `poweroff CODE` into the exit status (CODE << 1) | 1.
if [ $((status & 1)) -eq 1 ]; then exit $((status >> 1)); fi
exit $status
