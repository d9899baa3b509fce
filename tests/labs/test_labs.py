"""QEMU tests written for the coursework labs (docs/labs/), run by tests/qemu/run_test.py
like the others. Each checks one thing a lab asks for more precisely than the general
suite does; all use -icount where timing matters and wait for output, never a fixed time."""
import re

from quartz_qemu import Qemu, exit_status

UPTIME = r"up (\d+) ticks, (\d+)\.(\d\d) s at HZ=(\d+)\n"


def lab1_uptime_format(build):
    # `uptime` prints jiffies and jiffies/HZ with two decimals (truncated), at any HZ.
    with Qemu(build, icount=True) as q:
        q.prompt()
        for hz in (100, 250, 1000, 19):
            q.command(f"hz {hz}")
            q.command("sleep 130")
            out = q.command("uptime")
            m = re.fullmatch(UPTIME, out)
            assert m, f"uptime printed {out!r}, not 'up J ticks, S.CC s at HZ=H'"
            j, s, cc, h = (int(g) for g in m.groups())
            assert h == hz, f"HZ={h} in uptime after 'hz {hz}'"
            want = f"up {j} ticks, {j // h}.{(j % h) * 100 // h:02d} s at HZ={h}"
            assert out.strip() == want, f"{out.strip()!r} != {want!r}"
            assert j > 0, "jiffies is still 0"


def lab1_jiffies_selftest(build):
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit jiffies_*"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=20)
        assert int(m.group(1)) == 1 and int(m.group(2)) == 0, q.output[-1500:]
        assert q.wait_exit() == exit_status(0)


HEADERS = {
    # kind: the exact first line of the dump (Intel SDM Vol. 3A Table 6-1: which vectors
    # push an error code).
    "de": "*** EXCEPTION 0: #DE divide error",
    "ud": "*** EXCEPTION 6: #UD invalid opcode",
    "bp": "*** EXCEPTION 3: #BP breakpoint",
    "gp": "*** EXCEPTION 13: #GP general protection, error code 0x38",
    "pf": "*** EXCEPTION 14: #PF page fault, error code 0x0",
}


def lab2_exception_headers(build):
    with Qemu(build) as q:
        q.prompt()
        for kind, header in HEADERS.items():
            q.send(f"crash {kind}\n")
            m = q.expect(r"\*\*\* EXCEPTION [^\n]*\n")
            line = m.group(0).rstrip("\n")
            assert line == header, f"crash {kind}: {line!r} != {header!r}"
            q.prompt()
