#!/usr/bin/env bash
# Installs the Debian packages Quartz needs (skipping those already there); sourced by
# tools/run.sh and tools/test.sh, or run on its own.
set -euo pipefail

QUARTZ_PACKAGES=(
  cmake make g++ python3              # host build and test scripts
  git                                 # tools/lab.py (git ls-files in a checkout)
  nasm binutils-i686-linux-gnu g++-i686-linux-gnu   # the i686 kernel toolchain
  grub-pc-bin grub-common xorriso mtools            # quartz.iso via grub-mkrescue
  qemu-system-x86                     # running it
  googletest libgtest-dev libbenchmark-dev          # host unit tests and benchmarks
  gdb                                 # tools/debug.sh and the GDB tests
  clang lld libclang-rt-14-dev        # libFuzzer harnesses (tests/fuzz)
  clang-format                        # the house style (tools/format.sh, ctest style.*)
  cpio                                # initramfs archives (newc), the cpio reader's tests
)

# The programs the scripts, tests and CMake files run, and the package of the list above
# that provides each (tests/tools/check_deps.py fails on a program missing here; the
# Debian base system's own tools, coreutils, grep, sed, mawk, util-linux, need no entry).
QUARTZ_COMMANDS=(
  cmake:cmake ctest:cmake make:make g++:g++ python3:python3 git:git
  nasm:nasm i686-linux-gnu-ld:binutils-i686-linux-gnu i686-linux-gnu-nm:binutils-i686-linux-gnu
  i686-linux-gnu-objcopy:binutils-i686-linux-gnu i686-linux-gnu-readelf:binutils-i686-linux-gnu
  i686-linux-gnu-gcc:g++-i686-linux-gnu i686-linux-gnu-g++:g++-i686-linux-gnu
  grub-mkrescue:grub-common xorriso:xorriso mformat:mtools
  qemu-system-i386:qemu-system-x86 gdb:gdb clang++:clang clang-format:clang-format
  cpio:cpio
)

quartz_install_deps() {
  local missing=() pkg
  for pkg in "${QUARTZ_PACKAGES[@]}"; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      continue
    fi
    missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#QUARTZ_PACKAGES[@]} packages present"
    return 0
  fi
  echo "deps: installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  quartz_install_deps
fi
