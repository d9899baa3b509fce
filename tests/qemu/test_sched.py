"""Threads, the scheduler and wait queues under QEMU: the in-kernel self-tests, ps and
/proc/threads, the lost-wakeup demonstration, and sleeping where it is forbidden."""
import re

from quartz_qemu import PANIC_STATUS, Qemu, exit_status

PS_HEADER = r"  ID NAME +STATE +WAITING ON +TICKS SWITCHES\n"


def sched_selftests(build):
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit sched_*"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0 and int(m.group(1)) >= 7, q.output
        assert q.wait_exit() == exit_status(0)


def ps_shows_sleepers_and_their_queues(build):
    with Qemu(build, append="watchdog=0") as q:
        q.prompt()
        out = q.command("ps")
        assert re.search(PS_HEADER, out), out
        assert re.search(r"\n +0 idle +\w+ +- ", out), out
        # The kernel's daemons (events' worker, keventd) sleep on their queues from boot.
        assert re.search(r"\n +\d+ kworker/0:0 +sleeping +events ", out), out
        assert re.search(r"\n +\d+ keventd +sleeping +context_task_wq ", out), out
        assert re.search(r"\n +\d+ shell +running +- ", out), out
        m = re.search(r"bg: thread (\d+) \(sleep\) started", q.command("bg sleep 100000"))
        assert m
        mark = len(q.output)
        m2 = re.search(r"bg: thread (\d+) \(lostwakeup\) started",
                       q.command("bg lostwakeup sleep_on"))
        assert m2 and int(m2.group(1)) == int(m.group(1)) + 1
        q.expect(r"nobody will ever wake us", since=mark)  # the thread prints when it runs
        # The threads print before they reach their queues: ask until both sleep there
        # (each `cat` is a round trip through the shell, so this waits on output).
        want = [rf"\n +{m.group(1)} sleep +sleeping +sleep ",
                rf"\n +{m2.group(1)} lostwakeup +sleeping +lost_wakeup_wq "]
        for _ in range(100):
            out = q.command("cat /proc/threads")
            if all(re.search(w, out) for w in want):
                break
        for w in want:
            assert re.search(w, out), out


def lost_wakeup_demo(build):
    with Qemu(build, append="watchdog=300") as q:
        q.prompt()
        out = q.command("lostwakeup sleep_on", timeout=60)
        assert "called wake_up (nobody was on the queue)" in out, out
        assert re.search(r"watchdog: thread shell has slept \d+ ticks in sleep_on\(lost_wakeup_wq\)", out), out
        assert "released by the watchdog (the wakeup was lost)" in out, out
        out = q.command("lostwakeup wait_event")
        assert "the condition was already true (nothing lost)" in out, out
        assert "watchdog" not in out


def sleep_in_interrupt_handler_panics(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("sleepcrash irq\n")
        q.expect(r"kernel panic: msleep called from interrupt context by [^\n]*sleeping_irq_handler"
                 r"[^\n]*\+0x[0-9a-f]+: interrupt handlers must not sleep")
        assert q.wait_exit() == PANIC_STATUS


def slice_and_watchdog_options(build):
    with Qemu(build, append="slice=3 watchdog=abc") as q:
        q.expect(r"cmdline: watchdog=abc is not milliseconds in 0\.\.600000")
        q.prompt()
        assert q.command("slice") == "time slice: 3 ticks\n"
        assert q.command("slice 7") == "time slice: 7 ticks\n"
        assert q.command("slice 0").startswith("usage: slice")
    with Qemu(build, append="slice=5000") as q:
        q.expect(r"cmdline: slice=5000 is not a number of ticks in 1\.\.1000; using 10")


def threads_are_reaped(build):
    # 300 short-lived threads: their stacks come back, the heap returns to its baseline.
    with Qemu(build) as q:
        q.prompt()
        q.command("sleep 20")
        before = re.search(r"heap: (\d+) bytes in use in (\d+) allocations", q.command("mem"))
        for _ in range(30):
            for _ in range(10):
                q.command("bg echo hi")
            q.command("sleep 20")
        after = re.search(r"heap: (\d+) bytes in use in (\d+) allocations", q.command("mem"))
        assert before.groups() == after.groups(), (before.groups(), after.groups())
        out = q.command("ps")
        # idle, the kernel's two daemons (kworker/0:0, keventd) and the shell only
        names = re.findall(r"\n +\d+ (\S+) ", out)
        assert sorted(names) == ["idle", "keventd", "kworker/0:0", "shell"], out
