"""Workqueues and Linux 2.4's keventd under QEMU (docs/workqueues.md): the contracts
checked from a module in the kernel, worker threads in ps, work that sleeps and locks,
the guide's module in its workqueue editions, the kernel's check before freeing a module
with work or a workqueue left behind, and the misuses that must panic naming the
function. Every test waits for output; timing-sensitive ones run under -icount."""
import re

from quartz_qemu import PANIC_STATUS, Qemu, exit_status, shipped_modules, test_modules, trace_tool


def _boot(build, *mods, script=None, icount=True):
    append = 'panic=exit' + (f' run="{script}"' if script else "")
    return Qemu(build, initrd=shipped_modules(build) + test_modules(build, *mods), icount=icount,
                append=append)


def _end(q):
    """The machine is alive after it all, and powers off cleanly."""
    assert q.command("echo alive") == "alive\n"
    assert "kernel panic" not in q.output, q.output
    assert "EXCEPTION" not in q.output, q.output
    q.send("poweroff 0\n")
    assert q.wait_exit() == exit_status(0), q.output


def _count(out):
    m = re.search(r"^Timer called (\d+) times so far\ninterval: (\d+) ticks\n", out, re.M)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def wq_contracts_hold_in_the_kernel(build):
    with _boot(build, "wq_contracts") as q:
        q.prompt()
        assert "wq_contracts: loaded" in q.command("insmod wq_contracts")
        out = q.command("cat /proc/wq_contracts", timeout=120)
        assert "FAIL" not in out, out
        assert "wq_contracts: all passed (0 failed)" in out, out
        assert len(re.findall(r"^ok \w+$", out, re.M)) >= 22, out
        # The misuses, each reported in one line naming the item or its function.
        assert re.search(r"wq: BUG: queue_work: work item 0x[0-9a-f]{8} is not initialised "
                         r"\(INIT_WORK or DECLARE_WORK first\); refused\n", q.output), q.output
        assert re.search(r"wq: BUG: kfree: free of an active work item 0x[0-9a-f]{8} \(function "
                         r"freed_fn\+0x0 \[wq_contracts\], pending on wqc_1\): taken off its "
                         r"queue\n", q.output), q.output
        assert re.search(r"wq: BUG: destroy_workqueue\(wqc_forever\): still busy after 100 "
                         r"flushes \(work forever_fn\+0x0 \[wq_contracts\] requeues itself\): "
                         r"1 item cancelled\n", q.output), q.output
        # The queues it made are gone; system_wq ran its share.
        wq = q.command("wq")
        assert not re.search(r"^wqc_", wq, re.M), wq
        assert re.search(r"^events +kworker/0:0 +0 +0 +\d+ +\d+  -$", wq, re.M), wq
        assert "wq_contracts: unloaded" in q.command("rmmod wq_contracts")
        _end(q)


def workers_are_threads_named_in_ps(build):
    with _boot(build, "wq_forgetful") as q:
        q.prompt()
        ps = q.command("ps")
        assert re.search(r"^ +\d+ kworker/0:0 +sleeping +events ", ps, re.M), ps
        assert re.search(r"^ +\d+ keventd +sleeping +context_task_wq ", ps, re.M), ps
        q.command("insmod wq_forgetful")
        q.command("sleep 20")
        # 2.6's create_workqueue names its worker NAME/0; it sleeps inside its work.
        ps = q.command("ps")
        assert re.search(r"^ +\d+ forgetful/0 +sleeping +forgetful_wait ", ps, re.M), ps
        wq = q.command("cat /proc/workqueues")
        assert re.search(r"^forgetful +forgetful/0 +0 +0 +1 +0  forgetful_fn\+0x0 "
                         r"\[wq_forgetful\]$", wq, re.M), wq
        _end(q)


def work_sleeps_and_takes_a_mutex(build):
    # The work sleeps 50 ms holding a mutex: process context. 20 ms in, ps shows the
    # worker asleep (msleep's wait queue is "sleep"); then it finishes and says so.
    script = "insmod wq_sleep; cat /proc/wq_sleep; sleep 20; ps; sleep 100; cat /proc/wq_sleep"
    with _boot(build, script=script) as q:
        q.expect(r"wq_sleep: queued; 0 runs so far\n")
        q.expect(r"\n +\d+ kworker/0:0 +sleeping +sleep ")
        q.expect(r"wq_sleep: run 1: slept 50 ms holding wq_sleep_lock, in the worker thread\n")
        q.expect(r"wq_sleep: queued; 1 runs so far\n")
        q.prompt()
        assert "wq_sleep: unloaded" in q.command("rmmod wq_sleep")
        _end(q)


def forgotten_workqueue_keeps_the_module(build):
    # cleanup_module forgets its workqueue and its sleeping item: both are named, the
    # module is not freed, and the kernel goes on.
    with _boot(build, "wq_forgetful") as q:
        q.prompt()
        q.command("insmod wq_forgetful")
        q.command("sleep 20")
        out = q.command("rmmod wq_forgetful")
        assert "  wq_forgetful: its workqueue forgetful was not destroyed (0 items pending)\n" \
            in out, out
        assert re.search(r"  wq_forgetful: running work item 0x[0-9a-f]{8} on forgetful "
                         r"\(function forgetful_fn\+0x0 \[wq_forgetful\]\)\n", out), out
        assert re.search(r"rmmod: wq_forgetful: not freed: \d+ references into its memory "
                         r"remain; it stays 'going'", out), out
        assert "wq_forgetful: thread forgetful/0 sleeps on wait queue forgetful_wait in the " \
            "module" in out, out
        assert "going" in q.command("lsmod"), q.output
        # Checked again, and refused again: nothing was freed under the worker.
        assert "its workqueue forgetful was not destroyed" in q.command("rmmod wq_forgetful")
        q.command("sleep 20")
        assert re.search(r"^ +\d+ forgetful/0 +sleeping +forgetful_wait ", q.command("ps"), re.M)
        _end(q)


def work_waiting_for_itself_panics_naming_it(build):
    cases = {
        "cancel": r"kernel panic: cancel_work_sync called from the work's own function "
                  r"deadlock_fn\+0x0 \[wq_deadlock\] \(work 0x[0-9a-f]{8} on wq_deadlock\): "
                  r"deadlock",
        "flush": r"kernel panic: flush_workqueue\(wq_deadlock\) called from work function "
                 r"deadlock_fn\+0x0 \[wq_deadlock\] running on that queue: deadlock",
        "flushwork": r"kernel panic: flush_work of work 0x[0-9a-f]{8} \(function "
                     r"deadlock_fn\+0x0 \[wq_deadlock\]\) from wq_deadlock's own worker, "
                     r"which must run it: deadlock",
        # Waiting is for threads: from a tq_timer routine it panics before it waits.
        "irq": r"kernel panic: cancel_work_sync called from task-queue routine "
               r"deadlock_tick\+0x0 \[wq_deadlock\][^\n]*: routines run in interrupt context "
               r"and must not sleep",
    }
    for mode, pattern in cases.items():
        with _boot(build, "wq_deadlock", icount=False) as q:
            q.prompt()
            q.send(f"insmod wq_deadlock mode={mode}\n")
            q.expect(pattern)
            assert q.wait_exit() == PANIC_STATUS, q.output


def failed_init_work_is_cancelled_and_its_queue_torn_down(build):
    with _boot(build, "wq_bad_init") as q:
        q.prompt()
        out = q.command("insmod wq_bad_init")
        assert "init_module failed with -22" in out, out
        assert out.count("wq_bad_init: cancelling a work item its init_module left pending") >= 2, out
        assert "wq_bad_init: destroying workqueue wq_bad_init its init_module left" in out, out
        assert "wq_bad_init" not in q.command("lsmod"), q.output
        q.command("sleep 50")
        assert "late_fn ran" not in q.output, q.output
        wq = q.command("wq")
        assert "wq_bad_init" not in wq, wq
        _end(q)


def _edition_script(mod):
    """One module's story as boot-script commands: the commands follow one another
    without waiting for the host, so under -icount the ticks between them are exact."""
    return (f"insmod {mod}; sleep 100; cat /proc/{mod}; ps; rmmod {mod}; cat /proc/{mod}; "
            f"insmod {mod} interval=5; sleep 100; cat /proc/{mod}; rmmod {mod}; wq")


def _check_edition(q, mod, worker):
    """Counts at every tick (10 ticks of sleep), its worker runs under its name, rmmod
    takes at most a tick, /proc is gone; reloaded with interval=5 it counts 1 in 5."""
    q.expect(rf"{mod}: loaded at ")
    n = int(q.expect(r"Timer called (\d+) times so far\ninterval: 1 ticks\n").group(1))
    assert 9 <= n <= 11, (mod, n, q.output)
    q.expect(r"\n +\d+ " + worker + r" +\w+ ")
    q.expect(rf"{mod}: unloaded \(cleanup_module took [01] ticks?\)")
    q.expect(rf"cat: /proc/{mod}: no such file")
    q.expect(rf"{mod}: loaded at ")
    n5 = int(q.expect(r"Timer called (\d+) times so far\ninterval: 5 ticks\n").group(1))
    assert 1 <= n5 <= 3, (mod, n5, q.output)
    q.expect(rf"{mod}: unloaded \(cleanup_module took \d+ ticks?\)")
    wq = q.expect(r"WORKQUEUE[^\n]*\n((?:[^\n]*\n)*?)quartz> ").group(1)
    assert not re.search(r"^sched_(wq26|work) ", wq, re.M), wq


def keventd_runs_the_guides_module(build):
    # Linux 2.4's keventd: the tick hands the work to keventd (schedule_task); rmmod
    # stops the tick, then flush_scheduled_tasks.
    with _boot(build, script=_edition_script("sched_task")) as q:
        _check_edition(q, "sched_task", "keventd")
        _end(q)


def guides_module_in_its_workqueue_editions(build):
    # 2.6 (own workqueue, self-requeuing delayed work, die + cancel + flush + destroy),
    # today's (a timer queues work on an alloc_workqueue queue) and the modern one
    # (cancel_delayed_work_sync): each counts like /proc/sched, is seen in ps, unloads
    # at once, and reloads with interval=5.
    workers = {"sched_wq26": r"sched_wq26/0", "sched_work": r"kworker/u:\d+",
               "sched_dwork": r"kworker/0:0"}
    script = "; ".join(_edition_script(m) for m in workers)
    with _boot(build, script=script) as q:
        for mod, worker in workers.items():
            _check_edition(q, mod, worker)
        _end(q)


def dwork_cancel_without_flush_is_caught(build):
    # cleanup_module calls cancel_delayed_work while the work runs (and then requeues
    # itself): the check before freeing names the item and keeps the module.
    with _boot(build, "dwork_cancel_noflush") as q:
        q.prompt()
        q.command("insmod dwork_cancel_noflush")
        q.command("sleep 50")
        out = q.command("rmmod dwork_cancel_noflush")
        assert "cancel_delayed_work found nothing pending: the work was running" in out, out
        assert re.search(r"  dwork_cancel_noflush: running work item 0x[0-9a-f]{8} on events "
                         r"\(function noflush_fn\+0x0 \[dwork_cancel_noflush\]\)\n", out), out
        assert re.search(r"rmmod: dwork_cancel_noflush: not freed: \d+ references? into its "
                         r"memory remains?; it stays 'going'", out), out
        # The run it missed has requeued the item since: still caught, still named.
        q.command("sleep 50")
        out = q.command("rmmod dwork_cancel_noflush")
        assert re.search(r"  dwork_cancel_noflush: (running|pending|delayed \(timer armed\)) work item "
                         r"0x[0-9a-f]{8} on events \(function noflush_fn\+0x0 "
                         r"\[dwork_cancel_noflush\]\)\n", out), out
        assert "not freed" in out, out
        _end(q)


def work_items_in_a_cpp_module(build):
    # Namespace-scope DECLARE_WORK / DECLARE_DELAYED_WORK in C++ are constant data (the
    # module builds: no .init_array), and container_of finds a C++ object from its item.
    with _boot(build, "wq_cpp") as q:
        q.prompt()
        assert "wq_cpp: three work items ran (111)" in q.command("insmod wq_cpp"), q.output
        assert "wq_cpp: unloaded" in q.command("rmmod wq_cpp"), q.output
        _end(q)


def fault_in_a_work_function_ends_that_item_only(build):
    # A work function writes through NULL: the item ends, its module is marked failed,
    # and the same worker goes on running other work; rmmod then frees the module.
    with _boot(build, "wq_fault") as q:
        q.prompt()
        mark = len(q.output)
        q.send("insmod wq_fault\n")  # the worker's lines may come before or after the prompt
        q.expect(r"module wq_fault faulted: marked failed", since=mark)
        q.expect(r"wq: work function faulting_fn\+0x0 \[wq_fault\] faulted on events; the "
                 r"worker goes on\n", since=mark)
        assert re.search(r"^wq_fault +\d+ +\d+ +- +failed", q.command("lsmod"), re.M), q.output
        q.command("insmod wq_sleep")
        mark = len(q.output)
        q.command("cat /proc/wq_sleep")
        q.expect(r"wq_sleep: run 1: slept 50 ms", since=mark)
        assert "wq_fault: freed (it had failed" in q.command("rmmod wq_fault"), q.output
        assert re.search(r"^ +\d+ kworker/0:0 +sleeping +events ", q.command("ps"), re.M)
        assert q.command("echo alive") == "alive\n"
        assert "kernel panic" not in q.output, q.output
        q.send("poweroff 0\n")
        assert q.wait_exit() == exit_status(0), q.output


def trace_shows_work_items_on_their_worker(build):
    # The trace records each work item as a slice on its worker thread's row (kworker/0:0
    # for system_wq), after the timer that queued it ran in the tick's bottom half.
    tracetool = trace_tool()
    with _boot(build) as q:
        q.prompt()
        for cmd in ("trace clear", "trace start", "insmod workwork", "sleep 50",
                    "rmmod workwork", "trace stop"):
            q.command(cmd)
        _, doc = tracetool.extract(q.command("trace dump", timeout=60))
        _end(q)
    events = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e.get("ph") == "M"}
    work = [e for e in events if e.get("cat") == "work" and e["ph"] == "B"]
    ends = [e for e in events if e.get("cat") == "work" and e["ph"] == "E"]
    assert len(work) >= 3 and len(ends) == len(work), (work, ends)
    assert all(e["name"] == "workwork_fn+0x0 [workwork]" for e in work), work
    assert {names[e["tid"]] for e in work} == {"kworker/0:0"}, work
    timer = next(e["ts"] for e in events if e.get("cat") == "timer" and e["ph"] == "B"
                 and e["name"] == "delayed_work_timer_fn")
    assert timer < work[0]["ts"], (timer, work[0])
    # The svg draws them, with the legend entry.
    svg = tracetool.render_svg(doc)
    assert "work item" in svg and "workwork_fn" in svg
