"""`every` (the kernel's crontab) and the guide's two ways of periodic module work,
measured side by side by `cronbench`."""
import glob
import os
import re

from quartz_qemu import Qemu


def _mods(build):
    return sorted(glob.glob(os.path.join(build, "modules", "*.ko")))


def every_runs_and_stops(build):
    with Qemu(build, icount=True, initrd=_mods(build)) as q:
        q.prompt()
        q.command("insmod cronwork")
        assert "every: job 1 runs 'cat /proc/cronwork' every 100 ms" in \
            q.command("every 100 cat /proc/cronwork")
        q.expect(r"cronwork: 3 runs\n")  # the job's output, ten ticks apart
        out = q.command("every")
        assert re.search(r"job 1: every 10 ticks: cat /proc/cronwork \(\d+ runs\)", out), out
        assert re.search(r"every: job 1 stopped after \d+ runs", q.command("every stop 1"))
        assert q.command("every") == ""
        assert q.command("every stop 1") == "every: no such job\n"
        assert q.command("every 0 echo").startswith("usage: every")
        assert "cronwork: unloaded" in q.command("rmmod cronwork")


def cronbench_compares_the_two_ways(build):
    with Qemu(build, icount=True, initrd=_mods(build)) as q:
        q.prompt()
        out = q.command("cronbench 50", timeout=120)
        cron = re.search(r"^cronbench: every_activations=(\d+) every_instructions=(\d+) ", out, re.M)
        tq = re.search(r"^cronbench: tq_activations=(\d+) tq_instructions=(\d+) ", out, re.M)
        assert cron and tq, out
        assert int(cron.group(1)) >= 45 and int(tq.group(1)) >= 45, out  # about one per tick
        assert int(cron.group(2)) > int(tq.group(2)) > 0, out  # the crontab way costs more
        assert "cronwork" not in q.command("lsmod")
