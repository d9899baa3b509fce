"""QEMU tests written for the coursework labs (docs/labs/), run by tests/qemu/run_test.py
like the others. Each checks one thing a lab asks for more precisely than the general
suite does; all use -icount where timing matters and wait for output, never a fixed time."""
import re

from quartz_qemu import Qemu, exit_status, initramfs, shipped_modules, test_modules

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


def lab5_lost_wakeup_window(build):
    # cleanup_race=1 puts a tick (and its tq_timer drain) between every test cleanup_module
    # makes and the sleep it then starts. wait_event(WaitQ, routine_done) queues first and
    # tests second, so it sees the flag the routine set in that tick: rmmod takes that one
    # tick. A cleanup_module that tests the flag and then sleeps (module_sleep_on, or a loop
    # testing before prepare_to_wait) misses the routine's only wake_up, every time.
    # sched_legacy (the guide's sleep_on) shows the window is real: the watchdog (200 ms
    # here) has to release it.
    script = "insmod sched; sleep 30; rmmod sched; insmod sched_legacy; sleep 30; rmmod sched_legacy"
    with Qemu(build, icount=True, initrd=shipped_modules(build),
              append=f'cleanup_race=1 watchdog=200 run="{script}"') as q:
        q.expect(r"cleanup_race: sched: tick \d+ ran before cleanup_module's \w+\(WaitQ\) "
                 r"queued it\n")
        m = q.expect(r"(?m)^(sched: unloaded \(cleanup_module took (\d+) ticks?\)|rmmod: sched: .*)$",
                     timeout=20)
        assert m.group(2) and int(m.group(2)) <= 2, (
            f"with a tick between cleanup_module's test and its sleep: {m.group(1)!r} (want "
            f"'unloaded' within 2 ticks)\n" + q.output[-1500:])
        assert "watchdog:" not in q.output[:m.end()], (
            "the watchdog had to release sched's cleanup_module: its wakeup was lost\n"
            + q.output[-1500:])
        q.expect(r"watchdog: thread \S+ has slept \d+ ticks in sleep_on\(WaitQ\)", timeout=20)
        q.expect(r"sched_legacy: unloaded")
        q.prompt()


def lab5_leftovers_are_named(build):
    # Modules whose cleanup_module forgets something the kernel's registries still hold:
    # /proc/proc_left (proc_find), and a kernel worker asleep on sleeper_left's wait queue
    # (threads_waiting_in_range). Each is named and the module is not freed.
    with Qemu(build, icount=True, initrd=test_modules(build, "proc_left", "sleeper_left")) as q:
        q.prompt()
        q.command("insmod proc_left")
        out = q.command("rmmod proc_left")
        assert "  proc_left: /proc/proc_left is still registered\n" in out, out
        assert re.search(r"rmmod: proc_left: not freed: \d+ references? into its memory "
                         r"remains?; it stays 'going'", out), out
        q.send("insmod sleeper_left\n")
        q.expect(r"sleeper_left: the worker sleeps on left_wait\n")
        q.prompt()
        q.command("sleep 20")
        out = q.command("rmmod sleeper_left")
        assert re.search(r"  sleeper_left: thread \S+ sleeps on wait queue left_wait in the "
                         r"module\n", out), out
        assert re.search(r"rmmod: sleeper_left: not freed: \d+ references? into its memory "
                         r"remains?; it stays 'going'", out), out
        lsmod = q.command("lsmod")
        for name in ("proc_left", "sleeper_left"):
            assert re.search(rf"^{name} .* going$", lsmod, re.M), lsmod


def lab6_waitpid_from_a_program(build):
    # /test/waittest checks waitpid as Linux defines it (the same binary passes on Linux);
    # afterwards no zombie of its children is left in the process table.
    with Qemu(build, initrd=[initramfs(build)]) as q:
        q.prompt()
        out = q.command("exec /test/waittest", timeout=60)
        fails = [line for line in out.splitlines() if "FAIL" in line]
        assert not fails, "\n".join(fails)
        assert "waittest: 13 passed, 0 failed" in out, out
        ps = q.command("ps")
        assert not re.search(r"(?m)^ +\d+ +\d+ Z ", ps), "zombies left after waittest:\n" + ps


def lab6_delete_module_nonblock_is_refused_at_once(build):
    # A kernel thread is inside sleepy_reader's /proc file (8 s). delete_module with
    # O_NONBLOCK (0x800, what /sbin/rmmod passes) returns -EWOULDBLOCK (-11) at once, well
    # before the 5 s the waiting variant would give the reader; the module stays live.
    with Qemu(build, icount=True,
              initrd=test_modules(build, "sleepy_reader") + [initramfs(build)]) as q:
        q.prompt()
        q.command("insmod sleepy_reader")
        q.command("bg cat /proc/sleepy_reader")
        q.command("sleep 10")
        q.command("strace on")
        before = int(re.search(r"up (\d+) ticks", q.command("uptime")).group(1))
        out = q.command("exec /sbin/rmmod sleepy_reader", timeout=60)
        after = int(re.search(r"up (\d+) ticks", q.command("uptime")).group(1))
        q.command("strace off")
        m = re.search(r"delete_module\(0x[0-9a-f]+, 0x800, 0x[0-9a-f]+\) = (-?\d+)", out)
        assert m, "no delete_module call with O_NONBLOCK in the strace output:\n" + out
        assert int(m.group(1)) == -11, f"delete_module returned {m.group(1)}, not -11 (EWOULDBLOCK)"
        assert after - before < 100, f"the refusal took {after - before} ticks: it must not wait"
        assert re.search(r"(?m)^sleepy_reader +\d+ +1 +- +live$", q.command("lsmod")), \
            "the module must stay live"
