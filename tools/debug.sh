#!/usr/bin/env bash
# Builds if needed, starts QEMU paused with its GDB stub on a free port, and starts GDB
# connected to it with the kernel's symbols and tools/gdb/quartz.py loaded.
# Usage: tools/debug.sh [--break-entry] [--debug-build] [--iso] [--port N] [--no-build]
#                       [--deterministic] [--append "KERNEL ARGS"] [-- GDB ARGS...]
#        tools/debug.sh --console      (in a second terminal: the serial console)
# The serial console is a Unix socket (BUILD/debug-serial.sock, logged to
# BUILD/serial.log); `tools/debug.sh --console` attaches to it. See docs/debugging.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

break_entry=0 debug_build=0 iso=0 port="" build_it=1 det=0 append="" console=0
while [ $# -gt 0 ]; do
  case "$1" in
    --break-entry) break_entry=1 ;;
    --debug-build) debug_build=1 ;;
    --iso) iso=1 ;;
    --port) port="$2"; shift ;;
    --no-build) build_it=0 ;;
    --deterministic) det=1 ;;
    --append) append="$2"; shift ;;
    --console) console=1 ;;
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "debug.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ $debug_build -eq 1 ]; then
  build=${QUARTZ_DEBUG_BUILD_DIR:-build-debug}
else
  build=${QUARTZ_BUILD_DIR:-build}
fi
sock="$build/debug-serial.sock"

# ---- the serial console, in a second terminal: a tiny terminal for the Unix socket ----
# (Only python3 is needed; `socat - UNIX-CONNECT:$sock` does the same if you have it.)
if [ $console -eq 1 ]; then
  if [ ! -S "$sock" ]; then
    echo "debug.sh: no $sock: start tools/debug.sh$([ $debug_build -eq 1 ] && echo ' --debug-build') first" >&2
    exit 1
  fi
  exec python3 -c "$(cat <<'EOF'
import os, select, socket, sys, termios, tty
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
print(f"debug.sh: connected to the serial console {sys.argv[1]} (Ctrl-] quits). The kernel\n"
      "runs only while GDB lets it; earlier output is in serial.log; Enter gives a prompt.",
      flush=True)
fd = sys.stdin.fileno()
old = termios.tcgetattr(fd) if os.isatty(fd) else None
if old:
    tty.setraw(fd)
try:
    while True:
        r, _, _ = select.select([s, fd], [], [])
        if s in r:
            data = s.recv(4096)
            if not data:
                break
            os.write(sys.stdout.fileno(), data.replace(b"\n", b"\r\n") if old else data)
        if fd in r:
            data = os.read(fd, 1024)
            if not data or b"\x1d" in data:  # EOF or Ctrl-]
                break
            s.sendall(data.replace(b"\r", b"\n") if old else data)
finally:
    if old:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    print("\ndebug.sh: console closed")
EOF
)" "$sock"
fi

# ---- build ----
if [ $build_it -eq 1 ]; then
  source tools/deps.sh
  quartz_install_deps
  if [ $debug_build -eq 1 ]; then
    cmake -S . -B "$build" -DQUARTZ_DEBUG=ON >/dev/null
  elif [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" >/dev/null
  fi
  # Only the kernel, the modules and the ISO: the host tests are not needed here.
  cmake --build "$build" --target quartz_target -j"$(nproc)"
fi
if [ ! -f "$build/quartz.elf" ]; then
  echo "debug.sh: no $build/quartz.elf (build first, or drop --no-build)" >&2; exit 1
fi
if [ $iso -eq 1 ] && [ ! -f "$build/quartz.iso" ]; then
  echo "debug.sh: no $build/quartz.iso" >&2; exit 1
fi

# ---- a free TCP port for QEMU's GDB stub ----
if [ -z "$port" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

# ---- QEMU, paused at the reset vector (-S), in the background ----
rm -f "$sock"
# The command line is defined once, in tools/quartz_qemu.py (the tests use the same).
opts=(--build "$build" --chardev "socket,id=ser0,path=$sock,server=on,wait=off,logfile=$build/serial.log"
      --serial chardev:ser0 --gdb-port "$port" --paused)
if [ $det -eq 1 ]; then opts+=(--icount); fi
if [ $iso -eq 1 ]; then
  opts+=(--iso)
  [ -z "$append" ] || echo "debug.sh: --append is ignored with --iso (GRUB's menu sets the command line)" >&2
elif [ -n "$append" ]; then
  opts+=(--append "$append")
fi
mapfile -t qemu < <(python3 tools/quartz_qemu.py command "${opts[@]}")
[ ${#qemu[@]} -gt 0 ] || { echo "debug.sh: tools/quartz_qemu.py gave no command" >&2; exit 1; }
echo "debug.sh: ${qemu[*]}" >"$build/qemu.log"
# In a session of its own: Ctrl-C in GDB (SIGINT to the terminal's foreground process
# group) must stop the kernel through the stub, not kill QEMU.
setsid "${qemu[@]}" >>"$build/qemu.log" 2>&1 </dev/null &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true; wait $qemu_pid 2>/dev/null || true; rm -f "$sock"' EXIT
# Should this script be killed outright (no EXIT trap), a watcher ends QEMU anyway.
setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
                kill "$2" 2>/dev/null' debug-watch $$ $qemu_pid </dev/null >/dev/null 2>&1 &

con="tools/debug.sh --console"
[ $debug_build -eq 1 ] && con="$con --debug-build"
cat <<EOF
debug.sh: QEMU is paused at the reset vector, GDB stub on 127.0.0.1:$port (pid $qemu_pid)
debug.sh: serial console: run '$con' in another terminal (log: $build/serial.log)
debug.sh: in GDB: 'continue' runs, Ctrl-C stops, 'quit' ends GDB and QEMU; Quartz's
          commands: tq, threads, btthread, waitq, modules, processes, uprogram ('help tq' etc.)
EOF

gdbcmd=(gdb -q -x tools/gdb/gdbinit -ex "target remote 127.0.0.1:$port")
if [ $break_entry -eq 1 ]; then
  # QEMU starts in the BIOS: break at the kernel's first instruction and run to it.
  gdbcmd+=(-ex "break *_start" -ex "continue")
fi
# The caller's GDB arguments last: GDB runs -x/-ex in order, so `-- -batch -ex CMD` runs CMD
# once connected (and stopped at _start with --break-entry).
gdbcmd+=("$@" "$build/quartz.elf")
set +e
QUARTZ_ROOT="$root" "${gdbcmd[@]}"
status=$?
exit $status
