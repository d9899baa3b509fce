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
    # A boot script: under -icount sleep=off an idle guest's clock runs ahead while the host
    # is slow to send the next command, so the ticks counted must not include the host's.
    script = ("insmod sleepy_reader; bg cat /proc/sleepy_reader; sleep 10; strace on; uptime; "
              "exec /sbin/rmmod sleepy_reader; uptime; strace off; lsmod")
    with Qemu(build, icount=True, initrd=test_modules(build, "sleepy_reader") + [initramfs(build)],
              append=f'run="{script}"') as q:
        before = int(q.expect(r"up (\d+) ticks").group(1))
        out = q.expect(r"(?s).*?up (\d+) ticks", timeout=60)
        after = int(out.group(1))
        m = re.search(r"delete_module\(0x[0-9a-f]+, 0x800, 0x[0-9a-f]+\) = (-?\d+)", out.group(0))
        assert m, "no delete_module call with O_NONBLOCK in the strace output:\n" + out.group(0)
        assert int(m.group(1)) == -11, f"delete_module returned {m.group(1)}, not -11 (EWOULDBLOCK)"
        assert after - before < 100, f"the refusal took {after - before} ticks: it must not wait"
        q.expect(r"quartz> lsmod\n")
        lsmod = q.expect(r"(?s)(.*?)quartz> ").group(1)
        assert re.search(r"(?m)^sleepy_reader +\d+ +1 +- +live$", lsmod), \
            "the module must stay live:\n" + lsmod


# Lab 7: the guide's module ported to a kernel timer (modules/sched_timer.c) and to a
# delayed work item (modules/sched_dwork.c). Boot scripts: the commands follow one another
# without waiting for the host, so under -icount the ticks between them are exact.
COUNT = r"Timer called (\d+) times so far\ninterval: (\d+) ticks\n"


def _lab7_boot(build, script):
    return Qemu(build, icount=True, initrd=shipped_modules(build), append=f'run="{script}"')


def _lab7_alive(q):
    q.prompt()
    assert q.command("echo alive") == "alive\n"
    for bad in ("EXCEPTION", "kernel panic", "not freed", "BUG"):
        assert bad not in q.output, f"{bad!r} in the output:\n{q.output[-3000:]}"


def lab7_timer_unload_cycles(build):
    # Ten load/count/unload cycles, each unloaded at a different moment of the tick: each
    # counts, each rmmod frees the module at once, and no timer is left armed.
    script = "; ".join(f"insmod sched_timer; sleep {20 + k}; cat /proc/sched_timer; "
                       "rmmod sched_timer" for k in range(10)) + "; timers; sleep 50"
    with _lab7_boot(build, script) as q:
        for k in range(10):
            q.expect(r"sched_timer: loaded at ")
            n = int(q.expect(COUNT).group(1))
            assert n >= 1, f"cycle {k}: the timer never ran ({n} runs after {20 + k} ms)"
            m = q.expect(r"sched_timer: (unloaded \(cleanup_module took \d+ ticks?\)|[^\n]*)\n")
            assert m.group(1).startswith("unloaded"), f"cycle {k}: rmmod said {m.group(0)!r}"
        q.expect(r"timers: 0 armed")
        _lab7_alive(q)


def lab7_dwork_counts_and_unloads(build):
    # Counts once per tick (10 ticks of sleep), rmmod takes at most a tick and leaves no
    # item on system_wq, /proc is gone; reloaded with interval=5 it counts 1 in 5.
    script = ("insmod sched_dwork; sleep 100; cat /proc/sched_dwork; rmmod sched_dwork; "
              "cat /proc/sched_dwork; wq; insmod sched_dwork interval=5; sleep 100; "
              "cat /proc/sched_dwork; rmmod sched_dwork; wq")
    with _lab7_boot(build, script) as q:
        q.expect(r"sched_dwork: loaded at ")
        n = int(q.expect(COUNT).group(1))
        assert 9 <= n <= 11, f"{n} runs in 10 ticks with interval=1 (expected 9 to 11)"
        m = q.expect(r"sched_dwork: (unloaded \(cleanup_module took (\d+) ticks?\)|[^\n]*)\n")
        assert m.group(2) is not None, f"rmmod said {m.group(0)!r}"
        assert int(m.group(2)) <= 1, f"cleanup_module took {m.group(2)} ticks"
        q.expect(r"cat: /proc/sched_dwork: no such file")
        wq = q.expect(r"WORKQUEUE[^\n]*\n((?:[^\n]*\n)*?)(?=quartz> )").group(1)
        assert "sched_dwork" not in wq, f"an item of the freed module is still queued:\n{wq}"
        n5 = int(q.expect(COUNT).group(1))
        assert 1 <= n5 <= 3, f"{n5} runs in 10 ticks with interval=5 (expected 1 to 3)"
        q.expect(r"sched_dwork: unloaded \(cleanup_module took \d+ ticks?\)")
        _lab7_alive(q)


def lab7_dwork_unload_while_the_work_sleeps(build):
    # work_ms=30: each run sleeps 30 ms before it counts and requeues itself, so most
    # moments find the work running. rmmod at six such moments must wait for the run in
    # progress and stop the item from queueing itself again: every unload frees the
    # module, and nothing of it runs afterwards.
    offsets = (15, 25, 45, 55, 85, 95)
    script = "; ".join(f"insmod sched_dwork work_ms=30; sleep {t}; rmmod sched_dwork"
                       for t in offsets) + "; wq; sleep 100"
    with _lab7_boot(build, script) as q:
        waited = 0
        for t in offsets:
            q.expect(r"sched_dwork: loaded at ")
            m = q.expect(r"sched_dwork: (unloaded \(cleanup_module took (\d+) ticks?\)|"
                         r"[^\n]*not freed[^\n]*)\n")
            assert m.group(2) is not None, (
                f"rmmod {t} ms after insmod, while the work slept: {m.group(0).strip()!r}\n"
                + q.output[-2500:])
            waited += int(m.group(2)) >= 1
        # The test means something only if rmmod did find runs in progress.
        assert waited >= 2, f"cleanup_module waited for a running item in {waited} of 6 cycles"
        wq = q.expect(r"WORKQUEUE[^\n]*\n((?:[^\n]*\n)*?)quartz> ").group(1)
        assert "sched_dwork" not in wq, wq
        _lab7_alive(q)
