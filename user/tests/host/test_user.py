#!/usr/bin/env python3
"""The host tests of user/: run the i686 programs of build/user on this Linux machine. Linux
i386's system calls are Quartz's, so what a program prints here is what it prints there.

  test_user.py --build BUILD_DIR TEST_NAME

Each test is a function below; it raises AssertionError (with what was seen) on failure.
Never run here: /test/forkbomb (it would fork until this machine's limit)."""
import argparse
import filecmp
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))  # user/
U = None  # build/user, set by main()


def p(rel):
    """The path of a built program: p("bin/echo")."""
    return os.path.join(U, rel)


def env(**extra):
    e = {"PATH": f"{U}/bin:{U}/tests", "HOME": "/"}
    e.update(extra)
    return e


def run(argv, input=None, cwd=None, environ=None, timeout=20):
    r = subprocess.run(argv, input=input, capture_output=True, text=True, cwd=cwd,
                       env=env() if environ is None else environ, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def expect(cond, what, *seen):
    if not cond:
        raise AssertionError(what + "".join(f"\n--- seen:\n{s}" for s in seen))


def sh(script, cwd=None, environ=None):
    """Run our sh with SCRIPT on stdin; (status, stdout, stderr without the prompts)."""
    code, out, err = run([p("bin/sh")], input=script, cwd=cwd, environ=environ)
    return code, out, err.replace("$ ", "")


# ---- the simple programs ----

def echo_words_and_dash_n():
    for argv, want in ((["hello", "world"], "hello world\n"), ([], "\n"), (["-n", "x"], "x"),
                       (["-n", "-n", "a", "b"], "a b"), ("a -n".split(), "a -n\n"),
                       (["  spaced  "], "  spaced  \n")):
        code, out, _ = run([p("bin/echo")] + argv)
        expect(code == 0 and out == want, f"echo {argv}: want {want!r}", repr(out))


def cat_files_stdin_and_errors():
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a"), os.path.join(d, "b")
        with open(a, "w") as f:
            f.write("first\n")
        with open(b, "wb") as f:
            f.write(bytes(range(256)) * 64)  # 16 KiB of every byte: binary-clean, several reads
        code, out, err = run([p("bin/cat"), a, a])
        expect(code == 0 and out == "first\nfirst\n" and err == "", "cat a a", out, err)
        r = subprocess.run([p("bin/cat"), b], capture_output=True, env=env())
        expect(r.returncode == 0 and r.stdout == bytes(range(256)) * 64, "cat of binary data")
        code, out, _ = run([p("bin/cat")], input="from stdin\n")
        expect(code == 0 and out == "from stdin\n", "cat with no file reads stdin", out)
        code, out, _ = run([p("bin/cat"), a, "-", a], input="middle\n")
        expect(out == "first\nmiddle\nfirst\n", "cat - reads stdin in its place", out)
        code, out, err = run([p("bin/cat"), "/nope", a, d])
        expect(code == 1, "cat with a missing file exits 1", str(code))
        expect(out == "first\n", "the other files are still copied", out)
        expect(err == f"cat: /nope: No such file or directory\ncat: {d}: Is a directory\n",
               "cat's errors as Linux's cat prints them", err)


def ls_lists_sorted_and_long():
    with tempfile.TemporaryDirectory() as d:
        for name, size in (("zeta", 3), ("alpha", 10), ("Mid", 0), (".hidden", 1)):
            with open(os.path.join(d, name), "w") as f:
                f.write("x" * size)
        os.mkdir(os.path.join(d, "sub"))
        code, out, err = run([p("bin/ls"), d])
        expect(code == 0 and out == "Mid\nalpha\nsub\nzeta\n", "ls: sorted, dot files hidden",
               out, err)
        code, out, _ = run([p("bin/ls")], cwd=d)
        expect(out == "Mid\nalpha\nsub\nzeta\n", "ls with no argument lists .", out)
        code, out, _ = run([p("bin/ls"), "-l", d])
        lines = [line.split() for line in out.splitlines()]
        expect(code == 0 and lines == [["-", "0", "Mid"], ["-", "10", "alpha"], ["d", lines[2][1],
               "sub"], ["-", "3", "zeta"]], "ls -l: type, size, name", out)
        code, out, err = run([p("bin/ls"), "-l", os.path.join(d, "alpha")])
        expect(code == 0 and out.split() == ["-", "10", os.path.join(d, "alpha")],
               "ls -l FILE", out, err)
        code, out, _ = run([p("bin/ls"), "-l", "/dev/null"])
        expect(out.split()[0] == "c", "ls -l shows a device as c", out)
        code, out, err = run([p("bin/ls"), "/nope", os.path.join(d, "zeta"), os.path.join(d, "sub")])
        expect(code == 2, "ls with a missing path exits 2 (as GNU ls)", str(code))
        expect(err == "ls: cannot access '/nope': No such file or directory\n", "ls's error", err)
        expect(out == f"{d}/zeta\n\n{d}/sub:\n", "files first, then each folder with a header",
               out)
        code, out, err = run([p("bin/ls"), "-x"])
        expect(code == 2 and "invalid option '-x'" in err, "ls refuses an unknown option", err)


def ps_names_a_missing_proc_file():
    # This host has no /proc/processes (the Quartz kernel provides it): the error path.
    expect(not os.path.exists("/proc/processes"), "this host has no /proc/processes")
    code, out, err = run([p("bin/ps")])
    expect(code == 1 and out == "" and
           err == "ps: /proc/processes: No such file or directory\n", "ps's error", err)
    code, _, err = run([p("bin/ps"), "-ef"])
    expect(code == 1 and "usage" in err, "ps takes no options", err)


def true_false_and_exit_codes():
    expect(run([p("bin/true")])[0] == 0, "true exits 0")
    expect(run([p("bin/false")])[0] == 1, "false exits 1")
    for n in (0, 1, 7, 42, 255):
        code, out, err = run([p("tests/exitcode"), str(n)])
        expect(code == n and out == err == "", f"exitcode {n}", str(code))
    code, _, err = run([p("tests/exitcode")])
    expect(code == 2 and "usage" in err, "exitcode without N prints its usage", err)


def argv_and_envp_pass_through():
    code, out, _ = run([p("tests/argv"), "one", "two words", ""], environ={"A": "1", "B": "x=y"})
    want = (f"argc=4\nargv[0]={p('tests/argv')}\nargv[1]=one\nargv[2]=two words\nargv[3]=\n"
            "envp[0]=A=1\nenvp[1]=B=x=y\n")
    expect(code == 0 and out == want, "argv prints argc, argv and envp in order", out)
    code, out, _ = run([p("tests/argv")], environ={})
    expect(out == f"argc=1\nargv[0]={p('tests/argv')}\n", "an empty environment", out)


# ---- the shell ----

def sh_runs_programs_with_arguments():
    code, out, err = sh("echo hello   world\nargv a b\n/bin/echo-nope\n")
    expect(out.startswith("hello world\nargc=3\nargv[0]=argv\nargv[1]=a\nargv[2]=b\n"),
           "sh runs programs found on PATH, argv[0] as typed", out, err)
    expect("envp[0]=PATH=" in out, "the environment is passed on", out)
    code, out, err = sh(f"{p('bin/echo')} by path\n")
    expect(out == "by path\n", "a command with a / is run as it is", out, err)
    code, out, err = run([p("bin/sh"), "-c", "echo 'from -c'"])
    expect(code == 0 and out == "from -c\n" and err == "", "sh -c LINE", out, err)


def sh_quoting_and_comments():
    script = ("echo 'single  quoted' \"double  quoted\" mixed'a b'\"c d\"e\n"
              "echo \"a \\\"quote\\\" and \\\\\" 'no \\escape' back\\ slash\n"
              "# a comment line\n"
              "   \n"
              "echo visible # the rest is a comment\n"
              "echo not#comment\n"
              "echo ''\n"
              "echo 'unterminated\n"
              "echo after\n")
    code, out, err = sh(script)
    want = ("single  quoted double  quoted mixeda bc de\n"
            "a \"quote\" and \\ no \\escape back slash\n"
            "visible\n"
            "not#comment\n"
            "\n"
            "after\n")
    expect(out == want, "quoting, escapes and comments", out, err)
    expect(err == "sh: syntax error: unterminated '\n", "an unterminated quote is an error", err)
    code, _, _ = sh("echo 'x\n")
    expect(code == 2, "a syntax error sets status 2", str(code))
    code, out, err = sh("echo a & echo b\n& \n")
    expect(out == "" and err.count("syntax error") == 2, "& must end a line after a command",
           out, err)


def sh_cd_and_pwd():
    with tempfile.TemporaryDirectory() as d:
        real = os.path.realpath(d)
        os.mkdir(os.path.join(real, "sub"))
        code, out, err = sh(f"cd {real}\npwd\ncd sub\npwd\ncd ..\npwd\ncd /nope\npwd\ncd\npwd\n"
                            f"cd {real}/sub/\nls -l ..\n")
        expect(out.splitlines()[:5] == [real, f"{real}/sub", real, real, "/"],
               "cd changes the directory pwd prints (HOME=/ without argument)", out, err)
        expect(out.splitlines()[5].split() == ["d", out.splitlines()[5].split()[1], "sub"],
               "programs run in the new directory", out)
        expect(err == "sh: cd: /nope: No such file or directory\n", "cd's error", err)
        code, out, err = sh("cd / /tmp\n")
        expect(code == 1 and err == "sh: cd: too many arguments\n", "cd A B is refused", err)


def sh_exit_status():
    expect(sh("exit 3\necho not reached\n")[:2] == (3, ""), "exit N ends the shell with N")
    expect(sh("false\nexit\n")[0] == 1, "exit without N: the last command's status")
    expect(sh("exitcode 4\n")[0] == 4, "at end of input: the last command's status")
    expect(sh("exit 300\n")[0] == 300 & 0xff, "exit N keeps the low 8 bits")
    code, out, err = sh("exit abc\n")
    expect(code == 2 and err == "sh: exit: abc: numeric argument required\n", "exit abc", err)
    expect(sh("")[0] == 0, "empty input: status 0")


def sh_background_job_and_done_line():
    code, out, err = sh("exitcode 3 &\ntrue &\nsegv &\nsleep 0.5\necho next\n")
    lines = out.splitlines()
    started = [line for line in lines if line.startswith("[") and line.endswith("]")]
    expect(len(started) == 3, "each background job prints [PID]", out, err)
    pids = [line[1:-1] for line in started]
    expect(all(pid.isdigit() for pid in pids), "[PID] holds the pid", out)
    done = [line for line in lines if line.startswith("[") and not line.endswith("]")]
    expect(sorted(done) == sorted([f"[{pids[0]}] Exit 3", f"[{pids[1]}] Done",
                                   f"[{pids[2]}] Segmentation fault"]),
           "finished jobs are reported before the next prompt", out, err)
    expect(lines[-1] == "next" and lines.index(done[-1]) == len(lines) - 2,
           "then the next command runs", out)
    expect("Segmentation fault" not in err, "a background job's signal is not reported twice",
           err)


def sh_missing_program_errors():
    with tempfile.TemporaryDirectory() as d:
        plain = os.path.join(d, "plain")
        with open(plain, "w") as f:
            f.write("not a program\n")
        os.chmod(plain, 0o644)
        code, out, err = sh(f"nosuchprog x\n/nope/x\n{plain}\necho still here\n")
        expect(out == "still here\n", "the shell goes on after each error", out, err)
        expect(err.splitlines() == ["sh: nosuchprog: command not found",
                                    "sh: /nope/x: No such file or directory",
                                    f"sh: {plain}: Permission denied"],
               "errors as bash words them", err)
        expect(sh("nosuchprog\n")[0] == 127, "a missing program: status 127")
        expect(sh(f"{plain}\n")[0] == 126, "a file that cannot run: status 126")


def sh_reports_fatal_signals():
    code, out, err = sh("segv\necho after\n")
    expect(out == "segv: writing to NULL\nafter\n", "the shell goes on after a crash", out, err)
    expect(err == "Segmentation fault\n", "a fatal signal is named as bash names it", err)
    expect(sh("segv\n")[0] == 128 + signal.SIGSEGV, "status 128 + the signal")


class Proc:
    """A process with stdin to write to and stdout/stderr read as they come."""

    def __init__(self, argv, **kw):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env(), **kw)
        self.out = {self.p.stdout.fileno(): b"", self.p.stderr.fileno(): b""}

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def wait_until(self, done, what, timeout=10):
        """Read stdout and stderr as they come until DONE() is true."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            expect(left > 0, f"waited {timeout}s for {what}", self.text("stdout"),
                   self.text("stderr"))
            ready, _, _ = select.select(list(self.out), [], [], left)
            for fd in ready:
                self.out[fd] += os.read(fd, 4096)

    def wait_for(self, text, stream="stdout", timeout=10):
        self.wait_until(lambda: text in self.text(stream), repr(text), timeout)
        return self.text(stream)

    def text(self, stream):
        f = self.p.stdout if stream == "stdout" else self.p.stderr
        return self.out[f.fileno()].decode(errors="replace")

    def finish(self, timeout=10):
        """Close stdin and wait for the process to end (not for its output: a background job
        it left may hold the pipes open); its exit status."""
        self.p.stdin.close()
        return self.p.wait(timeout=timeout)


def sh_ctrl_c_ends_only_the_foreground_program():
    # As a terminal does for Ctrl-C: SIGINT to the whole process group (sh, its jobs).
    s = Proc([p("bin/sh")], start_new_session=True)
    try:
        s.send("spin &\n")
        out = s.wait_for("spin: pid=")
        background = int(out.split("spin: pid=")[1].split()[0])
        s.send("spin\n")
        s.wait_until(lambda: s.text("stdout").count("spin: pid=") == 2, "the foreground spin")
        os.killpg(s.p.pid, signal.SIGINT)
        s.wait_for("Interrupt", stream="stderr")
        s.send("echo alive\n")
        s.wait_for("alive")
        os.kill(background, 0)  # raises if the background job died
        code = s.finish()
        expect(code == 0, "the shell survived Ctrl-C and ended at end of input", str(code))
    finally:  # the shell and whatever it started: the test's own process group
        os.killpg(s.p.pid, signal.SIGKILL)
        s.p.wait()


def init_restarts_the_shell():
    # init with our shell: its fds 0..2 are open (pipes), so it opens no /dev/console.
    i = Proc([p("sbin/init"), p("bin/sh")], start_new_session=True)
    try:
        i.send("echo from the first shell\nexit 3\n")
        i.wait_for(f"init: {p('bin/sh')} exited with status 3; starting it again")
        i.send("echo from the second shell\n")
        i.wait_for("from the second shell")
        i.p.stdin.close()  # the second shell ends at end of input, and init starts a third
        out = i.wait_for(f"init: {p('bin/sh')} exited with status 0; starting it again")
        expect(out.index("from the first shell") < out.index("status 3")
               < out.index("from the second shell"), "one shell after the other", out)
    finally:
        os.killpg(i.p.pid, signal.SIGKILL)
        i.p.wait()


# ---- the C library ----

def printf_family():
    code, out, err = run([p("tests/printf_test")])
    expect(code == 0 and out.endswith("checks, 0 failed\n"), "printf_test passes", out, err)
    expect(out.startswith("printf_test: printf on stdout\n"), "printf writes to stdout", out)


def libc_functions():
    code, out, err = run([p("tests/libc_test")])
    expect(code == 0 and out.endswith("checks, 0 failed\n"), "libc_test passes", out, err)


def malloc_stress():
    code, out, err = run([p("tests/malloc_test")], timeout=50)
    expect(code == 0 and ", 0 failures" in out, "malloc_test passes", out, err)


def malloc_refuses_a_bad_free():
    code, out, err = run([p("tests/malloc_test"), "--bad-free"])
    expect(code == -signal.SIGABRT, "free of a pointer malloc never gave aborts", str(code), err)
    expect(err == "free(): invalid pointer\n", "with glibc's words", err)


# ---- kill and sleep ----

def kill_and_sleep():
    start = time.monotonic()
    code, out, err = run([p("bin/sleep"), "0.3"])
    took = time.monotonic() - start
    expect(code == 0 and took >= 0.3, f"sleep 0.3 took {took:.2f}s", err)
    start = time.monotonic()
    expect(run([p("bin/sleep"), "1"])[0] == 0 and time.monotonic() - start >= 1, "sleep 1")
    for bad in ("x", "-1", "1.x", ""):
        code, _, err = run([p("bin/sleep"), bad])
        expect(code == 1 and err == f"sleep: invalid time interval '{bad}'\n", f"sleep {bad!r}",
               err)
    for spec, sig in ((None, signal.SIGTERM), ("-9", signal.SIGKILL), ("-KILL", signal.SIGKILL),
                      ("-SIGUSR1", signal.SIGUSR1), ("-int", signal.SIGINT)):
        victim = subprocess.Popen([p("bin/sleep"), "30"])
        try:
            code, out, err = run([p("bin/kill")] + ([spec] if spec else []) + [str(victim.pid)])
            expect(code == 0 and out == err == "", f"kill {spec}", err)
            expect(victim.wait(timeout=10) == -sig, f"kill {spec} sends signal {sig}",
                   str(victim.returncode))
        finally:
            victim.kill()
            victim.wait()
    code, _, err = run([p("bin/kill"), "2147483632"])
    expect(code == 1 and err == "kill: (2147483632) - No such process\n", "kill of no process",
           err)
    code, _, err = run([p("bin/kill"), "-NOSUCH", "1"])
    expect(code == 1 and err == "kill: NOSUCH: invalid signal specification\n", "kill -NOSUCH",
           err)
    code, _, err = run([p("bin/kill"), "12x"])
    expect(code == 1 and "arguments must be process IDs" in err, "kill 12x", err)
    code, out, _ = run([p("bin/kill"), "-l"])
    expect(" 9 KILL\n" in out and "15 TERM\n" in out, "kill -l lists the names", out)


# ---- the test programs ----

def badptr_matches_golden():
    golden = os.path.join(SRC, "tests", "badptr.golden")
    code, out, err = run([p("tests/badptr"), os.path.join(SRC, "etc", "motd")])
    with open(golden) as f:
        want = f.read()
    if out != want:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), out.splitlines(True),
                                            "badptr.golden", "this run"))
        raise AssertionError(f"badptr's answers differ from user/tests/badptr.golden:\n{diff}"
                             f"{err}")
    expect(code == 0, "badptr exits 0", err)


def execbad_on_the_host():
    # Linux refuses these as Quartz must; the others (kernel-range segments, bad entries...)
    # Linux runs or kills later, so only the Quartz tests check them.
    refused = ["bad_magic", "bad_phentsize", "empty", "no_segments", "phoff_past_end",
               "relocatable_et_rel", "too_many_phdrs", "too_short", "truncated_in_phdrs",
               "wrong_machine_x86_64"]
    bad = os.path.join(U, "tests", "bad")
    expect(len(os.listdir(bad)) >= 25, "gen_bad_elf.py wrote the bad files", str(os.listdir(bad)))
    code, out, err = run([p("tests/execbad")] + [os.path.join(bad, n) for n in refused])
    want = "".join(f"execbad: {bad}/{n}: execve = -8 ENOEXEC\n" for n in refused)
    expect(code == 0 and out == want, "malformed files are refused with ENOEXEC", out, err)
    code, out, _ = run([p("tests/execbad"), p("tests/tiny_exit42")])
    expect(code == 1 and out == f"execbad: {p('tests/tiny_exit42')}: ran, exit status 42\n",
           "the control is a valid program (so each bad file is bad for its one defect)", out)


def forkloop_runs_and_counts():
    code, out, err = run([p("tests/forkloop"), "20", p("bin/true")])
    expect(code == 0 and out == f"forkloop: runs=20 ok=20 failed=0 path={p('bin/true')}\n",
           "forkloop 20 true", out, err)
    code, out, err = run([p("tests/forkloop"), "3", p("bin/false")])
    expect(code == 1 and "runs=3 ok=0 failed=3" in out, "forkloop counts failures", out)
    code, out, err = run([p("tests/forkloop"), "2", "/nope"])
    expect(code == 1 and "failed=2" in out and "forkloop: /nope: No such file" in err,
           "forkloop of a missing program", out, err)


def waittest_passes_on_linux():
    # waittest's expectations (lab 6's waitpid) are Linux's: it passes here first.
    code, out, err = run([p("tests/waittest")])
    expect(code == 0 and re.search(r"waittest: (\d+) passed, 0 failed", out)
           and int(re.search(r"(\d+) passed", out).group(1)) == 13, "waittest on Linux", out, err)


def faults_end_in_sigsegv():
    for name, first in (("segv", "segv: writing to NULL\n"),
                        ("stackoverflow", "stackoverflow: recursing until the stack runs out\n")):
        code, out, _ = run([p("tests/" + name)])
        expect(code == -signal.SIGSEGV and out == first, f"{name} dies of SIGSEGV", str(code), out)


def bench_programs_print_key_values():
    for argv, key in ((["bench_syscall", "100"], "getpid_instructions"),
                      (["bench_spawn", p("bin/true"), "3"], "spawn_instructions"),
                      (["bench_switch", "200"], "switch_instructions")):
        code, out, err = run([p("tests/" + argv[0])] + argv[1:])
        prefix = f"{argv[0]}: {key}="
        expect(code == 0 and out.startswith(prefix) and out.count("\n") == 1,
               f"{argv[0]} prints one key=value line", out, err)
        expect(out[len(prefix):].split()[0].isdigit(), f"{key} is a number", out)


def initramfs_layout_and_reproducible():
    build = os.path.dirname(U)
    archive = os.path.join(build, "initramfs.cpio")
    listing = subprocess.run(["cpio", "-itv", "--quiet"], stdin=open(archive, "rb"),
                             capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        f = line.split()
        entries[f[-1]] = (f[0], f[2], f[3], " ".join(f[5:8]))
    for d in ("bin", "sbin", "test", "test/bad", "etc", "dev", "proc", "tmp", "lib/modules"):
        expect(entries.get(d, ("",))[0] == "drwxr-xr-x", f"/{d} is a folder", listing)
    for prog in ("bin/sh", "bin/cat", "bin/echo", "bin/ls", "bin/ps", "bin/kill", "bin/sleep",
                 "bin/true", "bin/false", "sbin/init", "test/badptr", "test/execbad",
                 "test/forkbomb", "test/bench_spawn", "test/tiny_exit42", "test/bad/empty"):
        expect(entries.get(prog, ("",))[0] == "-rwxr-xr-x", f"/{prog} is an executable file",
               listing)
    expect(entries.get("etc/motd", ("",))[0] == "-rw-r--r--", "/etc/motd is there", listing)
    expect(all(e[1] == "root" and e[2] == "root" for e in entries.values()), "owned by root")
    expect(all(e[3] == "Jan 1 1970" for e in entries.values()), "every mtime is 0", listing)
    names = [line.split()[-1] for line in listing.splitlines()]
    expect(names == sorted(names), "the entries are sorted", listing)
    if os.path.isdir(os.path.join(build, "modules")):
        kos = sorted(n for n in os.listdir(os.path.join(build, "modules")) if n.endswith(".ko"))
        expect(kos and all(f"lib/modules/{k}" in entries for k in kos), "the modules' .ko files",
               listing)
    # Packing the same files twice gives the same bytes, whatever their times on disk.
    with tempfile.TemporaryDirectory() as d:
        outs = []
        for n in range(2):
            os.utime(p("bin/echo"), (1000 + n, 1000 + n))
            out = os.path.join(d, f"{n}.cpio")
            subprocess.run([sys.executable, os.path.join(SRC, "mkinitramfs.py"),
                            "--stage", os.path.join(d, f"root{n}"), "--out", out,
                            "--program", f"bin/echo={p('bin/echo')}",
                            "--file", f"etc/motd={os.path.join(SRC, 'etc', 'motd')}",
                            "--dir", "tmp"], check=True, capture_output=True)
            outs.append(out)
        expect(filecmp.cmp(outs[0], outs[1], shallow=False), "mkinitramfs is reproducible")
        r = subprocess.run([sys.executable, os.path.join(SRC, "mkinitramfs.py"), "--stage",
                            os.path.join(d, "x"), "--out", os.path.join(d, "x.cpio"), "--file",
                            "bin/x=/nope"], capture_output=True, text=True)
        expect(r.returncode == 1 and r.stderr == "mkinitramfs: /nope: No such file or directory\n"
               and not os.path.exists(os.path.join(d, "x.cpio")),
               "a missing input is one clear error and no archive", r.stderr)


def main():
    global U
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("test")
    args = ap.parse_args()
    U = os.path.join(os.path.abspath(args.build), "user")
    if not os.path.exists(p("bin/sh")):
        print(f"FAIL {args.test}: {p('bin/sh')} is not built (cmake --build {args.build})")
        return 1
    start = time.monotonic()
    try:
        globals()[args.test]()
    except Exception:
        import traceback
        traceback.print_exc()
        print(f"FAIL {args.test} ({time.monotonic() - start:.1f}s)")
        return 1
    print(f"PASS {args.test} ({time.monotonic() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
