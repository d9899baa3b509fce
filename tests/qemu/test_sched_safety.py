"""Scheduler safety under QEMU: long sleeps that must not end early, the mutex (mutual
exclusion, sleeping waiters, misuse reports), the scan for threads executing in an
address range, the "interrupts off" assertions, and `every`/`cronbench` failure paths."""
import os
import re
import shutil
import tempfile

from quartz_qemu import PANIC_STATUS, Qemu, shipped_modules, test_modules

PS_ROW = r"\n +{id} +{name} +{state} +{wait} "


def script_block(q, first, last="echo end-of-script"):
    """The output of a boot script from the line running `first` to the line running
    `last` (the script echoes each line after the prompt); `last` is left unread, so it
    can start the next block."""
    m = q.expect(r"(?s)quartz> " + re.escape(first) + r"\n(.*?)(?=quartz> " + re.escape(last) +
                 r"\n)", timeout=120)
    return m.group(1)


def long_sleeps_do_not_end_early(build):
    # At HZ=1000, 4294968 ms made ms * hz wrap 32 bits (a one-tick sleep) and 4294967 ms
    # a zero-tick one; 4294967295 ms is 2^32 - 1 ticks, past the 2^31 - 1 ticks one
    # deadline can reach (it read as already expired). 300 ms later all must still sleep.
    script = ("bg sleep 4294968; bg sleep 4294967; bg sleep 4294967295; sleep 300; ps; "
              "echo end-of-script")
    with Qemu(build, icount=True, append=f'hz=1000 run="{script}"') as q:
        out = script_block(q, "ps")
        rows = re.findall(PS_ROW.format(id=r"\d+", name="sleep", state="sleeping", wait="sleep"),
                          out)
        assert len(rows) == 3, out
        assert q.command("sleep 4294967296").startswith("usage: sleep MS")  # past msleep's range
        assert q.command("echo alive") == "alive\n"


def _mutex_boot(build, script, **kw):
    return Qemu(build, icount=True, initrd=test_modules(build, "mutex_hold"),
                append=f'{kw.pop("extra", "")} run="{script}"'.strip(), **kw)


def mutex_excludes_and_waiters_sleep(build):
    # Three bg readers and the shell read /proc/mutex_hold, whose show function holds the
    # mutex for 20 busy ticks; with 2-tick slices the holder is preempted inside it, so
    # without a real lock a second reader would get in. Waiters sleep on the mutex.
    script = ("insmod mutex_hold; slice 2; bg cat /proc/mutex_hold; bg cat /proc/mutex_hold; "
              "bg cat /proc/mutex_hold; sleep 10; ps; cat /proc/mutex_hold; sleep 200; "
              "cat /proc/mutex_hold_stats; echo end-of-script")
    with _mutex_boot(build, script) as q:
        ps = script_block(q, "ps", "cat /proc/mutex_hold")
        sleepers = re.findall(PS_ROW.format(id=r"\d+", name="cat", state="sleeping",
                                            wait="mutex_hold_lock"), ps)
        assert len(sleepers) == 2, ps  # the third reader holds it, the other two wait
        out = script_block(q, "cat /proc/mutex_hold_stats")
        assert "mutex_hold: 4 entries, at most 1 inside at once, 3 waited, locked=0\n" == out, out
        entries = re.findall(r"mutex_hold: entry \d saw (\d) inside", q.output)
        assert entries == ["1"] * 4, q.output
        assert q.command("rmmod mutex_hold").startswith("mutex_hold: unloaded")
        assert q.command("echo alive") == "alive\n"


def mutex_misuse_is_reported_and_changes_nothing(build):
    script = ("insmod mutex_hold; cat /proc/mutex_hold_unlock; bg cat /proc/mutex_hold; sleep 50; "
              "cat /proc/mutex_hold_unlock; cat /proc/mutex_hold_stats; cat /proc/mutex_hold; "
              "cat /proc/mutex_hold_irq; bg cat /proc/mutex_hold_leak; sleep 20; "
              "cat /proc/mutex_hold_stats; echo end-of-script")
    with _mutex_boot(build, script) as q:
        out = script_block(q, "cat /proc/mutex_hold_unlock", "bg cat /proc/mutex_hold")
        assert re.fullmatch(r"BUG: mutex_unlock\(mutex_hold_lock\) of an unlocked mutex by thread "
                            r"shell \(from unlock_show\+0x[0-9a-f]+ \[mutex_hold\]\); nothing "
                            r"changed\nmutex_hold: unlock returned\n", out), out
        # While a bg reader holds it, the shell's unlock is refused: the reader keeps it,
        # and the shell's own lock still has to wait for it.
        out = script_block(q, "cat /proc/mutex_hold_unlock", "cat /proc/mutex_hold_stats")
        assert re.fullmatch(r"BUG: mutex_unlock\(mutex_hold_lock\) by thread shell, which does not "
                            r"hold it \(thread cat does; from unlock_show\+0x[0-9a-f]+ "
                            r"\[mutex_hold\]\); nothing changed\nmutex_hold: unlock returned\n",
                            out), out
        out = script_block(q, "cat /proc/mutex_hold_stats", "cat /proc/mutex_hold")
        assert out == "mutex_hold: 1 entries, at most 1 inside at once, 0 waited, locked=1\n", out
        out = script_block(q, "cat /proc/mutex_hold", "cat /proc/mutex_hold_irq")
        assert "mutex_hold: entry 2 saw 1 inside (waited)\n" in out, out
        out = script_block(q, "cat /proc/mutex_hold_irq", "bg cat /proc/mutex_hold_leak")
        assert re.match(r"BUG: mutex_trylock\(mutex_hold_lock\) from interrupt context \(called "
                        r"from irq_routine\+0x[0-9a-f]+ \[mutex_hold\]\); refused\n", out), out
        assert "trylock from a task routine returned 0, locked=0" in out, out
        q.expect(r"BUG: thread cat exits holding 1 mutex\(es\); they stay locked\n")
        out = script_block(q, "cat /proc/mutex_hold_stats")
        assert out.endswith("locked=1\n"), out
        assert q.command("echo alive") == "alive\n"


def mutex_lock_twice_panics_naming_it(build):
    with _mutex_boot(build, "insmod mutex_hold; cat /proc/mutex_hold_twice",
                     extra="panic=exit") as q:
        q.expect(r"kernel panic: mutex_lock: deadlock: thread shell locks mutex mutex_hold_lock, "
                 r"which it already holds \(from twice_show\+0x[0-9a-f]+ \[mutex_hold\]\)")
        assert q.wait_exit() == PANIC_STATUS


def mutex_in_a_cpp_module(build):
    # The module's build already refused any .init_array; here its mutexes must work.
    with Qemu(build, icount=True, initrd=test_modules(build, "mutex_cpp")) as q:
        q.prompt()
        out = q.command("insmod mutex_cpp")
        assert "mutex_cpp: three mutexes work, named cpp_named\n" in out, out
        assert q.command("rmmod mutex_cpp").startswith("mutex_cpp: unloaded")
        assert q.command("echo alive") == "alive\n"


def interrupts_off_contracts_are_asserted(build):
    # Functions documented "interrupts off" check it: called with interrupts on they
    # panic naming themselves instead of corrupting the run queue or the PIC mask.
    cases = {"tick": r"BUG: tick_irqs_off called with interrupts on",
             "pic": r"BUG: Pic8259 set_masked/remap \(the PIC mask\) called with interrupts on"}
    for what, message in cases.items():
        with Qemu(build, append="panic=exit") as q:
            q.prompt()
            q.send(f"assertcrash {what}\n")
            q.expect(r"kernel panic: " + message)
            assert q.wait_exit() == PANIC_STATUS
            assert "assertcrash: no panic" not in q.output


def scan_and_selftests_under_load(build):
    # The scheduler self-tests (the range scan among them) with a thread sleeping in the
    # shell's `sleep` meanwhile: scanning its stack must not disturb it.
    with Qemu(build, icount=True, append='run="bg sleep 100000; selftest sched_*; ps; '
                                        'echo end-of-script"') as q:
        out = script_block(q, "selftest sched_*", "ps")
        m = re.search(r"(\d+) passed, (\d+) failed", out)
        assert m and int(m.group(2)) == 0 and int(m.group(1)) >= 9, out
        assert "sched_threads_executing_in_range: ok" in out, out
        ps = script_block(q, "ps")
        assert re.search(PS_ROW.format(id=r"\d+", name="sleep", state="sleeping", wait="sleep"),
                         ps), ps
        assert q.command("echo alive") == "alive\n"


def every_stop_does_not_wait_for_the_period(build):
    # A job sleeps its period on a wait queue that `every stop` wakes: stopping a job with
    # a 60 s period takes no time (it used to poll until the period had run out).
    script = "uptime; every 60000 echo tick; every stop 1; uptime; echo end-of-script"
    with Qemu(build, icount=True, append=f'run="{script}"') as q:
        t0 = int(q.expect(r"up (\d+) ticks").group(1))
        q.expect(r"every: job 1 stopped after 0 runs\n")
        t1 = int(q.expect(r"up (\d+) ticks").group(1))
        assert t1 - t0 <= 5, (t0, t1)
        q.expect("end-of-script\n")
        assert q.command("every") == ""
        assert "tick" not in q.output.split("end-of-script")[-1]
        assert q.command("echo alive") == "alive\n"


def every_job_cannot_stop_itself(build):
    with Qemu(build, icount=True) as q:
        q.prompt()
        q.command("every 10 every stop 1")
        q.expect(r"every: job 1 cannot stop itself; stop it from another thread\n")
        assert re.search(r"every: job 1 stopped after \d+ runs", q.command("every stop all"))
        assert q.command("every") == ""
        assert q.command("echo alive") == "alive\n"


def cronbench_reports_a_full_job_table(build):
    # Eight jobs fill the table: cronbench cannot start its own and must say so (it
    # dereferenced the null job), leaving cronwork unloaded and the eight jobs running.
    with Qemu(build, icount=True, initrd=shipped_modules(build)) as q:
        q.prompt()
        for _ in range(8):
            q.command("every 100000 echo never")
        out = q.command("cronbench 10", timeout=60)
        assert ("\ncronbench: cannot start the job that reads /proc/cronwork (8 jobs at most, "
                "or out of memory)\ncronwork: unloaded") in out, out
        assert "fault" not in out, out
        assert "cronwork" not in q.command("lsmod")
        assert len(q.command("every").splitlines()) == 8
        q.command("every stop all")
        assert q.command("echo alive") == "alive\n"


def cronbench_reports_a_missing_symbol(build):
    # A tqwork.ko without tqwork_work: module_symbol() fails and cronbench must say so
    # instead of reading the counter through address 0.
    tmp = tempfile.mkdtemp(prefix="quartz-nosym-")
    try:
        fake = os.path.join(tmp, "tqwork.ko")
        shutil.copy(test_modules(build, "sched_nosym")[0], fake)
        mods = [m for m in shipped_modules(build) if os.path.basename(m) != "tqwork.ko"] + [fake]
        with Qemu(build, icount=True, initrd=mods) as q:
            q.prompt()
            out = q.command("cronbench 10", timeout=60)
            assert "cronbench: module tqwork has no symbol tqwork_work; not measured\n" in out, out
            assert "fault" not in out and "panic" not in out, out
            assert "tqwork" not in q.command("lsmod")
            assert q.command("echo alive") == "alive\n"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
