"""Loadable modules under QEMU: the guide's sched story end to end, every unload protocol,
references between modules, failed inits, stray calls into unloaded modules, malformed
modules refused without a trace, and the stress runs (200 phases, 1,000 cycles)."""
import glob
import os
import re
import shutil
import struct
import subprocess
import tempfile

from quartz_qemu import Qemu

COUNT = r"Timer called (\d+) times so far"


def _modules(build):
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    assert mods, "no modules built in build/modules"
    return mods


def _boot(build, **kw):
    return Qemu(build, initrd=_modules(build), **kw)


def _count(q):
    return int(re.search(COUNT, q.command("cat /proc/sched")).group(1))


def sched_story(build):
    # The timed part runs as a boot script, inside the guest: under -icount with sleep=off
    # the guest's clock races ahead while it waits for typed input, so only commands that
    # follow each other without the host in between have exact timing.
    script = ("insmod sched; cat /proc/sched; sleep 500; cat /proc/sched; lsmod; rmmod sched; "
              "cat /proc/sched; uptime; sleep 50; uptime; insmod sched; cat /proc/sched; lsmod")
    with _boot(build, icount=True, append=f'run="{script}"') as q:
        q.expect(r"sched: loaded at 0xd[0-9a-f]{7}")
        first = int(q.expect(COUNT).group(1))
        second = int(q.expect(COUNT).group(1))
        # Counts at HZ=100: about 50 runs in 500 ms (the routine requeues at every tick).
        assert 45 <= second - first <= 55, (first, second)
        q.expect(r"\nsched +\d+ +0 +- +live\n")
        m = q.expect(r"sched: unloaded \(cleanup_module took (\d+) ticks?\)")
        assert int(m.group(1)) <= 1, q.output   # the guide's protocol: the next tick
        q.expect(r"quartz> cat /proc/sched\ncat: /proc/sched: no such file\n")
        t1 = int(q.expect(r"up (\d+) ticks").group(1))
        t2 = int(q.expect(r"up (\d+) ticks").group(1))
        assert t2 >= t1 + 5, "ticks stopped after the unload"
        q.expect(r"sched: loaded")
        assert int(q.expect(COUNT).group(1)) < 5  # a reload starts from 0
        q.prompt()
        out = q.command("modules")
        for name in ("sched", "sched_legacy", "sched_sync", "buggy_unload", "bad_init", "hello",
                     "provider", "consumer"):
            assert re.search(rf"^{name} +\d+ bytes", out, re.M), out


def rmmod_straight_after_insmod(build):
    # Both in one boot-script line: no tick between them in most runs, and the unload must
    # still wait for the routine's next run (icount makes the timing repeatable).
    with _boot(build, icount=True, append='run="insmod sched; rmmod sched; lsmod"') as q:
        m = q.expect(r"sched: unloaded \(cleanup_module took (\d+) ticks?\)")
        assert int(m.group(1)) <= 1
        q.prompt()


def rmmod_while_routine_spins(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        q.command("insmod sched_spin")
        q.command("sleep 100")
        out = q.command("rmmod sched_spin")
        assert "sched_spin: unloaded" in out, out
        assert "EXCEPTION" not in q.output
        assert q.command("echo alive") == "alive\n"


def unloads_at_200_phases(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        out = q.command("modstress sched 200", timeout=170)
        m = re.search(r"modstress: 200 cycles; heap (\d+) bytes in (\d+) allocations before, "
                      r"(\d+) in (\d+) after", out)
        assert m and m.group(1) == m.group(3) and m.group(2) == m.group(4), out[-2000:]
        assert "EXCEPTION" not in q.output


def thousand_cycles_heap_baseline(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        before = re.search(r"heap: (\d+) bytes in use in (\d+) allocations", q.command("mem")).groups()
        out = q.command("modstress sched_sync 1000", timeout=170)
        assert "modstress: 1000 cycles" in out, out[-2000:]
        after = re.search(r"heap: (\d+) bytes in use in (\d+) allocations", q.command("mem")).groups()
        assert before == after, (before, after)


def buggy_unload_is_caught(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        q.command("insmod buggy_unload")
        q.command("sleep 30")
        out = q.command("rmmod buggy_unload")
        assert re.search(r"buggy_unload: queued task 0x[0-9a-f]{8} on tq_timer \(routine "
                         r"buggy_tick\+0x0 \[buggy_unload\]\)", out), out
        assert re.search(r"rmmod: buggy_unload: not freed: 1 reference into its memory remains; "
                         r"it stays 'going'", out), out
        assert re.search(r"^buggy_unload +\d+ +0 +- +going$", q.command("lsmod"), re.M)
        # The routine runs once more, sees the flag and stops requeuing: now it can go.
        q.command("sleep 30")
        out = q.command("rmmod buggy_unload")
        assert "buggy_unload: unloaded" in out, out
        assert "buggy_unload" not in q.command("lsmod")
        assert "EXCEPTION" not in q.output


def bad_init_is_undone(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        mem = q.command("mem").splitlines()[0]
        tq = re.search(r"tq_timer: (\d+) queued", q.command("tq")).group(1)
        out = q.command("insmod bad_init")
        assert "insmod: bad_init: init_module failed with -22; undoing what it left behind" in out, out
        assert "bad_init: undoing a task its init_module left queued" in out, out
        assert "bad_init" not in q.command("lsmod")
        assert re.search(r"tq_timer: (\d+) queued", q.command("tq")).group(1) == tq
        q.command("sleep 50")  # ticks go on; nothing runs from the freed module
        assert q.command("mem").splitlines()[0] == mem
        assert "EXCEPTION" not in q.output


def provider_and_consumer(build):
    with _boot(build) as q:
        q.prompt()
        assert re.fullmatch(r"insmod: consumer\.ko: unknown symbol provider_(add|calls)\n",
                            q.command("insmod consumer"))
        q.command("insmod provider")
        assert "consumer: provider_add(2, 3) = 5" in q.command("insmod consumer")
        out = q.command("lsmod")
        assert re.search(r"^provider +\d+ +1 +consumer +live$", out, re.M), out
        assert q.command("rmmod provider") == "rmmod: provider is in use by consumer\n"
        assert "consumer: unloaded" in q.command("rmmod consumer")
        assert "provider: unloaded" in q.command("rmmod provider")


def call_into_unloaded_module_is_named(build):
    with _boot(build) as q:
        q.prompt()
        q.command("insmod hello")
        assert "hello_greet: hi" in q.command("modcall hello hello_greet")
        q.command("rmmod hello")
        q.send("modcall --again\n")
        q.expect(r"EIP=[0-9a-f]{8} <in unloaded module hello: hello_greet\+0x0>")
        q.expect(r"CR2=[0-9a-f]{8}: not-present page, [^\n]*in unloaded module hello: hello_greet\+0x0")
        q.prompt()
        assert q.command("echo alive") == "alive\n"


def module_commands_refuse_bad_requests(build):
    with _boot(build) as q:
        q.prompt()
        assert q.command("insmod nosuch") == \
            "insmod: nosuch: no such module (see 'modules' for the boot modules)\n"
        assert q.command("rmmod nosuch") == "rmmod: nosuch is not loaded\n"
        q.command("insmod hello")
        assert q.command("insmod hello") == "insmod: hello is already loaded (live)\n"
        assert q.command("insmod").startswith("usage: insmod")
        assert "hello_cpp" in q.command("insmod hello_cpp")
        assert "unloaded" in q.command("rmmod hello_cpp")


def other_unload_protocols(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        q.command("insmod sched_sync")
        q.command("sleep 50")
        out = q.command("rmmod sched_sync")
        assert "sched_sync: unloaded (cleanup_module took 0 ticks)" in out, out  # nothing to wait for
        q.command("insmod sched_legacy")
        q.command("sleep 50")
        out = q.command("rmmod sched_legacy")
        m = re.search(r"sched_legacy: unloaded \(cleanup_module took (\d+) ticks?\)", out)
        assert m and int(m.group(1)) <= 1, out  # no race this time: the wakeup came


def _patched(src, dst, mutate):
    data = bytearray(open(src, "rb").read())
    mutate(data)
    open(dst, "wb").write(bytes(data))


def malformed_modules_change_nothing(build):
    hello = os.path.join(build, "modules", "hello.ko")
    tmp = tempfile.mkdtemp(prefix="quartz-bad-")
    try:
        cases = {
            "trunc": lambda d: d.__delitem__(slice(100, None)),
            "x86_64": lambda d: d.__setitem__(slice(18, 20), struct.pack("<H", 62)),
            "garbage": lambda d: d.__setitem__(slice(0, len(d)), bytes((i * 7) & 0xFF for i in range(len(d)))),
            # every "printk" string (symbol table and debug info) renamed: an unknown import
            "nosym": lambda d: d.__setitem__(slice(0, len(d)), bytes(d).replace(b"\0printk\0", b"\0printq\0")),
            "shoff": lambda d: d.__setitem__(slice(32, 36), struct.pack("<I", 0xFFFFFFF0)),
        }
        paths = []
        for name, mutate in cases.items():
            path = os.path.join(tmp, f"bad_{name}.ko")
            _patched(hello, path, mutate)
            paths.append(path)
        with Qemu(build, initrd=paths + [hello]) as q:
            q.prompt()
            q.command("insmod hello")
            def state():
                # heap in use, the module list, and every queue's tasks (not its counters)
                tq = re.sub(r"\d+ drains.*", "", q.command("tq"))
                return [q.command("mem").splitlines()[0], q.command("lsmod"), tq]
            before = state()
            for name in cases:
                out = q.command(f"insmod bad_{name}")
                assert out.startswith(f"insmod: bad_{name}.ko: ") and out.count("\n") == 1, out
            assert "insmod: bad_nosym.ko: unknown symbol printq" in q.output, q.output[-3000:]
            assert state() == before
            assert "hello: unloaded" in q.command("rmmod hello")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def modules_from_grub_iso(build):
    with Qemu(build, iso=True) as q:
        q.prompt(timeout=60)
        assert re.search(r"^sched +\d+ bytes", q.command("modules"), re.M)
        assert "Hello, world - this is the kernel speaking" in q.command("insmod hello")
        assert "Short is the life of a kernel module" in q.command("rmmod hello")


def out_of_tree_module(build):
    # A student's module built by tools/build-module.sh, handed over with -initrd.
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    tmp = tempfile.mkdtemp(prefix="quartz-mymod-")
    try:
        src = os.path.join(tmp, "mymod.c")
        with open(src, "w") as f:
            f.write('#include <quartz/module.h>\n'
                    'static int runs;\n'
                    'static void mymod_tick(void *data);\n'
                    'static struct tq_struct task = { .routine = mymod_tick };\n'
                    'static void mymod_tick(void *data) { (void)data; runs++; queue_task(&task, &tq_timer); }\n'
                    'static void show(struct ProcFile *out, void *data) { (void)data; proc_printf(out, "mymod ran %d times\\n", runs); }\n'
                    'int init_module(void) { printk("mymod: hello\\n"); queue_task(&task, &tq_timer);\n'
                    '  return proc_create("mymod", show, 0, THIS_MODULE); }\n'
                    'void cleanup_module(void) { proc_remove("mymod"); cancel_task_sync(&task); printk("mymod: bye\\n"); }\n')
        ko = os.path.join(tmp, "mymod.ko")
        p = subprocess.run([os.path.join(root, "tools", "build-module.sh"), "-o", ko, src],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert p.returncode == 0 and os.path.exists(ko), p.stdout
        bad = os.path.join(tmp, "bad.c")
        with open(bad, "w") as f:
            f.write("int init_module(void) { return oops; }\n")
        p = subprocess.run([os.path.join(root, "tools", "build-module.sh"), "-o",
                            os.path.join(tmp, "bad.ko"), bad],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert p.returncode != 0 and not os.path.exists(os.path.join(tmp, "bad.ko")), p.stdout
        with Qemu(build, initrd=[ko]) as q:
            q.prompt()
            assert "mymod: hello" in q.command("insmod mymod")
            q.command("sleep 100")
            assert re.search(r"mymod ran \d+ times", q.command("cat /proc/mymod"))
            assert "mymod: bye" in q.command("rmmod mymod")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
