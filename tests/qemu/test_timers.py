"""Kernel timers, tasklets and tq_immediate under QEMU (docs/timers.md): the self-tests,
the guide's module in its timer and tasklet editions, the broken unload protocols caught
and named, both forms of timer firing at their jiffy, and the misuses that panic."""
import re

from quartz_qemu import PANIC_STATUS, Qemu, exit_status, shipped_modules, test_modules, trace_tool

COUNT = r"Timer called (\d+) times so far"


def _boot(build, *names, **kw):
    return Qemu(build, initrd=shipped_modules(build) + test_modules(build, *names), **kw)


def timer_selftests(build):
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit timer_*"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0 and int(m.group(1)) >= 7, q.output
        # kfree of an armed timer: reported, named, disarmed (debug-objects).
        assert re.search(r"timer: BUG: kfree: free of an active timer 0x[0-9a-f]{8} \(function "
                         r"[^\n]*probe_fn[^\n]*\): it was disarmed", q.output), q.output
        assert q.wait_exit() == exit_status(0)


def sched_timer_loads_counts_unloads(build):
    # The timed part runs as a boot script (see test_modules.sched_story for why).
    script = ("insmod sched_timer; cat /proc/sched_timer; sleep 500; cat /proc/sched_timer; "
              "timers; rmmod sched_timer; cat /proc/sched_timer; timers; "
              "insmod sched_timer interval=5; sleep 500; cat /proc/sched_timer; "
              "rmmod sched_timer; lsmod")
    with _boot(build, icount=True, append=f'run="{script}"') as q:
        q.expect(r"sched_timer: loaded at 0xd[0-9a-f]{7}")
        first = int(q.expect(COUNT).group(1))
        q.expect(r"interval: 1 ticks\n")
        second = int(q.expect(COUNT).group(1))
        # HZ=100: about 50 runs in 500 ms, like /proc/sched.
        assert 45 <= second - first <= 55, (first, second)
        out = q.expect(r"timers: 1 armed[^\n]*\n  0x[0-9a-f]{8} expires \d+ \(\+1\) "
                       r"sched_timer_fn\+0x0 \[sched_timer\] data=0\n")
        m = q.expect(r"sched_timer: unloaded \(cleanup_module took (\d+) ticks?\)")
        assert int(m.group(1)) == 0, q.output  # del_timer_sync: nothing to wait for
        q.expect(r"cat: /proc/sched_timer: no such file\n")
        q.expect(r"timers: 0 armed")
        q.expect(r"sched_timer: loaded")
        third = int(q.expect(COUNT).group(1))
        q.expect(r"interval: 5 ticks\n")
        assert 8 <= third <= 11, third  # every 5th tick
        q.expect(r"sched_timer: unloaded")
        q.prompt()
        assert "sched_timer" not in q.command("lsmod")
        assert "EXCEPTION" not in q.output and "BUG" not in q.output, q.output


def timer_del_running_is_caught(build):
    with _boot(build, "timer_del_running", icount=True) as q:
        q.prompt()
        q.command("insmod timer_del_running")
        q.command("sleep 30")
        out = q.command("rmmod timer_del_running")
        assert "timer_del_running: del_timer returned 0 while the function ran" in out, out
        assert re.search(r"  timer_del_running: armed timer 0x[0-9a-f]{8} \(function "
                         r"tdr_fn\+0x0 \[timer_del_running\], expires \d+, jiffies \d+\)", out), out
        assert re.search(r"rmmod: timer_del_running: not freed: 1 reference into its memory "
                         r"remains; it stays 'going'", out), out
        assert re.search(r"^timer_del_running +\d+ +0 +- +going$", q.command("lsmod"), re.M)
        # The kernel keeps running, the timer with it (in memory that was not freed).
        q.command("sleep 50")
        assert "tdr_fn+0x0 [timer_del_running]" in q.command("timers")
        assert "not freed" in q.command("rmmod timer_del_running")
        assert q.command("echo alive") == "alive\n"
        assert "EXCEPTION" not in q.output


def timer_forms_fire_at_their_jiffies(build):
    script = "insmod timer_forms_24; insmod timer_forms_new; insmod timer_forms_24_cpp; " \
             "sleep 200; rmmod timer_forms_24; rmmod timer_forms_24_cpp; rmmod timer_forms_new"
    with _boot(build, "timer_forms_24", "timer_forms_new", "timer_forms_24_cpp", icount=True,
               append=f'run="{script}"') as q:
        q.expect(r"timer_forms_new: unloaded")
        q.prompt()
        out = q.output
        assert re.search(r"timer_forms_24: armed for \d+, pending 1\n", out), out
        for pattern in (r"timer_forms_24: fired at (\d+) for (\d+) with data 0x2424\n",
                        r"timer_forms_new: fired at (\d+) for (\d+), owner magic 0x5eed\n",
                        r"timer_forms_new: static fired at (\d+) for (\d+)\n",
                        r"timer_forms_24_cpp: fired at (\d+) for (\d+) with data 0xc24\n"):
            m = re.search(pattern, out)
            assert m and m.group(1) == m.group(2), (pattern, out)
        assert "timer_forms_24: unloaded" in out, out


def timer_sleep_in_function_panics_naming_it(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("timercrash sleep\n")
        q.expect(r"kernel panic: msleep called from timer function [^\n]*sleepy_timer_fn"
                 r"[^\n]*: timer functions run in interrupt context and must not sleep")
        assert q.wait_exit() == PANIC_STATUS


def timer_del_sync_from_own_function_panics(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("timercrash del-sync-self\n")
        q.expect(r"kernel panic: del_timer_sync called from its own timer function "
                 r"[^\n]*self_syncing_timer_fn[^\n]*deadlock")
        assert q.wait_exit() == PANIC_STATUS


def timer_del_sync_from_interrupt_context_panics(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("timercrash del-sync-irq\n")
        q.expect(r"kernel panic: del_timer_sync of timer 0x[0-9a-f]{8} \(function "
                 r"[^\n]*sleepy_timer_fn[^\n]*\) called from interrupt context")
        assert q.wait_exit() == PANIC_STATUS


def tasklet_selftests(build):
    # Run once, old and new forms, disable/enable, kill, hi first, the bottom-half
    # order, bh_disable, kfree of a scheduled one.
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit tasklet_*"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0 and int(m.group(1)) >= 9, q.output
        assert q.wait_exit() == exit_status(0)


def tq_immediate_runs_at_the_next_irq_exit(build):
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit tq_immediate*"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0 and int(m.group(1)) >= 1, q.output
        assert "mark_bh: no bottom half 42 in Quartz" in q.output
        assert q.wait_exit() == exit_status(0)


def sched_tasklet_loads_counts_unloads(build):
    script = ("insmod sched_tasklet; cat /proc/sched_tasklet; sleep 500; cat /proc/sched_tasklet; "
              "rmmod sched_tasklet; cat /proc/sched_tasklet; tasklets; timers; "
              "insmod sched_tasklet interval=5; sleep 500; cat /proc/sched_tasklet; "
              "rmmod sched_tasklet")
    with _boot(build, icount=True, append=f'run="{script}"') as q:
        q.expect(r"sched_tasklet: loaded at 0xd[0-9a-f]{7}")
        first = int(q.expect(COUNT).group(1))
        q.expect(r"interval: 1 ticks\n")
        second = int(q.expect(COUNT).group(1))
        assert 45 <= second - first <= 55, (first, second)
        q.expect(r"sched_tasklet: unloaded \(cleanup_module took \d+ ticks?\)")
        q.expect(r"cat: /proc/sched_tasklet: no such file\n")
        q.expect(r"tasklets: 0 scheduled")
        q.expect(r"timers: 0 armed")
        q.expect(r"sched_tasklet: loaded")
        third = int(q.expect(COUNT).group(1))
        q.expect(r"interval: 5 ticks\n")
        assert 8 <= third <= 11, third
        q.expect(r"sched_tasklet: unloaded")
        q.prompt()
        assert "EXCEPTION" not in q.output and "BUG" not in q.output, q.output


def tasklet_after_kill_is_caught(build):
    with _boot(build, "tasklet_after_kill", icount=True) as q:
        q.prompt()
        q.command("insmod tasklet_after_kill")
        q.command("sleep 30")
        out = q.command("rmmod tasklet_after_kill")
        assert re.search(r"tasklet: info: tasklet_schedule: tasklet 0x[0-9a-f]{8} \(function "
                         r"tak_fn\+0x0 \[tasklet_after_kill\]\) scheduled again after "
                         r"tasklet_kill", out), out
        assert re.search(r"  tasklet_after_kill: tasklet 0x[0-9a-f]{8} \(function tak_fn\+0x0 "
                         r"\[tasklet_after_kill\]\) was scheduled again after tasklet_kill", out), out
        assert re.search(r"rmmod: tasklet_after_kill: not freed: \d+ references? into its memory "
                         r"remains?; it stays 'going'", out), out
        # The kernel keeps running; its timer was stopped, nothing runs in the module.
        q.command("sleep 50")
        assert "tasklets: 0 scheduled" in q.command("tasklets")
        assert "timers: 0 armed" in q.command("timers")
        assert q.command("echo alive") == "alive\n"
        assert "EXCEPTION" not in q.output


def tasklet_sleep_panics_naming_it(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("timercrash tasklet-sleep\n")
        q.expect(r"kernel panic: msleep called from tasklet function [^\n]*sleepy_tasklet_fn"
                 r"[^\n]*: tasklets run in interrupt context and must not sleep")
        assert q.wait_exit() == PANIC_STATUS


def tasklet_kill_from_its_own_function_panics(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("timercrash tasklet-kill-self\n")
        q.expect(r"kernel panic: tasklet_kill of tasklet 0x[0-9a-f]{8} \(function "
                 r"[^\n]*self_killing_tasklet_fn[^\n]*\) called from interrupt context")
        assert q.wait_exit() == PANIC_STATUS


def failed_init_leaves_no_timer_or_tasklet(build):
    with _boot(build, "timer_bad_init", icount=True) as q:
        q.prompt()
        out = q.command("insmod timer_bad_init")
        assert "insmod: timer_bad_init: init_module failed with -22" in out, out
        assert "timer_bad_init: took off 1 tasklet its init_module left scheduled" in out, out
        assert "timer_bad_init: disarmed 1 timer its init_module left armed" in out, out
        assert "timer_bad_init" not in q.command("lsmod")
        q.command("sleep 100")  # nothing runs from the freed module
        assert "from a freed module" not in q.output
        assert "timers: 0 armed" in q.command("timers")
        assert "tasklets: 0 scheduled" in q.command("tasklets")
        assert "EXCEPTION" not in q.output


def trace_shows_timer_and_tasklet_runs(build):
    # The traced bottom half records each timer function and tasklet as a slice inside
    # the timer interrupt, the timer's before the tasklet it scheduled.
    tracetool = trace_tool()
    with _boot(build, icount=True) as q:
        q.prompt()
        q.command("trace clear")
        q.command("trace start")
        q.command("insmod sched_tasklet")
        q.command("sleep 50")
        q.command("rmmod sched_tasklet")
        q.command("trace stop")
        out = q.command("trace dump", timeout=60)
        _, doc = tracetool.extract(out)
    events = [e for e in doc["traceEvents"] if e.get("ph") in ("B", "E")]
    timers = [e for e in events if e.get("cat") == "timer" and e["ph"] == "B"]
    tasklets = [e for e in events if e.get("cat") == "tasklet" and e["ph"] == "B"]
    assert any(e["name"] == "sched_tasklet_timer+0x0 [sched_tasklet]" for e in timers), timers
    assert any(e["name"] == "sched_tasklet_fn+0x0 [sched_tasklet]" for e in tasklets), tasklets
    assert len(timers) >= 3 and len(tasklets) >= 3, (len(timers), len(tasklets))
    first_timer = next(i for i, e in enumerate(events) if e.get("cat") == "timer")
    first_tasklet = next(i for i, e in enumerate(events) if e.get("cat") == "tasklet")
    assert first_timer < first_tasklet
