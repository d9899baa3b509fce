"""Task-queue safety under QEMU with hostile test modules (tests/modules/tq_*.c): queues
that are freed or on a stack, `tq` with many queues and tasks, private queues drained
from a thread (sleeping and cancelling elsewhere meanwhile), a fault inside such a drain,
corrupt tasks at the head of a batch, and a module's own queue at rmmod. Timing-sensitive
sequences run as boot scripts under -icount; every test ends at a live shell."""
import re

from quartz_qemu import Qemu, exit_status, shipped_modules, test_modules


def _boot(build, *mods, script=None, hz=None):
    append = 'panic=exit' + (f' hz={hz}' if hz else "") + (f' run="{script}"' if script else "")
    return Qemu(build, initrd=shipped_modules(build) + test_modules(build, *mods),
                icount=True, append=append)


def _end(q):
    """The machine is alive after it all, and powers off cleanly."""
    assert q.command("echo alive") == "alive\n"
    assert "kernel panic" not in q.output, q.output
    q.send("poweroff 0\n")
    assert q.wait_exit() == exit_status(0), q.output


def _tq_line(out, name):
    m = re.search(rf"^{name}: (\d+) queued, (\d+) drains, (\d+) tasks run[^\n]*$", out, re.M)
    return m and (int(m.group(1)), int(m.group(2)), int(m.group(3)), "(draining)" in m.group(0))


def tq_freed_and_stack_queues_leave_the_registry(build):
    # A kfree'd queue (drained, or with a task still on it) and a queue on a thread's
    # stack must be gone from the registry: `tq` and every `sleep` walk it.
    script = ("insmod tq_heap_queue; cat /proc/tq_heap_idle; sleep 20; tq; "
              "cat /proc/tq_stack_queue; sleep 20; tq; cat /proc/tq_heap_busy; sleep 20; tq")
    with _boot(build, "tq_heap_queue", script=script) as q:
        q.expect(r"freed a drained queue; routine ran 1 times")
        q.expect(r"stack queue drained and emptied; routine ran 2 times")
        q.expect(r"tq: BUG: kfree: free of an active queue tqh_busy \(1 pending tasks\): "
                 r"its tasks were taken off\n")
        q.expect(r"freed a busy queue; task still pending: no\n")
        q.prompt()
        q.command("tq")
        # No `tq` of the script, nor this one, lists any of the three queues.
        assert not re.search(r"^tqh_\w+: \d+ queued", q.output, re.M), q.output
        assert "EXCEPTION" not in q.output, q.output
        q.command("sleep 20")
        # The task taken off the freed queue is sound: the module can use it again.
        assert "routine ran 3 times" in q.command("cat /proc/tq_heap_idle")
        _end(q)


def tq_listing_cuts_many_queues_and_tasks(build):
    # 40 tasks on one queue and 20 more queues: `tq` and /proc/tq used to overrun their
    # arrays of 32 tasks and 16 queues (stack garbage, or a page fault).
    with _boot(build, "tq_many", script="insmod tq_many") as q:
        q.expect(r"tq_many: loaded")
        q.prompt()
        for cmd in ("tq", "cat /proc/tq"):
            out = q.command(cmd)
            lines = out.splitlines()
            assert lines[0].startswith("tq_timer: "), out   # oldest first
            assert _tq_line(out, "tqm_queue")[0] == 40, out
            tasks = re.findall(r"^  0x[0-9a-f]{8} tqm_routine\+0x0 \[tq_many\] data=", out, re.M)
            assert len(tasks) == 32, out
            assert "\n  ... and 8 more\n" in out, out
            more = int(re.search(r"^\.\.\. and (\d+) more queues$", out, re.M).group(1))
            assert len([l for l in lines if re.match(r"\w+: \d+ queued", l)]) == 16, out
            assert more >= 20 + 2 - 16, out
        assert "tq_many: 40 routines ran" in q.command("cat /proc/tq_many")
        assert _tq_line(q.command("tq"), "tqm_queue")[:3] == (0, 1, 40)
        assert "EXCEPTION" not in q.output, q.output
        _end(q)


def tq_private_drain_leaves_other_threads_free(build):
    # A thread drains a private queue whose routine spins for 30 ticks (the thread is
    # preempted: slice 1). Meanwhile the shell sleeps (it used to panic: "called from
    # task-queue routine tqp_slow"), then cancels the running task from its own thread:
    # it waits for the routine (it used to panic with a false "deadlock").
    script = ("slice 1; insmod tq_private_drain; bg cat /proc/tq_private_drain; sleep 5; "
              "cat /proc/tq_private_state; sleep 5; cat /proc/tq_private_cancel; tq")
    with _boot(build, "tq_private_drain", script=script, hz=1000) as q:
        q.expect(r"tq_private_state: tqp_slow running 1\n")  # the shell sleeps next
        q.expect(r"quartz> sleep 5\n")
        # The drain finishes (printed by the background thread) before the cancel returns.
        q.expect(r"tq_private_drain: drained, tqp_slow ran 1 times\n")
        q.expect(r"tq_private_cancel: tqp_slow running 1; cancel returned 0, "
                 r"tqp_slow finished 1\n")
        q.prompt()
        out = q.command("tq")
        assert _tq_line(out, "tqp_queue") == (0, 1, 1, False), out
        q.command("sleep 10")
        _end(q)


def tq_fault_in_a_thread_drain_requeues_the_rest(build):
    # A routine faults in a drain run by a reading thread: the read stops, the drain is
    # abandoned (the rest of the batch goes back to the front of the queue) and nothing
    # stays "draining": the next sleep does not panic. The module whose routine faulted
    # is marked failed, so its requeued tasks are then taken away with it; the order in
    # which requeued innocent tasks run is checked by the host tests.
    script = ("insmod tq_fault_drain; cat /proc/tq_fault_drain; sleep 20; tq; lsmod; "
              "cat /proc/tq_fault_log; rmmod tq_fault_drain")
    with _boot(build, "tq_fault_drain", script=script) as q:
        q.expect(r"EIP=d[0-9a-f]{7} <tqf_bad\+0x[0-9a-f]+ \[tq_fault_drain\]>")
        q.expect(r"tq: drain of tqf_queue abandoned after a fault in tqf_bad\+0x0 "
                 r"\[tq_fault_drain\]; 2 tasks requeued\n")
        q.expect(r"/proc/tq_fault_drain: the show function faulted; module tq_fault_drain is "
                 r"marked failed\n")
        q.expect(r"quartz> sleep 20\n")
        q.expect(r"quartz> tq\n")
        q.expect(r"quartz> lsmod\n")
        tq = q.output[q.output.rindex("quartz> tq\n"):q.output.rindex("quartz> lsmod\n")]
        assert re.search(r"^tqf_queue: 0 queued", tq, re.M) or "tqf_queue" not in tq, tq
        assert "(draining)" not in tq, tq
        q.expect(r"(?m)^tq_fault_drain +\d+ +0 +- +failed$")
        q.expect(r"/proc/tq_fault_log: no such file|cat: /proc/tq_fault_log: no such file")
        q.expect(r"tq_fault_drain: freed \(it had failed; its cleanup_module was not run\)")
        q.prompt()
        q.command("sleep 10")
        _end(q)


def tq_corrupt_task_is_dropped_alone(build):
    # A pending task re-initialised with INIT_TQUEUE, or left on a stack frame that is
    # gone, at the head of a batch: reported (named when its routine is code) and dropped
    # alone; the innocent tasks behind it run. Also on tq_timer, behind the sched module.
    script = ("insmod tq_corrupt; cat /proc/tq_corrupt_reinit; cat /proc/tq_corrupt_stack; "
              "insmod sched; cat /proc/tq_corrupt_timer; sleep 50; cat /proc/sched")
    with _boot(build, "tq_corrupt", script=script) as q:
        q.expect(r"tq: BUG: run_task_queue: task 0xd[0-9a-f]{7} \(routine tqc_victim\+0x0 "
                 r"\[tq_corrupt\]\) was re-initialised or overwritten while pending "
                 r"\(debug state 0\); dropped from the drain of tqc_queue\n")
        q.expect(r"tq_corrupt ran: good1 good2 \n")
        q.expect(r"tq: BUG: run_task_queue: task 0xe[0-9a-f]{7} \(routine [^\n]*\) [^\n]*; "
                 r"dropped from the drain of tqc_queue\n")
        q.expect(r"tq_corrupt ran: good1 good2 \n")
        q.expect(r"tq: BUG: run_task_queue: task 0xe[0-9a-f]{7} [^\n]*; "
                 r"dropped from the drain of tq_timer\n")
        q.expect(r"tq_corrupt_timer: tqc_good_timer ran 1 times\n")
        count = int(q.expect(r"Timer called (\d+) times so far").group(1))
        assert count >= 3, q.output
        q.prompt()
        out = q.command("tq")
        assert _tq_line(out, "tqc_queue")[0] == 0 and _tq_line(out, "tq_timer")[0] == 1, out
        # The innocent module unloads (its routine ran behind the dropped task).
        q.command("rmmod sched")
        assert not re.search(r"^sched ", q.command("lsmod"), re.M), q.output
        _end(q)


def tq_module_with_its_own_queue_unloads(build):
    # A module's own DECLARE_TASK_QUEUE, after a plain queue-and-drain, is no leftover:
    # rmmod unloads it, and the queue leaves the registry with it (no `tq` or `sleep`
    # walks the unmapped module afterwards).
    with _boot(build, "tq_own_queue", script="insmod tq_own_queue; tq") as q:
        q.expect(r"tq_own_queue: drained its own queue, routine ran 1 times")
        q.expect(r"\ntqo_queue: 0 queued, 1 drains, 1 tasks run")
        q.prompt()
        out = q.command("rmmod tq_own_queue")
        assert "queued task" not in out, out
        assert not re.search(r"^tq_own_queue ", q.command("lsmod"), re.M), q.output
        out = q.command("tq")
        assert "tqo_queue" not in out, out
        q.command("sleep 20")
        assert "EXCEPTION" not in q.output, q.output
        # And it loads again.
        assert "routine ran 1 times" in q.command("insmod tq_own_queue")
        _end(q)
