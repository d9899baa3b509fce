"""Unload safety against modules that misbehave (tests/modules/*.c): threads inside a
module at rmmod, listings racing rmmod, faults in init_module, cleanup_module and /proc
show functions, concurrent module operations, hooks left in another module's memory, and
C++ modules with constructors and destructors. Every test ends with a live shell."""
import os
import re

from quartz_qemu import PANIC_STATUS, Qemu, exit_status, shipped_modules

NO_FAULT = re.compile(r"EXCEPTION|kernel panic|unrecoverable")


def _all_modules(build):
    tdir = os.path.join(build, "test-modules")
    return shipped_modules(build) + [os.path.join(tdir, f) for f in sorted(os.listdir(tdir))
                                     if f.endswith(".ko")]


def _script(build, commands, timeout=120, append_extra="", expect_faults=False, shift=0):
    """Runs `commands` as a boot script (timing inside the guest, exact under -icount),
    then checks the shell is alive and powers off. Returns the serial output."""
    script = "; ".join(commands + ["echo still-alive", "poweroff 0"])
    with Qemu(build, icount=True, icount_shift=shift, initrd=_all_modules(build),
              append=f'panic=exit {append_extra} run="{script}"') as q:
        status = q.wait_exit(timeout)
        out = q.output
    assert "still-alive" in out, out[-3000:]
    assert status == exit_status(0), (status, out[-3000:])
    if not expect_faults:
        assert not NO_FAULT.search(out), out[-3000:]
    return out


def _after(out, command):
    """What the boot script printed after running `command` (up to the next prompt)."""
    m = re.search(r"quartz> " + re.escape(command) + r"\n(.*?)(?=quartz> )", out, re.S)
    assert m, f"{command!r} not run:\n{out[-3000:]}"
    return m.group(1)


def rmmod_waits_for_a_reader_inside_the_module(build):
    # A thread is inside slow_reader's show function (30 ticks) when rmmod runs: rmmod
    # must wait for it to leave before cleanup_module, and nothing may fault.
    out = _script(build, ["insmod slow_reader", "bg cat /proc/slow_reader", "sleep 50",
                          "rmmod slow_reader", "lsmod"])
    done = out.index("slow_reader: done after")
    cleanup = out.index("slow_reader: cleanup_module")
    assert done < cleanup, "cleanup_module ran while a reader was inside the module"
    assert "slow_reader: unloaded" in out
    assert "slow_reader" not in _after(out, "lsmod")


def rmmod_gives_up_on_a_reader_that_stays(build):
    # A reader that sleeps 8 s inside the module: rmmod waits 5 s, then refuses and the
    # module stays live and usable; once the reader is out, rmmod succeeds.
    out = _script(build, ["insmod sleepy_reader", "bg cat /proc/sleepy_reader", "sleep 10",
                          "rmmod sleepy_reader", "lsmod", "sleep 4000", "rmmod sleepy_reader"])
    refused = _after(out, "rmmod sleepy_reader")
    assert re.search(r"rmmod: sleepy_reader is in use: 1 reader of its /proc files did not "
                     r"finish within 5 s; it stays live", refused), refused
    assert re.search(r"^sleepy_reader +\d+ +1 +- +live$", _after(out, "lsmod"), re.M), out
    assert out.index("sleepy_reader: woke up") < out.index("sleepy_reader: unloaded")


def reader_of_an_unloading_module_is_turned_away(build):
    # While rmmod waits for the first reader, a second read must not enter the module.
    out = _script(build, ["insmod sleepy_reader", "bg cat /proc/sleepy_reader", "sleep 10",
                          "bg rmmod sleepy_reader", "sleep 10", "cat /proc/sleepy_reader",
                          "sleep 6000"])
    second = _after(out, "cat /proc/sleepy_reader")
    assert "/proc/sleepy_reader: not read: module sleepy_reader is going" in second, second
    assert "going to sleep" not in second


# The races below need a tick inside a window of a few thousand instructions. With
# -icount shift=9 a guest millisecond is about 2,000 instructions, so at hz=1000 and a
# one-tick slice the readers and the module operations interleave finely, and the same
# way on every run. Both reproduced the faults of the issue on the old loader every time.
RACE = dict(append_extra="hz=1000 slice=1", shift=9, timeout=170)


def cronwork_read_periodically_while_loaded_and_unloaded(build):
    # The reproduction: `every` jobs read /proc/cronwork while the module comes
    # and goes. A read either finds the file or not; none may run in freed memory
    # (before: "EIP in unloaded module cronwork: cronwork_show").
    out = _script(build, ["every 1 cat /proc/cronwork", "every 1 cat /proc/cronwork",
                          "every 1 cat /proc/cronwork", "modstress cronwork 100 300",
                          "every stop all"], **RACE)
    # (matched without its first word: other threads print in the middle of lines)
    assert re.search(r"100 cycles; heap", out), out[-2000:]
    assert "cronwork: " in out


def lsmod_races_rmmod(build):
    # Periodic listings while a module is loaded and unloaded: the listing used to walk a
    # freed module (CR2 = 0x6b6b6b27, the free poison plus the link's offset).
    out = _script(build, ["insmod provider", "every 1 lsmod", "every 1 cat /proc/modules",
                          "modstress hello 100 300", "every stop all"], **RACE)
    # (matched without its first word: other threads print in the middle of lines)
    assert re.search(r"100 cycles; heap", out), out[-2000:]
    assert re.search(r"^provider +\d+", out, re.M)


def fault_in_init_marks_module_failed(build):
    out = _script(build, ["insmod fault_init", "lsmod", "tq", "cat /proc/fault_init",
                          "insmod hello", "rmmod hello", "insmod sched", "rmmod sched",
                          "rmmod fault_init", "lsmod", "insmod fault_init", "rmmod fault_init"],
                  expect_faults=True)
    assert "EXCEPTION 14" in out
    first = _after(out, "insmod fault_init")
    assert "fault_init: about to fault" in first
    assert "init_module faulted; the module is marked failed" in first, first
    assert "cleanup_module must never run" not in out
    assert re.search(r"^fault_init +\d+ +0 +- +failed$", _after(out, "lsmod"), re.M), out
    tq = _after(out, "tq")
    assert re.search(r"^tq_timer: 0 queued", tq, re.M) and "fault_init" not in tq, \
        "its requeuing task is still on tq_timer: " + tq
    assert "no such file" in _after(out, "cat /proc/fault_init")
    # Everything else keeps working: no "operation in progress", no module stuck coming.
    assert "hello: unloaded" in out and "sched: unloaded" in out
    assert "another module operation" not in out
    assert "fault_init: freed (it had failed; its cleanup_module was not run)" in out
    # It can be loaded again (and fails again, cleanly).
    assert out.count("init_module faulted") == 2
    assert "kernel panic" not in out


def fault_in_cleanup_marks_module_failed(build):
    out = _script(build, ["insmod fault_cleanup", "rmmod fault_cleanup", "lsmod",
                          "rmmod fault_cleanup", "lsmod", "insmod hello", "rmmod hello"],
                  expect_faults=True)
    assert "rmmod: fault_cleanup: cleanup_module faulted; the module is marked failed" in out
    assert re.search(r"^fault_cleanup +\d+ +0 +- +failed$", out, re.M), out
    assert "fault_cleanup: freed" in out
    assert "hello: unloaded" in out
    assert "kernel panic" not in out


def fault_in_proc_show_marks_module_failed(build):
    out = _script(build, ["insmod fault_proc", "cat /proc/fault_proc", "cat /proc/fault_proc",
                          "lsmod", "rmmod fault_proc", "mem"], expect_faults=True)
    reads = re.findall(r"quartz> cat /proc/fault_proc\n(.*?)(?=quartz> )", out, re.S)
    assert "the show function faulted; module fault_proc is marked failed" in reads[0], reads[0]
    assert "no such file" in reads[1], reads[1]  # its file went with the failure
    assert re.search(r"^fault_proc +\d+ +0 +- +failed$", out, re.M), out
    # The reader's use count was given back: rmmod frees it at once.
    assert "fault_proc: freed (it had failed; its cleanup_module was not run)" in out
    assert "cleanup_module must never run" not in out


def concurrent_module_operations_from_threads(build):
    # Several threads load and unload modules at once; the module lock orders them.
    out = _script(build, ["mem", "bg modstress hello 40", "bg modstress sched 40",
                          "bg modstress provider 40", "modstress hello_cpp 40",
                          "sleep 3000", "lsmod", "mem", "mem check"], timeout=240)
    assert "heap: consistent" in _after(out, "mem check")
    assert len(re.findall(r"40 cycles; heap", out)) == 4, out[-3000:]
    assert "another module operation" not in out
    assert re.search(r"Module +Size +Used +Users +State\n(?=quartz> )", out), \
        _after(out, "lsmod")
    heaps = re.findall(r"heap: (\d+) bytes in use in (\d+) allocations", out)
    assert heaps[0] == heaps[-1], heaps


def same_module_from_two_threads(build):
    # insmod and rmmod of the same module racing: each is either done or refused with a
    # reason; the module ends loaded or not, never half-way.
    cmds = []
    for _ in range(10):
        cmds += ["bg insmod sched", "bg rmmod sched", "bg insmod sched", "sleep 5"]
    out = _script(build, cmds + ["sleep 200", "lsmod", "rmmod sched", "lsmod"])
    final = re.findall(r"quartz> lsmod\n(.*?)(?=quartz> )", out, re.S)[-1]
    assert "sched" not in final, final
    assert not re.search(r"coming|going", final)


def hook_left_in_another_module_is_caught(build):
    # hook_forgetful leaves its function registered in hook_provider's data. Freeing it
    # would make the next read of /proc/hook_provider call freed memory: the kernel must
    # find the pointer and keep the module.
    out = _script(build, ["insmod hook_provider", "insmod hook_forgetful",
                          "cat /proc/hook_provider", "rmmod hook_forgetful", "lsmod",
                          "cat /proc/hook_provider"])
    refused = _after(out, "rmmod hook_forgetful")
    assert re.search(r"module hook_provider holds a pointer to my_hook\+0x0 \[hook_forgetful\] "
                     r"at the_hook\+0x0 \[hook_provider\]", refused), refused
    assert "not freed: 1 reference into its memory remains; it stays 'going'" in refused
    assert "hook set, called 2 times" in out
    assert out.count("hook_forgetful: my_hook called") == 2


def thread_running_in_a_hook_keeps_the_module(build):
    # A reader of /proc/hook_provider runs hook_slow's hook (30 ticks) when hook_slow is
    # removed: its cleanup takes the hook back, but the thread is still in its code. The
    # kernel must see the thread's call chain in the module and not free it.
    out = _script(build, ["insmod hook_provider", "insmod hook_slow", "bg cat /proc/hook_provider",
                          "sleep 10", "rmmod hook_slow", "sleep 500", "rmmod hook_slow",
                          "cat /proc/hook_provider"])
    first = re.findall(r"quartz> rmmod hook_slow\n(.*?)(?=quartz> )", out, re.S)
    assert re.search(r"hook_slow: thread cat is executing in the module \(slow_hook\+0x[0-9a-f]+ "
                     r"\[hook_slow\]\)", first[0]), first[0]
    assert "stays 'going'" in first[0]
    assert "hook_slow: unloaded" in first[1], first[1]
    assert out.index("hook_slow: slow_hook done") < out.index("hook_slow: unloaded")
    assert "hook unset" in _after(out, "cat /proc/hook_provider")


def module_routine_named_in_a_panic(build):
    # Item 11: a module's routine is named with its module, not "?".
    with Qemu(build, icount=True, initrd=_all_modules(build),
              append='panic=exit run="insmod routine_sleeps; sleep 100"') as q:
        q.expect(r"kernel panic: msleep called from task-queue routine "
                 r"napping_routine\+0x0 \[routine_sleeps\] \(0xd[0-9a-f]{7}\)")
        assert q.wait_exit() == PANIC_STATUS


def cpp_module_constructors_and_destructors(build):
    out = _script(build, ["insmod cpp_globals", "sleep 100", "rmmod cpp_globals", "lsmod"])
    order = [out.index(s) for s in ("cpp_globals: constructor 1", "cpp_globals: constructor 2",
                                    "cpp_globals: init_module after 2 constructors",
                                    "cpp_globals: cleanup_module", "cpp_globals: destructor 2",
                                    "cpp_globals: destructor 1", "cpp_globals: unloaded")]
    assert order == sorted(order), out[-2000:]
    ticks = int(re.search(r"destructor 1, (\d+) ticks counted", out).group(1))
    assert 8 <= ticks <= 12, ticks  # its tq_struct, declared without an initialiser, ran


def soak_load_unload_with_readers(build):
    """Label `long` (not in the default run): 1,000 load/unload cycles of soak_mod while
    threads read its /proc file (draining its private queue), list the modules and
    read /proc/tq; the heap must come back to its exact baseline and nothing fault."""
    out = _script(build, ["sleep 20", "mem", "every 1 cat /proc/soak_mod",
                          "every 1 cat /proc/soak_mod", "every 1 lsmod", "every 3 tq",
                          "modstress soak_mod 1000 300", "every stop all", "sleep 50", "lsmod",
                          "mem"], append_extra="hz=1000 slice=1", shift=7, timeout=1500)
    assert re.search(r"1000 cycles; heap", out), out[-2000:]
    assert "soak_mod: " in out and " drained" in out
    heaps = re.findall(r"heap: (\d+) bytes in use in (\d+) allocations", out)
    assert heaps[0] == heaps[-1], heaps
    assert "soak_mod" not in _after(out, "lsmod")
