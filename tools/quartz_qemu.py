"""The one definition of how Quartz runs under QEMU (qemu_command), and the driver the
tests, benchmarks and tracing use: boots the kernel or the ISO, talks to the shell over
the serial port, and waits for output (never a fixed sleep). tools/run.sh and
tools/debug.sh get their command line from it too:
    tools/quartz_qemu.py command --build build [--iso] [--icount] [--append A] ...
prints the arguments one per line.

Only the Python 3 standard library is used, so it runs on a bare Debian 12."""
import argparse
import glob
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

PROMPT = "quartz> "
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
PANIC_STATUS = (0x50 << 1) | 1  # kernel/panic.h kPanicExitCode through isa-debug-exit
# Scales every wait's timeout (default 1). The lab checks grade skeleton trees, whose
# failing tests would otherwise each wait the full timeout for output that never comes.
TIMEOUT_SCALE = float(os.environ.get("QUARTZ_TIMEOUT_SCALE", "1") or "1")


class QemuError(AssertionError):
    pass


def trace_tool():
    """tools/trace.py as a module (extract(), render_svg()), loaded by path: `trace` is also a
    standard-library name."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "quartz_trace", os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def shipped_modules(build):
    """The modules of modules/ (build/modules/*.ko), for -initrd."""
    import glob
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    if not mods:
        raise QemuError("no modules built in build/modules")
    return mods


def initramfs(build):
    """build/initramfs.cpio (user/: the programs and the root file system), for -initrd:
    the kernel takes the boot module whose name ends in .cpio as its initramfs."""
    path = os.path.join(build, "initramfs.cpio")
    if not os.path.exists(path):
        raise QemuError(f"no {path}: the user programs were not built (is cpio installed?)")
    return path


def test_modules(build, *names):
    """Paths of test modules (tests/modules/NAME.c built to build/test-modules/NAME.ko)."""
    paths = [os.path.join(build, "test-modules", f"{n}.ko") for n in names]
    for p in paths:
        if not os.path.exists(p):
            raise QemuError(f"test module {p} was not built (tests/modules/{os.path.basename(p)[:-3]}.c?)")
    return paths


def exit_status(code):
    """The QEMU exit status for `poweroff CODE` through isa-debug-exit."""
    return (code << 1) | 1


def qemu_command(build, *, iso=False, append=None, memory=128, icount=False, icount_shift=0,
                 initrd=None, debug_exit=True, serial=("-serial", "stdio"), display=False,
                 monitor=("-monitor", "none"), gdb_port=None, paused=False):
    """The QEMU command line for this build: TCG always (KVM is absent or broken on the
    machines Quartz is developed on), no reboot on a triple fault, isa-debug-exit so that
    `poweroff CODE` ends QEMU with status (CODE << 1) | 1, and the kernel by -kernel with
    its boot modules by -initrd (or the GRUB ISO)."""
    cmd = ["qemu-system-i386", "-accel", "tcg", "-m", str(memory), "-no-reboot",
           "-parallel", "none", *serial, *monitor]
    if not display:
        cmd += ["-display", "none"]
    if debug_exit:
        cmd += DEBUG_EXIT
    if icount:
        # shift=N: each instruction takes 2^N ns of guest time. 0 makes rdtsc count
        # instructions; a larger shift packs ticks closer together in instructions, so a
        # race window of a few thousand instructions meets a tick every time.
        cmd += ["-icount", f"shift={icount_shift},sleep=off"]
    if gdb_port is not None:
        cmd += ["-gdb", f"tcp:127.0.0.1:{gdb_port}"]
    if paused:
        cmd += ["-S"]
    if iso:
        cmd += ["-cdrom", os.path.join(build, "quartz.iso")]
    else:
        cmd += ["-kernel", os.path.join(build, "quartz.elf")]
        if append is not None:
            cmd += ["-append", append]
        if initrd:
            cmd += ["-initrd", ",".join(initrd)]
    return cmd


class Qemu:
    """The kernel under QEMU, its serial console driven by a test. Unless the command line
    says otherwise (panic=halt), the kernel boots with panic=exit, so that a panic ends
    QEMU at once; expect() also gives up as soon as the kernel panics, instead of waiting
    out its timeout for output that can never come."""

    def __init__(self, build, *, iso=False, append=None, memory=128, icount=False,
                 initrd=None, debug_exit=True, monitor=False, extra=(), icount_shift=0):
        if not iso and not re.search(r"(^|\s)panic=", append or ""):
            append = f"{append} panic=exit" if append else "panic=exit"
        self.build = build
        self.output = ""
        self.pos = 0
        self.status = None
        self._tmp = tempfile.mkdtemp(prefix="quartz-qemu-")
        self.monitor_path = None
        monitor_args = ("-monitor", "none")
        if monitor:
            self.monitor_path = os.path.join(self._tmp, "monitor.sock")
            monitor_args = ("-monitor", f"unix:{self.monitor_path},server=on,wait=off")
        cmd = qemu_command(build, iso=iso, append=append, memory=memory, icount=icount,
                           icount_shift=icount_shift, initrd=initrd, debug_exit=debug_exit,
                           monitor=monitor_args)
        cmd += list(extra)
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        os.set_blocking(self.proc.stdout.fileno(), False)

    # ---- reading ----
    def _read_some(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return True
        data = self.proc.stdout.read(65536)
        if data is None:
            return True
        if not data:
            return False  # EOF: QEMU has exited
        self.output += data.decode("latin-1").replace("\r", "")
        return True

    def expect(self, pattern, timeout=30, since=None):
        """Waits until `pattern` (a regex) appears after the last match (or after offset
        `since`, for output of a background thread that may come before a prompt);
        returns the match."""
        rx = re.compile(pattern)
        timeout = timeout * TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        eof = False
        start = self.pos if since is None else since
        while True:
            m = rx.search(self.output, start)
            if m:
                self.pos = max(self.pos, m.end())
                return m
            panic = self.output.find("kernel panic: ", start)
            if panic >= 0:
                # The panic's report (message, backtrace) comes in one go: read the rest
                # briefly, then fail with it rather than wait for what cannot come.
                grace = time.monotonic() + 2
                while not eof and time.monotonic() < grace:
                    eof = not self._read_some(0.2)
                m = rx.search(self.output, start)  # what was awaited may be in the report
                if m:
                    self.pos = max(self.pos, m.end())
                    return m
                line = self.output[panic:].split("\n", 1)[0]
                self.pos = max(self.pos, panic)
                self._fail(f"the kernel panicked ({line.strip()!r}) while waiting for {pattern!r}")
            if eof:
                self.proc.wait()
                self._fail(f"QEMU exited (status {self.proc.returncode}) without printing "
                           f"{pattern!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(f"timed out after {timeout}s waiting for {pattern!r}")
            eof = not self._read_some(min(left, 0.5))

    def _fail(self, what):
        tail = self.output[max(self.pos - 200, 0):][-3000:]
        raise QemuError(f"{what}\n--- expected: {what}\n--- seen (tail of serial output):\n{tail}")

    def prompt(self, timeout=30):
        return self.expect(re.escape(PROMPT), timeout)

    # ---- writing ----
    def send(self, text):
        data = text.encode("latin-1") if isinstance(text, str) else text
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._fail("QEMU closed its serial input")

    def command(self, line, timeout=30):
        """Sends a shell command line and returns what it printed before the next prompt."""
        self.send(line + "\n")
        self.expect(re.escape(line) + r"\n", timeout)  # the shell's echo
        start = self.pos
        self.prompt(timeout)
        return self.output[start:self.pos - len(PROMPT)]

    # ---- monitor (keyboard input through the emulated PS/2 controller) ----
    def _monitor_read_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = self._mon.recv(4096)
            if not chunk:
                raise QemuError("QEMU monitor closed")
            buf += chunk
        return buf.decode("latin-1")

    def monitor(self, line):
        """Runs an HMP monitor command (e.g. "sendkey a") and returns its reply."""
        if not self.monitor_path:
            raise QemuError("started without monitor=True")
        if getattr(self, "_mon", None) is None:
            deadline = time.monotonic() + 10
            while True:
                try:
                    self._mon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self._mon.settimeout(10)
                    self._mon.connect(self.monitor_path)
                    break
                except OSError:
                    self._mon.close()
                    if time.monotonic() > deadline:
                        raise QemuError("QEMU monitor socket did not appear")
                    time.sleep(0.05)
            self._monitor_read_prompt()  # the banner
        self._mon.sendall((line + "\n").encode())
        return self._monitor_read_prompt()

    # ---- ending ----
    def wait_exit(self, timeout=30):
        """Waits for QEMU to exit (reading its output meanwhile) and returns its status."""
        timeout = timeout * TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        while self._read_some(0.2):
            if time.monotonic() > deadline:
                self._fail(f"QEMU still running after {timeout}s")
        self.status = self.proc.wait()
        return self.status

    def close(self):
        if getattr(self, "_mon", None) is not None:
            self._mon.close()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _main(argv):
    ap = argparse.ArgumentParser(description="Print the QEMU command line for a build, one "
                                 "argument per line (tools/run.sh and tools/debug.sh use it).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("command")
    c.add_argument("--build", default="build")
    c.add_argument("--iso", action="store_true")
    c.add_argument("--icount", action="store_true", help="-icount shift=0,sleep=off")
    c.add_argument("--append")
    c.add_argument("--memory", type=int, default=128)
    c.add_argument("--no-modules", action="store_true", help="no -initrd (no modules, no initramfs)")
    c.add_argument("--vga", action="store_true", help="show the VGA window")
    c.add_argument("--serial", default="stdio", help="-serial SPEC (default: stdio)")
    c.add_argument("--chardev", help="-chardev SPEC, before -serial (for --serial chardev:ID)")
    c.add_argument("--default-monitor", action="store_true",
                   help="leave QEMU's monitor as it is (-serial mon:stdio reaches it)")
    c.add_argument("--gdb-port", type=int)
    c.add_argument("--paused", action="store_true", help="-S: wait for GDB")
    args = ap.parse_args(argv)
    mods = [] if args.no_modules or args.iso else sorted(
        glob.glob(os.path.join(args.build, "modules", "*.ko")))
    if not args.no_modules and not args.iso and os.path.exists(os.path.join(args.build, "initramfs.cpio")):
        mods.append(os.path.join(args.build, "initramfs.cpio"))
    serial = (["-chardev", args.chardev] if args.chardev else []) + ["-serial", args.serial]
    monitor = () if args.default_monitor else ("-monitor", "none")
    for word in qemu_command(args.build, iso=args.iso, append=args.append, memory=args.memory,
                             icount=args.icount, initrd=mods, serial=tuple(serial),
                             monitor=monitor, display=args.vga, gdb_port=args.gdb_port,
                             paused=args.paused):
        print(word)
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main(sys.argv[1:]))
