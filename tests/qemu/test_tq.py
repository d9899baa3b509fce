"""tq_timer under QEMU: the in-kernel self-tests of the task queue, what `tq` and
/proc/tq show, and the misuses that must panic naming the routine."""
import re

from quartz_qemu import PANIC_STATUS, Qemu, exit_status

STATS = (r"tq_timer: (\d+) queued, (\d+) drains, (\d+) tasks run, longest drain (\d+) tsc, "
         r"(\d+) delayed, (\d+) skipped ticks")


def tq_selftests(build):
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit tq_*"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0 and int(m.group(1)) >= 9, q.output
        assert q.wait_exit() == exit_status(0)


def tq_command_and_proc_show_queue(build):
    with Qemu(build) as q:
        q.prompt()
        m = re.search(STATS, q.command("tq"))
        assert m and m.group(1) == "0", q.output
        assert "counting_routine" in q.command("tqdemo start")
        q.command("sleep 100")
        out = q.command("tq")
        m = re.search(STATS, out)
        assert m, out
        assert m.group(1) == "1"            # the demo task, requeued at every tick
        assert int(m.group(2)) >= 10        # drains ran at each tick
        assert int(m.group(3)) >= 5         # and ran the task
        assert int(m.group(4)) > 0          # longest drain measured
        assert re.search(r"\n  0x[0-9a-f]{8} .*counting_routine.*\+0x0 data=0x[0-9a-f]{8}\n", out), out
        assert re.search(STATS, q.command("cat /proc/tq"))
        assert "/proc/tq" in q.command("ls /proc")
        runs = int(re.search(r"stopped after (\d+) runs", q.command("tqdemo stop")).group(1))
        assert runs >= 5
        m = re.search(STATS, q.command("tq"))
        assert m.group(1) == "0", q.output
        assert q.command("tqdemo stop") == "tqdemo: not running\n"
        assert q.command("cat /proc/nothing") == "cat: /proc/nothing: no such file\n"
        assert q.command("cat /etc/passwd").startswith("cat: /etc/passwd: no such file")


def tq_sleep_in_routine_panics_naming_it(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("tqcrash sleep\n")
        q.expect(r"kernel panic: msleep called from task-queue routine [^\n]*sleepy_routine"
                 r"[^\n]*: routines run in interrupt context and must not sleep")
        assert q.wait_exit() == PANIC_STATUS


def tq_cancel_from_own_routine_panics(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("tqcrash cancel-self\n")
        q.expect(r"kernel panic: cancel_task_sync called from its own routine "
                 r"[^\n]*self_cancelling_routine[^\n]*deadlock")
        assert q.wait_exit() == PANIC_STATUS


def tq_deterministic_under_icount(build):
    # With -icount the tick lands on the same instruction every run: the demo's count
    # after a fixed sleep is identical across boots.
    counts = []
    for _ in range(2):
        with Qemu(build, icount=True, append='run="tqdemo start; sleep 200; tqdemo stop; poweroff 0"') as q:
            counts.append(int(q.expect(r"stopped after (\d+) runs").group(1)))
            q.wait_exit()
    assert counts[0] == counts[1] and counts[0] >= 19, counts
