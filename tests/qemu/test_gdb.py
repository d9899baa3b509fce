"""GDB against QEMU's gdbstub, the real gdb with tools/gdb/gdbinit and quartz.py: stopping at
the kernel's first instruction, in the IRQ0 handler (jiffies advances between two stops),
in a module's task routine with its symbols loaded automatically (and dropped at rmmod),
and the Python commands tq, threads, btthread, waitq and modules; the rmmod process asleep
in cleanup_module, seen from GDB through delete_module into the module.

GDB reads its commands from a pipe; after each one the test sends `echo MARKER` and waits
for the marker, so every step waits for output and none sleeps a fixed time. QEMU starts
paused (-S) with its stub on a free port; the serial console is driven through the
harness (tools/quartz_qemu.py) at the same time."""
import glob
import os
import re
import select
import signal
import socket
import struct
import subprocess
import threading
import time

from quartz_qemu import Qemu

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GDBINIT = os.path.join(ROOT, "tools", "gdb", "gdbinit")
TIMER_IRQ = "'quartz::(anonymous namespace)::timer_irq'"
CMD_UPTIME = "'quartz::(anonymous namespace)::cmd_uptime'"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def elf_entry(path):
    with open(path, "rb") as f:
        hdr = f.read(0x1c)
    assert hdr[:4] == b"\x7fELF" and hdr[4] == 1, "not an ELF32"
    return struct.unpack_from("<I", hdr, 0x18)[0]


class Gdb:
    """gdb -nx with tools/gdb/gdbinit, commands through a pipe, output read by a thread."""

    def __init__(self, build, port, argv=None, env=None):
        self.output = ""
        self._cond = threading.Condition()
        self._marker = 0
        self._eof = False
        env = dict(os.environ, QUARTZ_ROOT=ROOT, **(env or {}))
        argv = argv or ["gdb", "-nx", "-q", "-x", GDBINIT, os.path.join(build, "quartz.elf")]
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=env, cwd=ROOT, start_new_session=True)
        threading.Thread(target=self._reader, daemon=True).start()
        if port is None:
            return  # the caller's argv connects
        self.run("set width 0")
        self.run("set height 0")
        out = self.run(f"target remote 127.0.0.1:{port}", timeout=20)
        assert "Remote debugging using" in out, self.transcript(out)

    def _reader(self):
        while True:
            data = self.proc.stdout.read1(65536)
            with self._cond:
                if not data:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self.output += data.decode("latin-1").replace("(gdb) ", "")
                self._cond.notify_all()

    def transcript(self, extra=""):
        return f"{extra}\n--- gdb transcript (tail):\n{self.output[-4000:]}"

    def send(self, line):
        """Sends one command without waiting (e.g. `continue` while the test types on the
        serial console); wait() collects its output."""
        self._marker += 1
        mark = f"@@quartz-gdb-{self._marker}@@"
        with self._cond:
            start = len(self.output)
        self.proc.stdin.write(f"{line}\necho {mark}\\n\n".encode())
        self.proc.stdin.flush()
        return (mark, start, line)

    def wait(self, token, timeout=30):
        mark, start, line = token
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                i = self.output.find(mark + "\n", start)
                if i >= 0:
                    return self.output[start:i]
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    why = "gdb exited" if self._eof else f"timed out after {timeout}s"
                    raise AssertionError(self.transcript(f"{why} during {line!r}"))
                self._cond.wait(min(left, 0.5))

    def run(self, line, timeout=30):
        return self.wait(self.send(line), timeout)

    def interrupt(self, group=False):
        """Ctrl-C: GDB stops the running target (QEMU's stub gets the interrupt). With
        group=True the whole process group gets it, as from a terminal."""
        if group:
            os.killpg(self.proc.pid, signal.SIGINT)
        else:
            os.kill(self.proc.pid, signal.SIGINT)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.interrupt()  # in case the target is running (a failed test)
                self.proc.stdin.write(b"kill\nquit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


class Session:
    """QEMU paused at reset with its gdbstub on a free port, and GDB connected to it."""

    def __init__(self, build, **qemu_kw):
        for attempt in range(3):
            port = free_port()
            self.qemu = Qemu(build, extra=["-S", "-gdb", f"tcp:127.0.0.1:{port}"], **qemu_kw)
            try:
                self.gdb = Gdb(build, port)
                return
            except AssertionError:
                gone = self.qemu.proc.poll() is not None  # the port was taken meanwhile
                self.qemu.close()
                if not gone or attempt == 2:
                    raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.gdb.close()
        self.qemu.close()

    def check(self, cond, what, out=""):
        if not cond:
            raise AssertionError(self.gdb.transcript(f"{what}\n{out}") +
                                 f"\n--- serial (tail):\n{self.qemu.output[-2000:]}")


def _modules(build):
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    assert mods, "no modules built in build/modules"
    return mods


# ---------------------------------------------------------------------------------------

def gdb_break_at_entry(build):
    entry = elf_entry(os.path.join(build, "quartz.elf"))
    with Session(build) as s:
        g = s.gdb
        out = g.run("break *_start")
        s.check(re.search(rf"Breakpoint 1 at {entry:#x}", out), "breakpoint not at the entry", out)
        out = g.run("continue", timeout=30)
        s.check(re.search(r"Breakpoint 1, 0x0*%x in _start" % entry, out), "no stop at _start", out)
        out = g.run("info registers eip")
        m = re.search(r"eip\s+(0x[0-9a-f]+)", out)
        s.check(m and int(m.group(1), 16) == entry, f"eip is not the ELF entry {entry:#x}", out)
        out = g.run("x/i $pc")
        s.check("_start" in out, "x/i $pc does not name _start", out)
        assert PROMPT_NOT_YET(s.qemu)
        g.run("delete")
        out = g.run("detach")
        s.check("Detaching" in out, "detach failed", out)
        s.qemu.prompt(timeout=30)
        assert s.qemu.command("echo after-gdb") == "after-gdb\n"


def PROMPT_NOT_YET(q):
    """Stopped at the entry, the kernel cannot have printed anything yet."""
    q._read_some(0)
    return "quartz> " not in q.output


def gdb_irq0_jiffies_advance(build):
    with Session(build) as s:
        g = s.gdb
        out = g.run(f"break {TIMER_IRQ}")
        s.check("Breakpoint 1 at" in out, "cannot break in timer_irq", out)
        out = g.run("continue")
        s.check("Breakpoint 1, quartz::(anonymous namespace)::timer_irq" in out,
                "no stop in the IRQ0 handler", out)
        j1 = int(re.search(r"= (\d+)", g.run("print jiffies")).group(1))
        bt = g.run("bt")
        s.check(re.search(r"#\d+ .*interrupt_dispatch", bt), "bt lacks interrupt_dispatch", bt)
        s.check("isr_common" in bt, "bt lacks the entry stub isr_common", bt)
        out = g.run("continue")
        s.check("Breakpoint 1, quartz::(anonymous namespace)::timer_irq" in out,
                "no second stop", out)
        j2 = int(re.search(r"= (\d+)", g.run("print jiffies")).group(1))
        s.check(j2 == j1 + 1, f"jiffies went from {j1} to {j2}, not by one tick")
        # Step over the increment: jiffies moves while we watch.
        out = g.run("finish")
        j3 = int(re.search(r"= (\d+)", g.run("print jiffies")).group(1))
        s.check(j3 == j2 + 1, f"after finish jiffies is {j3}, expected {j2 + 1}", out)


def _break_in_module_routine(s):
    """At the prompt (modules on -initrd): `break -qualified sched_tick` while the module
    is not loaded (pending), `continue`, type `insmod sched` on the serial console; the
    stop must come in the module's sched_tick with no symbol command typed."""
    g = s.gdb
    out = g.run("break -qualified sched_tick")
    s.check("pending" in out, "the breakpoint should wait for the module", out)
    token = g.send("continue")
    s.qemu.prompt(timeout=30)
    s.qemu.send("insmod sched\n")
    out = g.wait(token, timeout=30)
    s.check(re.search(r"\[quartz\] module sched loaded at 0xd[0-9a-f]{7}: symbols from "
                      r"\S*/modules/sched\.ko", out), "no automatic symbols", out)
    s.check(re.search(r"Breakpoint 1(\.1)?, sched_tick \(irrelevant=0x0\) at \S*modules/sched\.c:\d+",
                      out), "no stop in the module's sched_tick", out)
    return out


def gdb_module_symbols_and_tq(build):
    with Session(build, initrd=_modules(build)) as s:
        g = s.gdb
        _break_in_module_routine(s)
        bt = g.run("bt")
        s.check(re.search(r"#0 +sched_tick \(irrelevant=0x0\) at \S*sched\.c", bt),
                "bt does not start in sched_tick", bt)
        for frame in (r"TaskQueue<.*>::run", r"quartz::tq_timer_bottom_half",
                      r"interrupt_dispatch", r"isr_common"):
            s.check(re.search(frame, bt), f"bt lacks the IRQ0 path frame {frame}", bt)
        out = g.run("info symbol $pc")
        s.check(re.search(r"sched_tick in section \.text of \S*/sched\.ko", out),
                "the pc is not named from sched.ko", out)
        # While its routine runs, the task is the queue's running one...
        out = g.run("tq")
        s.check(re.search(r"tq_timer \(0x[0-9a-f]+\): .*draining", out), "tq header", out)
        s.check(re.search(r"running now: tq_struct 0x[0-9a-f]+, routine 0xd[0-9a-f]+ <sched_tick>",
                          out), "tq does not show the running task", out)
        # ...and once it has requeued itself, it is pending for the next tick. (GDB may put
        # a second location of the breakpoint inside sched_tick: -O2 line tables.)
        g.run("delete")
        out = g.run("finish")
        s.check("Run till exit from #0" in out, "finish failed", out)
        out = g.run("tq")
        s.check(re.search(r"pending:\n +\[0\] tq_struct 0xd[0-9a-f]+: routine 0xd[0-9a-f]+ "
                          r"<sched_tick>, data 0x0, pending on tq_timer", out),
                "tq does not list the queued task", out)
        out = g.run("tq --all")  # every registered queue: tq_timer first
        s.check(re.search(r"^tq_timer \(0x[0-9a-f]+\): 1 queued", out, re.M), "tq --all", out)
        out = g.run("quartz-sync-symbols")  # reloads: it must not say anything was unloaded
        s.check("unloaded" not in out, "quartz-sync-symbols claims an unload", out)
        s.check(re.search(r"sched_tick in section \.text of \S*/sched\.ko",
                          g.run("info symbol sched_tick")), "symbols after quartz-sync-symbols")
        out = g.run("print tq_timer")
        s.check(re.search(r"= task_queue tq_timer: 1 queued, .*\{\[0\] = tq_struct \{routine = "
                          r"0xd[0-9a-f]+ <sched_tick>, data = 0x0, pending on tq_timer[^}]*\}\}", out),
                "pretty-printer of the queue", out)
        out = g.run("print Task")  # the module's static tq_struct, by its own name
        s.check(re.search(r"= tq_struct \{routine = 0xd[0-9a-f]+ <sched_tick>, data = 0x0, "
                          r"pending on tq_timer(, its routine is running now \(tq_timer\))?\}", out),
                "pretty-printer of tq_struct", out)
        out = g.run("print/r Task")
        s.check("tq_magic = " in out, "print/r shows the raw fields", out)
        out = g.run("modules")
        s.check(re.search(r"^sched +live +0xd[0-9a-f]{7} +\d+ +0xd[0-9a-f]{7} +\d+ +0 +\S*sched\.ko$",
                          out, re.M), "modules does not list sched", out)
        s.check(re.search(r"sections: \.text 0xd[0-9a-f]+ .*\.data 0xd[0-9a-f]+ +\.bss", out),
                "modules does not list the sections", out)
        out = g.run("print TimerIntrpt")
        s.check(re.search(r"= \d+", out), "the module's variables are not readable", out)


def gdb_module_symbols_dropped_at_rmmod(build):
    with Session(build, initrd=_modules(build)) as s:
        g = s.gdb
        _break_in_module_routine(s)
        addr = int(re.search(r"0x([0-9a-f]+)", g.run("print/x $pc")).group(1), 16)
        g.run("delete")
        g.run(f"break {CMD_UPTIME}")
        token = g.send("continue")
        out = s.qemu.command("rmmod sched", timeout=30)
        s.check("sched: unloaded" in out, "rmmod failed", out)
        s.qemu.send("uptime\n")
        out = g.wait(token, timeout=30)
        s.check("[quartz] module sched unloaded: symbols dropped" in out,
                "no message about dropped symbols", out)
        s.check("cmd_uptime" in out, "no stop in cmd_uptime", out)
        out = g.run(f"info symbol {addr:#x}")
        s.check("No symbol matches" in out, "the old address still has a symbol", out)
        out = g.run("info address TimerIntrpt")
        s.check('No symbol "TimerIntrpt"' in out, "the module's variable is still known", out)
        out = g.run("info address sched_tick")  # only the kernel's quartz::sched_tick is left
        s.check("0xd" not in out and "sched.c" not in out, "sched_tick still in the module", out)
        out = g.run("python print([o.filename for o in gdb.objfiles()])")
        s.check("sched.ko" not in out, "sched.ko is still an objfile", out)
        out = g.run("modules")
        s.check("no modules loaded" in out, "modules after rmmod", out)
        # A second insmod loads them again, wherever the module lands this time.
        g.run("delete")
        out = g.run("break -qualified sched_tick")
        s.check("pending" in out, "the breakpoint should be pending again", out)
        token = g.send("continue")
        s.qemu.send("insmod sched\n")
        out = g.wait(token)
        s.check(re.search(r"module sched loaded at 0xd[0-9a-f]{7}.*\n(.*\n)*.*Breakpoint \d+(\.1)?, "
                          r"sched_tick", out), "no stop after the second insmod", out)


def gdb_threads_and_waitq(build):
    with Session(build) as s:
        g = s.gdb
        token = g.send("continue")
        s.qemu.prompt(timeout=30)
        s.qemu.command("bg sleep 100000")
        # The new thread runs when the scheduler picks it: ask until it has gone to sleep
        # (each `ps` is a round trip through the shell, so this waits on output).
        for _ in range(100):
            out = s.qemu.command("ps")
            if re.search(r"^ +\d+ sleep +sleeping", out, re.M):
                break
        s.check(re.search(r"^ +\d+ sleep +sleeping", out, re.M), "ps: the bg thread sleeps", out)
        g.interrupt()  # Ctrl-C: the shell is back on input_wq, waiting for a line
        out = g.wait(token)
        s.check("SIGINT" in out, "Ctrl-C did not stop the target", out)
        out = g.run("threads")
        s.check(re.search(r"^[ *] +0 idle +\w+", out, re.M), "threads lacks idle", out)
        s.check(re.search(r"^  +\d+ shell +sleeping +input_wq \(0x[0-9a-f]+\)", out, re.M),
                "threads: the shell should sleep on input_wq", out)
        s.check(re.search(r"^  +\d+ sleep +sleeping +sleep \(0x", out, re.M),
                "threads: the bg thread should sleep on a timer", out)
        out = g.run("waitq input_wq")
        s.check(re.search(r"wait queue input_wq \(0x[0-9a-f]+\): 1 sleeper\(s\)\n +\d+ shell +"
                          r"sleeping \(wait_event", out), "waitq input_wq", out)
        out = g.run("waitq &'quartz::(anonymous namespace)::input_wq'")
        s.check(re.search(r"\d+ shell", out), "waitq with an address expression", out)
        out = g.run("btthread shell")
        s.check(re.search(r"#0 +0x[0-9a-f]+ in .*switch_to", out), "btthread frame 0", out)
        for fn in ("console", "shell_main", "thread_bootstrap", "thread_start"):
            s.check(fn in out, f"btthread shell lacks {fn}", out)
        out = g.run("btthread 0")
        s.check("kernel_main" in out and "_start" in out, "btthread idle", out)
        out = g.run("waitq")
        s.check("input_wq" in out, "waitq without argument lists the queues", out)
        out = g.run("btthread nosuch")
        s.check("no thread 'nosuch'" in out, "btthread of an unknown thread", out)
        # Still alive afterwards.
        token = g.send("continue")
        s.check(s.qemu.command("echo still-alive") == "still-alive\n", "shell after gdb")
        g.interrupt()
        g.wait(token)


def gdb_debug_sh_break_entry(build):
    """tools/debug.sh --break-entry: GDB stops at the kernel's first instruction; the
    serial console (tools/debug.sh --console) then reaches the prompt and runs a command;
    quitting GDB ends QEMU."""
    entry = elf_entry(os.path.join(build, "quartz.elf"))
    script = os.path.join(ROOT, "tools", "debug.sh")
    g = Gdb(build, None, argv=[script, "--no-build", "--break-entry", "--", "-nx"],
            env={"QUARTZ_BUILD_DIR": build})
    console = None
    qemu_pid = None
    try:
        out = g.run("set width 0", timeout=30)  # runs once the -ex commands are done
        m = re.search(r"GDB stub on 127\.0\.0\.1:(\d+) \(pid (\d+)\)", out)
        assert m, g.transcript("no port/pid line")
        qemu_pid = int(m.group(2))
        assert re.search(r"Breakpoint 1, 0x0*%x in _start" % entry, out), g.transcript(out)
        out = g.run("info registers eip")
        assert int(re.search(r"eip\s+(0x[0-9a-f]+)", out).group(1), 16) == entry, out
        out = g.run("tq")
        assert "tq_timer" in out and "(no tasks queued)" in out, g.transcript(out)
        console = subprocess.Popen([script, "--console"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env=dict(os.environ, QUARTZ_BUILD_DIR=build), cwd=ROOT)
        seen = _read_until(console, "", "connected to the serial console", 10)
        token = g.send("continue")
        # The console may connect just after QEMU wrote the first prompt (that goes to
        # serial.log only): an Enter asks the shell for a fresh one either way.
        console.stdin.write(b"\n")
        console.stdin.flush()
        seen = _read_until(console, seen, "quartz> ", 30)
        console.stdin.write(b"echo via-debug-sh\n")
        console.stdin.flush()
        _read_until(console, seen, "\nvia-debug-sh\n", 30)
        g.interrupt(group=True)  # Ctrl-C at the terminal: stops the kernel, QEMU lives on
        out = g.wait(token)
        assert "SIGINT" in out, g.transcript(out)
        out = g.run("print jiffies")
        assert re.search(r"= \d+", out) and _alive(qemu_pid), g.transcript(out)
        g.proc.stdin.write(b"quit\n")
        g.proc.stdin.flush()
        assert g.proc.wait(timeout=20) == 0, g.transcript("debug.sh status")
        deadline = time.monotonic() + 10
        while _alive(qemu_pid):
            assert time.monotonic() < deadline, "QEMU still runs after quitting GDB"
            time.sleep(0.05)
        assert not os.path.exists(os.path.join(build, "debug-serial.sock"))
    finally:
        if console and console.poll() is None:
            console.kill()
            console.wait()
        g.close()
        if qemu_pid and _alive(qemu_pid):  # debug.sh runs it in a session of its own
            os.kill(qemu_pid, signal.SIGKILL)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone for our purposes
        return f.read().split(")")[-1].split()[0] != "Z"


def _read_until(proc, out, needle, timeout):
    deadline = time.monotonic() + timeout
    while needle not in out:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {needle!r} within {timeout}s; seen:\n{out[-3000:]}")
        if select.select([proc.stdout], [], [], min(left, 0.5))[0]:
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                raise AssertionError(f"ended before {needle!r}; seen:\n{out[-3000:]}")
            out += data.decode("latin-1").replace("\r", "")
    return out


def gdb_user_program_break_main(build):
    # A student's first look at user space in GDB: cat's symbols beside the kernel's, a
    # breakpoint in its main that ignores every other program, and the process table.
    with Session(build, initrd=[os.path.join(build, "initramfs.cpio")]) as s:
        g = s.gdb
        out = g.run("uprogram cat")
        s.check(re.search(r"uprogram: symbols of \S*/user/bin/cat", out), "uprogram cat", out)
        out = g.run('break main if $_streq($comm(), "cat")')
        s.check("Breakpoint 1 at 0x4" in out, "break main in cat", out)
        token = g.send("continue")
        s.qemu.prompt(timeout=30)
        s.qemu.send("exec /bin/echo not-cat\n")  # same addresses, another program: no stop
        s.qemu.expect("not-cat\n")
        s.qemu.prompt(timeout=30)
        s.qemu.send("exec /bin/cat /etc/motd\n")
        out = g.wait(token, timeout=30)
        s.check(re.search(r"Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) at \S*user/bin/cat\.c",
                          out), "no stop in cat's main", out)
        out = g.run("processes")
        s.check(re.search(r"(?m)^\* +\d+ +0 Running +cat +\d+ +\d+ +0x[0-9a-f]+$", out),
                "processes: cat, running, marked", out)
        out = g.run("print $comm()")
        s.check('"cat"' in out, "$comm()", out)
        token = g.send("continue")
        s.qemu.expect("Welcome to Quartz user space")
        s.check(s.qemu.command("echo alive") == "alive\n", "shell after the breakpoint")
        g.interrupt()
        g.wait(token)


def gdb_rmmod_process_sleeps_in_cleanup(build):
    # The guide's story seen in GDB: /sbin/rmmod (a process) is asleep in the module's
    # cleanup_module, called by the delete_module system call; its kernel stack goes from
    # the int 0x80 entry through sys_delete_module and the unloader into the module.
    with Session(build, initrd=[os.path.join(build, "initramfs.cpio")]) as s:
        g = s.gdb
        token = g.send("continue")
        s.qemu.prompt(timeout=30)
        # interval=3000: the work runs (and lets cleanup_module return) 30 s after insmod.
        s.qemu.command("exec /sbin/insmod /lib/modules/sched.ko interval=3000")
        s.qemu.command("bg exec /sbin/rmmod sched")
        for _ in range(200):  # each ps is a round trip: this waits on output
            ps = s.qemu.command("ps")
            if re.search(r"rmmod +sleeping +WaitQ", ps):
                break
        s.check(re.search(r"rmmod +sleeping +WaitQ", ps), "ps: rmmod asleep on WaitQ", ps)
        g.interrupt()
        out = g.wait(token)
        s.check("SIGINT" in out, "Ctrl-C did not stop the target", out)
        out = g.run("threads")
        s.check(re.search(r"(?m)^ +\d+ rmmod +sleeping +WaitQ \(0x[0-9a-f]+\)", out),
                "threads: rmmod sleeps on the module's WaitQ", out)
        out = g.run("waitq WaitQ")
        s.check(re.search(r"wait queue WaitQ \(0x[0-9a-f]+\): 1 sleeper\(s\)\n +\d+ rmmod", out),
                "waitq WaitQ: the rmmod process", out)
        out = g.run("btthread rmmod")
        frames = re.findall(r"(?m)^#\d+ +(?:0x[0-9a-f]+ in )?(\S+)", out)
        want = ["cleanup_module", "sys_delete_module", "syscall_dispatch"]
        for fn in want:
            s.check(any(fn in f for f in frames), f"btthread rmmod lacks {fn}", out)
        order = [next(i for i, f in enumerate(frames) if fn in f) for fn in want]
        s.check(order == sorted(order), "btthread rmmod: cleanup_module, then "
                "sys_delete_module, then syscall_dispatch, innermost first", out)
        s.check(any("unload" in f for f in frames[order[0]:order[1]]),
                "btthread rmmod: the unloader between delete_module and cleanup_module", out)
        token = g.send("continue")
        s.check(s.qemu.command("echo still-alive") == "still-alive\n", "shell after gdb")
        g.interrupt()
        g.wait(token)


def gdb_debug_sh_batch_commands_run_connected(build):
    """tools/debug.sh -- -batch -ex CMD: the caller's commands run after GDB has connected
    (and, with --break-entry, stopped at _start); GDB then exits and QEMU with it."""
    entry = elf_entry(os.path.join(build, "quartz.elf"))
    r = subprocess.run([os.path.join(ROOT, "tools", "debug.sh"), "--no-build", "--break-entry",
                        "--", "-nx", "-batch", "-ex", "info registers eip", "-ex", "print jiffies",
                        "-ex", "show quartz-modules-dir", "-ex", "show quartz-verbose"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, QUARTZ_BUILD_DIR=build), cwd=ROOT, timeout=60)
    out = r.stdout.decode("latin-1")
    m = re.search(r"eip\s+(0x[0-9a-f]+)", out)
    assert m and int(m.group(1), 16) == entry, out
    assert re.search(r"\$1 = 0\b", out), out  # jiffies before the first tick
    # quartz.py's two settings: where module .ko files are looked up, and announcements.
    assert re.search(r"Module \.ko files are looked up in '\S*/modules'\.", out), out
    assert re.search(r"quartz-verbose.* is \"?on\"?", out, re.I), out
    assert r.returncode == 0, out
