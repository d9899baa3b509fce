"""Module parameters under QEMU: `insmod sched interval=5` slows the guide's routine down
five times, bad values and unknown names are refused with one line and nothing loaded,
every type reaches the module (quotes included) and /proc/params shows the values, and
from user space /sbin/insmod passes them through init_module(2)."""
import re

from quartz_qemu import Qemu, initramfs, shipped_modules, test_modules

COUNT = r"Timer called (\d+) times so far"


def _boot(build, **kw):
    mods = shipped_modules(build) + test_modules(build, "params_all", "params_bad")
    return Qemu(build, initrd=mods, **kw)


def _nothing_loaded(q):
    assert q.command("lsmod").splitlines()[1:] == [], q.output[-500:]
    assert q.command("cat /proc/sched") == "cat: /proc/sched: no such file\n"


def interval_slows_the_routine(build):
    # As test_modules.sched_story: a boot script, so that under -icount the 500 ms are
    # exact. At HZ=100 the default counts about 50 in 500 ms; interval=5 about 10.
    script = ("insmod sched interval=5; cat /proc/sched; sleep 500; cat /proc/sched; "
              "cat /proc/params; rmmod sched; insmod sched; cat /proc/sched; sleep 500; "
              "cat /proc/sched; rmmod sched")
    with _boot(build, icount=True, append=f'run="{script}"') as q:
        q.expect(r"sched: loaded at")
        first = int(q.expect(COUNT).group(1))
        q.expect(r"interval: 5 ticks\n")
        second = int(q.expect(COUNT).group(1))
        assert 9 <= second - first <= 11, (first, second)
        q.expect(r"\nsched +interval +int +0444 +5 +ticks between two runs")
        took = int(q.expect(r"sched: unloaded \(cleanup_module took (\d+) ticks?\)").group(1))
        assert took <= 5, took  # the work notices `die` at its next run: within 5 ticks
        q.expect(r"sched: loaded at")  # a reload without parameters: the default again
        first = int(q.expect(COUNT).group(1))
        q.expect(r"interval: 1 ticks\n")
        second = int(q.expect(COUNT).group(1))
        assert 45 <= second - first <= 55, (first, second)
        q.expect(r"sched: unloaded")
        q.prompt()


def bad_parameters_are_refused(build):
    with _boot(build) as q:
        q.prompt()
        mem = q.command("mem").splitlines()[0]
        for cmd, msg in [
            ("insmod sched interval=abc", "insmod: sched.ko: interval: 'abc' is not an int"),
            ("insmod sched interval=", "insmod: sched.ko: interval: '' is not an int"),
            ("insmod sched interval=99999999999",
             "insmod: sched.ko: interval: '99999999999' is out of range for an int"),
            ("insmod sched interval", "insmod: sched.ko: interval: needs a value"),
            ("insmod sched bogus=1", "insmod: sched.ko: unknown parameter 'bogus'"),
            # Nothing is stored unless all is valid: a good word first changes nothing.
            ("insmod sched interval=3 nope", "insmod: sched.ko: unknown parameter 'nope'"),
            ("insmod hello who=x", "insmod: hello.ko: unknown parameter 'who'"),
            ("insmod params_all verbose=maybe",
             "insmod: params_all.ko: verbose: 'maybe' is not a bool (1/0, y/n, Y/N, true/false)"),
            ("insmod params_all count=-1", "insmod: params_all.ko: count: '-1' is not a uint"),
        ]:
            out = q.command(cmd)
            assert out == msg + "\n", (cmd, out)
            _nothing_loaded(q)
        # A descriptor pointing into the module's code (not made by module_param) is refused
        # before anything is stored, with or without parameters.
        for cmd in ("insmod params_bad", "insmod params_bad bad=1"):
            out = q.command(cmd)
            assert out == ("insmod: params_bad.ko: parameter bad: its variable lies outside "
                           "the module's data\n"), (cmd, out)
            _nothing_loaded(q)
        # init_module refusing a value it parsed (sched wants interval >= 1): undone too.
        out = q.command("insmod sched interval=0")
        assert "sched: interval must be at least 1 (got 0)" in out, out
        assert "init_module failed with -22" in out, out
        _nothing_loaded(q)
        assert q.command("cat /proc/params").splitlines()[1:] == []
        q.command("sleep 20")
        assert q.command("mem").splitlines()[0] == mem  # nothing kept: copies freed
        assert "sched: loaded" in q.command("insmod sched interval=2")  # and it still loads
        assert "interval: 2 ticks" in q.command("cat /proc/sched")


def every_type_reaches_the_module(build):
    with _boot(build) as q:
        q.prompt()
        out = q.command("insmod params_all")
        assert "params_all: level=-1 count=7 verbose=0 who=[nobody] hidden=3" in out, out
        q.command("rmmod params_all")
        out = q.command("insmod params_all level=-42 count=0xffffffff verbose "
                        "who='two  words' hidden=9")
        assert ("params_all: level=-42 count=4294967295 verbose=1 who=[two  words] hidden=9"
                in out), out
        rows = q.command("cat /proc/params").splitlines()
        assert re.match(r"Module +Parameter +Type +Perm +Value +Description", rows[0]), rows
        got = {r.split()[1]: r for r in rows[1:]}
        assert set(got) == {"level", "count", "verbose", "who"}, rows  # hidden: perm 0
        assert re.match(r"params_all +level +int +0444 +-42 +an int$", got["level"])
        assert re.match(r"params_all +count +uint +0444 +4294967295 *$", got["count"])
        assert re.match(r"params_all +verbose +bool +0644 +Y *$", got["verbose"])
        assert re.match(r"params_all +who +charp +0444 +two  words +a string$", got["who"])
        q.command("rmmod params_all")
        out = q.command("insmod params_all verbose=n who= level=+5")
        assert "params_all: level=5 count=7 verbose=0 who=[] hidden=3" in out, out
        q.command("rmmod params_all")
        assert "EXCEPTION" not in q.output


def user_insmod_passes_parameters(build):
    # /sbin/insmod joins its arguments into init_module's params string; /sbin/rmmod sleeps
    # in cleanup_module until the work's next run: up to 200 ticks with interval=200.
    with Qemu(build, icount=True, initrd=[initramfs(build)]) as q:
        q.prompt()
        out = q.command("exec /sbin/insmod /lib/modules/sched.ko interval=abc")
        assert "insmod: sched.ko: interval: 'abc' is not an int" in out, out
        assert "Invalid argument" in out, out  # EINVAL, as kmod prints it
        _nothing_loaded(q)
        q.command("exec /sbin/insmod /lib/modules/sched.ko interval=200")
        assert "interval: 200 ticks" in q.command("cat /proc/sched")
        assert re.search(r"sched +interval +int +0444 +200", q.command("cat /proc/params"))
        q.command("sleep 30")
        q.command("bg exec /sbin/rmmod sched")
        q.command("sleep 30")
        ps = q.command("ps")
        assert re.search(r"rmmod.*WaitQ", ps), ps  # the rmmod process sleeps in cleanup_module
        m = q.expect(r"sched: unloaded \(cleanup_module took (\d+) ticks?\)", timeout=30)
        assert 30 <= int(m.group(1)) <= 200, m.group(1)  # printed after bg's prompt
        _nothing_loaded(q)
