"""Scheduler safety under QEMU: long sleeps that must not end early, the mutex (mutual
exclusion, sleeping waiters, misuse reports), the scan for threads executing in an
address range, the "interrupts off" assertions, and `every`/`cronbench` failure paths."""
import os
import re
import shutil
import tempfile

from quartz_qemu import PANIC_STATUS, Qemu, exit_status, shipped_modules, test_modules

PS_ROW = r"\n +{id} +{name} +{state} +{wait} "


def script_block(q, first, last="echo end-of-script"):
    """The output of a boot script from the line running `first` to the line running
    `last` (the script echoes each line after the prompt)."""
    m = q.expect(r"(?s)quartz> " + re.escape(first) + r"\n(.*?)quartz> " + re.escape(last) + r"\n",
                 timeout=120)
    return m.group(1)


def long_sleeps_do_not_end_early(build):
    # At HZ=1000, 4294968 ms made ms * hz wrap 32 bits (a one-tick sleep) and 4294967 ms
    # a zero-tick one; 4294967295 ms is 2^32 - 1 ticks, past the 2^31 - 1 ticks one
    # deadline can reach (it read as already expired). 300 ms later all must still sleep.
    script = ("bg sleep 4294968; bg sleep 4294967; bg sleep 4294967295; sleep 300; ps; "
              "echo end-of-script")
    with Qemu(build, icount=True, append=f'hz=1000 run="{script}"') as q:
        out = script_block(q, "ps")
        for tid in (2, 3, 4):
            assert re.search(PS_ROW.format(id=tid, name="sleep", state="sleeping", wait="sleep"),
                             out), out
        assert q.command("sleep 4294967296").startswith("usage: sleep MS")  # past msleep's range
        assert q.command("echo alive") == "alive\n"
