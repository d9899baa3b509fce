"""User space: programs of the initramfs run in ring 3 from the kernel shell's `exec` and
from init=/sbin/init's shell; system calls with bad arguments, hostile programs and
malformed executables end only the process; nothing leaks (docs/user-space.md)."""
import os
import re
import time

from quartz_qemu import Qemu, initramfs, shipped_modules, test_modules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SH_PROMPT = "$ "


def _boot(build, append=None, icount=False, modules=False, memory=128):
    initrd = (shipped_modules(build) if modules else []) + [initramfs(build)]
    return Qemu(build, icount=icount, initrd=initrd, append=append, memory=memory)


class Shell:
    """The user shell (/bin/sh under init) over the serial console."""

    def __init__(self, q):
        self.q = q
        q.expect(re.escape(SH_PROMPT), 30)

    def run(self, line, timeout=30):
        self.q.send(line + "\n")
        self.q.expect(re.escape(line) + r"\n", timeout)  # the console's echo
        start = self.q.pos
        self.q.expect(r"(?m)^" + re.escape(SH_PROMPT), timeout)
        return self.q.output[start:self.q.pos - len(SH_PROMPT)]


def _mem(q):
    q.command("sleep 20")  # exited threads are freed by the idle thread: let it run
    out = q.command("mem")
    heap = re.search(r"heap: (\d+) bytes in use in (\d+) allocations", out).groups()
    pages = re.search(r"pages: (\d+) free", out).group(1)
    return heap, pages


# ---- running programs ----

def exec_runs_programs_with_arguments(build):
    with _boot(build) as q:
        q.prompt()
        out = q.command("exec /bin/ls /")
        for d in ("bin", "sbin", "tmp", "proc", "dev", "etc", "test"):
            assert re.search(rf"(?m)^{d}$", out), out
        assert q.command("exec /bin/echo hello   user space") == "hello user space\n"
        out = q.command("exec /test/argv one 'two words' three")
        assert re.search(r"argc=4", out) and "two words" in out, out
        assert "exited with status 7" in q.command("exec /test/exitcode 7")
        assert q.command("exec /bin/true") == ""
        out = q.command("exec /bin/nope")
        assert out == "exec: /bin/nope: No such file or directory\n", out
        assert "alive" in q.command("echo alive")


def user_program_reads_a_modules_proc_file(build):
    # cat in ring 3 -> open(/proc/sched) -> the module's show function (with its use count).
    with _boot(build, modules=True) as q:
        q.prompt()
        q.command("insmod sched")
        q.command("sleep 5")
        out = q.command("exec /bin/cat /proc/sched")
        assert re.search(r"Timer called \d+ times so far", out), out
        out = q.command("rmmod sched")
        assert "unloaded" in out, out
        out = q.command("exec /bin/cat /proc/sched")
        assert "No such file or directory" in out, out


def init_starts_the_shell_and_runs_programs(build):
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        assert sh.run("echo hi there") == "hi there\n"
        assert sh.run("cd /tmp") == ""
        assert sh.run("pwd") == "/tmp\n"
        assert "No such file or directory" in sh.run("cd /nope")
        out = sh.run("ls /bin")
        for p in ("cat", "echo", "kill", "ls", "ps", "sh", "sleep", "true", "false"):
            assert re.search(rf"(?m)^{p}$", out), out
        out = sh.run("sleep 100 &")
        pid = re.search(r"\[(\d+)\]", out).group(1)
        out = sh.run("ps")
        assert re.search(rf"(?m)^ +1 +0 S .* init +child_exit$", out), out
        assert re.search(rf"(?m)^ +{pid} +\d+ S .* sleep +nanosleep$", out), out
        sh.run(f"kill {pid}")
        out = sh.run("echo reaped")
        assert re.search(rf"\[{pid}\] (Terminated|.*signal 15)", q.output), q.output[-2000:]
        # `exit` ends the shell; init starts a new one.
        q.send("exit\n")
        q.expect(r"init: /bin/sh exited with status 0; starting it again")
        q.expect(re.escape(SH_PROMPT))


def ctrl_c_ends_the_foreground_program_only(build):
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        q.send("/test/spin\n")
        q.expect(r"spin: pid=\d+")
        q.send("\x03")
        q.expect(re.escape(SH_PROMPT))
        # The shell itself, and init, are still there.
        assert sh.run("echo still here") == "still here\n"
        out = sh.run("ps")
        assert not re.search(r"(?m) spin\b", out), out


def kernel_shell_answers_while_a_program_spins(build):
    # An endless loop in user mode is preempted by the timer: a second program and the
    # kernel's own threads still run; Ctrl-C ends it.
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        out = sh.run("/test/spin &")
        pid = re.search(r"\[(\d+)\]", out).group(1)
        out = sh.run("ps")
        assert re.search(rf"(?m)^ +{pid} +\d+ R .* spin", out), out
        assert sh.run("echo answered") == "answered\n"
        sh.run(f"kill -9 {pid}")
        assert sh.run("echo done") is not None
        assert re.search(rf"\[{pid}\] (Killed|.*signal 9)", q.output), q.output[-2000:]


# ---- hostile programs ----

def faults_end_only_the_process(build):
    with _boot(build) as q:
        q.prompt()
        out = q.command("exec /test/segv")
        assert re.search(r"segv\[\d+\]: segfault at 0 ip [0-9a-f]{8} sp [0-9a-f]{8} error 6 in segv",
                         out), out
        assert "killed by signal 11" in out, out
        out = q.command("exec /test/stackoverflow")
        assert re.search(r"stackoverflow\[\d+\]: segfault at bffd", out), out
        assert "killed by signal 11" in out, out
        assert "EXCEPTION" not in q.output and "panic" not in q.output
        assert q.command("echo alive") == "alive\n"


def bad_pointers_get_the_errors_linux_gives(build):
    golden = open(os.path.join(ROOT, "user", "tests", "badptr.golden")).read()
    with _boot(build) as q:
        q.prompt()
        out = q.command("exec /test/badptr", timeout=60)
        got = [l for l in out.splitlines() if not l.startswith("exec:")]
        want = golden.splitlines()
        assert got == want, "\n".join(
            f"{'  ' if g == w else '!!'} {g!r} (Linux: {w!r})" for g, w in zip(got, want))
        assert "EXCEPTION" not in q.output
        assert q.command("echo alive") == "alive\n"


def malformed_executables_are_refused(build):
    with _boot(build) as q:
        q.prompt()
        out = q.command("exec /test/execbad", timeout=60)
        lines = [l for l in out.splitlines() if l.startswith("execbad: /test/bad/")]
        assert len(lines) >= 20, out
        for l in lines:
            assert re.search(r"execve = -(8 ENOEXEC|13 EACCES)", l), l
        assert "ran," not in out, out
        # Each refusal names its reason on the console, one line.
        assert re.search(r"(?m)^exec: /test/bad/dynamic_interp: .*", out), out
        assert q.command("echo alive") == "alive\n"


def fork_bomb_stops_at_the_process_limit(build):
    with _boot(build) as q:
        q.prompt()
        mem = []
        for _ in range(2):  # the first round grows the heap once; the second must not
            out = q.command("exec /test/forkbomb", timeout=120)
            m = re.search(r"forkbomb: errno=EAGAIN children=(\d+)", out)
            assert m and int(m.group(1)) > 10, out
            assert re.search(rf"forkbomb: reaped={m.group(1)}", out), out
            assert q.command("echo alive") == "alive\n"
            mem.append(_mem(q))
        assert mem[0] == mem[1], mem


def thousand_fork_exec_exit_cycles_leave_memory_as_it_was(build):
    with _boot(build, icount=True) as q:
        q.prompt()
        # A first round makes the one-time allocations (heap pages, page tables of the
        # stack area, which stay); then 1,000 more must leave everything as it was.
        q.command("exec /test/forkloop 20 /bin/true", timeout=60)
        before = _mem(q)
        out = q.command("exec /test/forkloop 1000 /bin/true", timeout=170)
        assert re.search(r"forkloop: runs=1000 ok=1000 failed=0", out), out
        assert _mem(q) == before, (before, _mem(q))


def tmp_is_writable_and_the_rest_read_only(build):
    with _boot(build) as q:
        q.prompt()
        before = q.command("exec /bin/ls /tmp")
        out = q.command("exec /test/tmpfiles")
        assert out.rstrip().endswith("tmpfiles: ok"), out
        # What it created and removed is gone; its directory stays (there is no rmdir).
        after = q.command("exec /bin/ls /tmp")
        assert re.fullmatch(re.escape(before) + r"tmpdir\.\d+\n", after), (before, after)
        out = q.command("exec /bin/cat /tmp")
        assert "Is a directory" in out, out


def modules_load_and_unload_from_a_program(build):
    # init_module and delete_module from ring 3, with Linux's error numbers; the program
    # that calls delete_module sleeps in the module's cleanup_module until the tick.
    with _boot(build) as q:
        q.prompt()
        out = q.command("exec /test/modcall load /lib/modules/sched.ko")
        assert "modcall: init_module(/lib/modules/sched.ko) = 0" in out, out
        assert re.search(r"(?m)^sched +\d+ +0 +- +live$", q.command("lsmod"))
        out = q.command("exec /test/modcall load /lib/modules/sched.ko")
        assert "= -17 EEXIST" in out, out
        out = q.command("exec /test/modcall load /bin/true")
        assert "= -8 ENOEXEC" in out and "not a relocatable object" in out, out
        out = q.command("exec /test/modcall load /lib/modules/consumer.ko")
        assert "= -2 ENOENT" in out and "unknown symbol provider_calls" in out, out
        out = q.command("exec /test/modcall load /lib/modules/bad_init.ko")
        assert "= -22 EINVAL" in out, out  # init_module's own error
        out = q.command("exec /test/modcall unload sched")
        assert re.search(r"sched: unloaded \(cleanup_module took 1 tick\)", out), out
        assert "modcall: delete_module(sched) = 0" in out, out
        out = q.command("exec /test/modcall unload sched")
        assert "= -2 ENOENT" in out, out
        assert q.command("lsmod").count("\n") == 1  # the header only
        before = _mem(q)
        for _ in range(20):
            q.command("exec /test/modcall load /lib/modules/sched.ko")
            q.command("exec /test/modcall unload sched")
        assert _mem(q) == before  # the image copy goes with the module


def orphans_go_to_init_which_reaps_them(build):
    # A shell that exits leaves its background job behind: the job's parent becomes init
    # (pid 1), and when the job ends, init reaps it (no zombie is left).
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        out = sh.run("/bin/sh")  # a second shell, child of the first
        q.send("sleep 1 &\n")
        pid = q.expect(r"\[(\d+)\]").group(1)
        q.expect(re.escape(SH_PROMPT))
        q.send("exit\n")  # the inner shell exits; its sleep is an orphan now
        q.expect(re.escape(SH_PROMPT))
        out = sh.run("ps")
        assert re.search(rf"(?m)^ +{pid} +1 S .* sleep ", out), out
        sh.run("sleep 2", timeout=60)  # in the guest: the orphan's 1 s is over after it
        out = sh.run("ps")
        assert not re.search(rf"(?m)^ +{pid} ", out), out  # ended, and reaped by init


def insmod_rmmod_lsmod_programs_tell_the_guides_story(build):
    # The guide's chapter with processes: at the user shell, /sbin/insmod reads the module
    # and calls init_module; /sbin/rmmod calls delete_module and sleeps in cleanup_module
    # until the timer routine has seen the flag; the shell waits for it.
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        out = sh.run("insmod /lib/modules/sched.ko")
        assert re.search(r"sched: loaded at 0xd[0-9a-f]+", out), out
        assert re.search(r"(?m)^sched +\d+ +0 +- +live$", sh.run("lsmod"))
        sh.run("sleep 1")
        assert re.search(r"Timer called \d+ times so far", sh.run("cat /proc/sched"))
        out = sh.run("rmmod sched")
        assert re.search(r"sched: unloaded \(cleanup_module took 1 tick\)", out), out
        assert sh.run("lsmod").count("\n") == 1
        # Errors as Linux's tools print them.
        out = sh.run("rmmod sched")
        assert "rmmod: ERROR: Module sched is not currently loaded" in out, out
        out = sh.run("insmod /lib/modules/nope.ko")
        assert ("insmod: ERROR: could not load module /lib/modules/nope.ko: "
                "No such file or directory") in out, out
        sh.run("insmod /lib/modules/sched.ko")
        out = sh.run("insmod /lib/modules/sched.ko")
        assert "insmod: ERROR: could not insert module /lib/modules/sched.ko: File exists" in out
        out = sh.run("insmod /bin/true")
        assert "could not insert module /bin/true: Exec format error" in out, out
        out = sh.run("rmmod /lib/modules/sched.ko")  # a path names the module too
        assert "sched: unloaded" in out, out


def rmmod_o_nonblock_refuses_a_module_in_use(build):
    # A kernel thread is inside a module's /proc show function: /sbin/rmmod (O_NONBLOCK,
    # as Linux's) is refused at once; rmmod -w waits for the reader, then unloads.
    mods = test_modules(build, "slow_reader", "sleepy_reader")
    with Qemu(build, initrd=mods + [initramfs(build)]) as q:
        q.prompt()
        q.command("insmod sleepy_reader")
        q.command("bg cat /proc/sleepy_reader")  # sleeps 8 s inside the module
        q.command("sleep 10")
        out = q.command("exec /sbin/rmmod sleepy_reader")
        assert "rmmod: ERROR: Module sleepy_reader is in use" in out, out
        assert "1 reader of its /proc files; it stays live" in out, out
        assert re.search(r"(?m)^sleepy_reader +\d+ +1 +- +live$", q.command("lsmod"))
        q.command("insmod slow_reader")
        q.command("bg cat /proc/slow_reader")  # 30 ticks inside
        q.command("sleep 50")
        out = q.command("exec /sbin/rmmod -w slow_reader", timeout=60)
        assert "slow_reader: unloaded" in out, out
        assert out.index("slow_reader: done after") < out.index("slow_reader: unloaded"), out


def crond_runs_the_guides_first_way(build):
    # "We run a new process off of crontab ... to wake up a kernel module": crond forks and
    # execs /bin/cat /proc/cronwork every 100 ms (/etc/crontab); each read is one run of
    # the module's work. kill stops it: then only our own reads count.
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        sh.run("insmod /lib/modules/cronwork.ko")
        out = sh.run("crond &")
        pid = re.search(r"\[(\d+)\]", out).group(1)
        sh.run("sleep 1")
        runs = int(re.search(r"cronwork: (\d+) runs", sh.run("cat /proc/cronwork")).group(1))
        assert runs >= 5, runs  # about 10 in a second, less under a loaded host
        assert re.search(rf"(?m)^ +{pid} +\d+ S .* crond +nanosleep$", sh.run("ps"))
        sh.run(f"kill {pid}")
        sh.run("sleep 1")  # any job started before the kill has ended by now
        r1 = int(re.search(r"cronwork: (\d+) runs", sh.run("cat /proc/cronwork")).group(1))
        sh.run("sleep 1")
        r2 = int(re.search(r"cronwork: (\d+) runs", sh.run("cat /proc/cronwork")).group(1))
        assert r2 == r1 + 1, (r1, r2)  # our own read only: crond is gone


def crond_reports_bad_lines_and_failing_jobs_and_goes_on(build):
    with _boot(build, append="init=/sbin/init") as q:
        sh = Shell(q)
        sh.run("insmod /lib/modules/cronwork.ko")
        sh.run("crond -f /test/crontab.bad &")
        sh.run("sleep 1")
        out = q.output
        assert "crond: /test/crontab.bad:2: '100' is not a period" in out, out[-2000:]
        assert "crond: /test/crontab.bad:3: 'fast' is not a period" in out
        assert "crond: /test/crontab.bad:4: no command; line skipped" in out
        assert "crond: 2 jobs from /test/crontab.bad" in out
        assert out.count("crond: /bin/nope: No such file or directory") == 1, out[-2000:]
        assert out.count("crond: /bin/nope exited with status 127; crond goes on") == 1
        assert re.search(r"(?m) crond +nanosleep$", sh.run("ps"))  # still running
        out = sh.run("crond -f /nope")
        assert "crond: /nope: No such file or directory" in out, out
