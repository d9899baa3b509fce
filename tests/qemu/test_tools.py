"""The README's commands: tools/run.sh reaches the prompt, runs what is typed, and turns
`poweroff CODE` into its own exit status."""
import os
import select
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _read_until(proc, out, needle, timeout):
    deadline = time.monotonic() + timeout
    while needle not in out:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {needle!r} within {timeout}s; seen:\n{out[-3000:]}")
        if select.select([proc.stdout], [], [], 0.5)[0]:
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                raise AssertionError(f"run.sh ended before {needle!r}; seen:\n{out[-3000:]}")
            out += data.decode("latin-1").replace("\r", "")
    return out


def run_sh_reaches_prompt(build):
    env = dict(os.environ, QUARTZ_BUILD_DIR=build)
    proc = subprocess.Popen([os.path.join(ROOT, "tools", "run.sh")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        # Type only once the prompt is there, as a person would: QEMU's serial
        # multiplexer (mon:stdio) does not keep what arrives while the BIOS runs.
        out = _read_until(proc, "", "quartz> ", 150)
        proc.stdin.write(b"echo via-run-sh\npoweroff 4\n")
        proc.stdin.flush()
        out = _read_until(proc, out, "\nvia-run-sh\n", 30)
        assert proc.wait(timeout=30) == 4, out[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def harness_stops_waiting_when_the_kernel_panics(build):
    # tools/quartz_qemu.py boots with panic=exit and gives up on an expect() as soon as the
    # kernel panics, naming the panic: a broken kernel fails its test in seconds, not after
    # the test's timeout.
    from quartz_qemu import Qemu, QemuError
    with Qemu(build) as q:
        q.prompt()
        assert "panic=exit" in " ".join(q.cmd), q.cmd
        q.send("tqcrash sleep\n")
        start = time.monotonic()
        try:
            q.expect(r"this never comes", timeout=120)
        except QemuError as e:
            msg = str(e)
        else:
            raise AssertionError("expect() returned after a panic")
        took = time.monotonic() - start
        assert "the kernel panicked ('kernel panic: " in msg, msg
        assert took < 30, f"expect() waited {took:.1f} s after the panic"
        assert q.wait_exit() != 0
