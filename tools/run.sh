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

qemu=(qemu-system-i386 -accel tcg -m 128 -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial mon:stdio)
if [ $vga -eq 0 ]; then qemu+=(-display none); fi
if [ $det -eq 1 ]; then qemu+=(-icount shift=0,sleep=off); fi
if [ $iso -eq 1 ]; then
  qemu+=(-cdrom "$build/quartz.iso")
else
  qemu+=(-kernel "$build/quartz.elf")
  mods=$(ls "$build"/modules/*.ko 2>/dev/null | paste -sd, || true)
  if [ -n "$mods" ]; then qemu+=(-initrd "$mods"); fi
  if [ -n "$append" ]; then qemu+=(-append "$append"); fi
fi
echo "run.sh: ${qemu[*]} $*"
echo "run.sh: Ctrl-A X quits QEMU; 'poweroff' in the shell ends the run."
set +e
"${qemu[@]}" "$@"
status=$?
# isa-debug-exit turns `poweroff CODE` into the exit status (CODE << 1) | 1.
if [ $((status & 1)) -eq 1 ]; then exit $((status >> 1)); fi
exit $status
