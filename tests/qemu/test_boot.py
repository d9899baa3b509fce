"""Boot and shell: -kernel and GRUB boots, the commands of the first hour, the boot
script, HZ, poweroff/reboot, the keyboard and the in-kernel self-tests."""
import re

from quartz_qemu import PANIC_STATUS, Qemu, exit_status


def boot_kernel(build):
    with Qemu(build) as q:
        q.expect(r"Quartz teaching kernel")
        q.expect(r"HZ=100")
        q.prompt()
        out = q.command("help")
        for name in ("help", "echo", "uptime", "mem", "hz", "poweroff", "reboot", "crash",
                     "selftest"):
            assert re.search(rf"^  {name} ", out, re.M), f"help does not list {name}:\n{out}"
        assert q.command("echo hello   quartz world") == "hello quartz world\n"
        assert q.command('echo "two  spaces"') == "two  spaces\n"
        assert re.search(r"heap: \d+ bytes in use", q.command("cat /proc/meminfo"))
        m = re.search(r"\n  0   0x20 +(\d+) +0  timer", q.command("cat /proc/interrupts"))
        assert m and int(m.group(1)) > 0, q.output[-1000:]
        q.send("poweroff 3\n")
        assert q.wait_exit() == exit_status(3)


def boot_iso_grub(build):
    with Qemu(build, iso=True) as q:
        q.expect(r"Quartz teaching kernel", timeout=60)
        q.prompt()
        out = q.command("uptime")
        assert re.search(r"up \d+ ticks, \d+\.\d\d s at HZ=100", out), out
        q.send("poweroff 0\n")
        assert q.wait_exit() == exit_status(0)


def uptime_advances(build):
    with Qemu(build) as q:
        q.prompt()
        first = int(re.search(r"up (\d+) ticks", q.command("uptime")).group(1))
        # Ask again until the tick counter has moved (bounded by the expect timeouts).
        for _ in range(200):
            now = int(re.search(r"up (\d+) ticks", q.command("uptime")).group(1))
            if now > first:
                break
        assert now > first, "jiffies did not advance"


def unknown_command_and_usage(build):
    with Qemu(build) as q:
        q.prompt()
        out = q.command("frobnicate now")
        assert out == "unknown command: frobnicate (type 'help' for the list)\n", out
        assert q.command("hz 1 2").startswith("usage: hz [N | --measure]")
        assert "unknown kind 'zz'" in q.command("crash zz")
        assert q.command('echo "unterminated').startswith("shell: ")
        assert q.command("") == ""
        assert q.command("echo still here") == "still here\n"


def hz_command(build):
    with Qemu(build) as q:
        q.prompt()
        assert q.command("hz") == "HZ=100\n"
        assert q.command("hz 250") == "HZ=250\n"
        assert q.command("hz") == "HZ=250\n"
        assert q.command("hz 5000") == "hz: 5000 is out of range (19..1000)\n"
        assert q.command("hz 18") == "hz: 18 is out of range (19..1000)\n"
        assert q.command("hz abc").startswith("usage: hz")
        assert q.command("hz") == "HZ=250\n"


def hz_cmdline(build):
    with Qemu(build, append="hz=50") as q:
        q.expect(r"HZ=50\b")
        q.prompt()
        assert q.command("hz") == "HZ=50\n"
    with Qemu(build, append="hz=5000") as q:
        q.expect(r"cmdline: hz=5000 is not a number in 19\.\.1000; using HZ=100")
        q.prompt()
        assert q.command("hz") == "HZ=100\n"


def pit_rate_matches_hz(build):
    # Under -icount shift=0 the TSC counts virtual nanoseconds, so a tick at HZ must be
    # 1e9/HZ TSC units apart: this checks the PIT divisor, not just the variable.
    with Qemu(build, icount=True) as q:
        q.prompt()
        for hz in (100, 250, 1000):
            q.command(f"hz {hz}")
            out = q.command("hz --measure")
            per_tick = int(re.search(r"(\d+) TSC per tick", out).group(1))
            expected = 1e9 / hz
            assert abs(per_tick - expected) / expected < 0.01, (hz, per_tick, expected)


def boot_script(build):
    with Qemu(build, append="run=\"echo one; echo 'two;three'; poweroff 5\"") as q:
        q.expect(r"quartz> echo one\none\n")
        q.expect(r"quartz> echo 'two;three'\ntwo;three\n")
        assert q.wait_exit() == exit_status(5)


def poweroff_without_debug_exit(build):
    # Without isa-debug-exit the ACPI shutdown port ends QEMU with status 0.
    with Qemu(build, debug_exit=False) as q:
        q.prompt()
        q.send("poweroff 9\n")
        assert q.wait_exit() == 0


def reboot_command(build):
    with Qemu(build) as q:  # -no-reboot: a reset ends QEMU with status 0
        q.prompt()
        q.send("reboot\n")
        q.expect(r"rebooting")
        assert q.wait_exit() == 0


def poweroff_bad_code(build):
    with Qemu(build) as q:
        q.prompt()
        assert q.command("poweroff 300").startswith("usage: poweroff")
        assert q.command("poweroff x").startswith("usage: poweroff")
        q.send("poweroff\n")
        assert q.wait_exit() == exit_status(0)


def keyboard_feeds_shell(build):
    with Qemu(build, monitor=True) as q:
        q.prompt()
        for key in ["e", "c", "h", "o", "spc", "shift-k", "b", "d", "shift-1", "ret"]:
            q.monitor(f"sendkey {key}")
        q.expect(r"echo Kbd!\nKbd!\n")
        q.prompt()


def selftests(build):
    with Qemu(build, icount=True, append='panic=exit run="selftest --exit"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0, q.output
        assert int(m.group(1)) > 0
        assert q.wait_exit() == exit_status(0)


def selftests_8mib(build):
    with Qemu(build, memory=8, icount=True, append='panic=exit run="mem; selftest --exit"') as q:
        m = q.expect(r"(\d+) passed, (\d+) failed", timeout=120)
        assert int(m.group(2)) == 0, q.output
        assert q.wait_exit() == exit_status(0)


def panic_exit_status(build):
    with Qemu(build, append='panic=exit run="crash stack"') as q:
        q.expect(r"kernel panic:")
        assert q.wait_exit() == PANIC_STATUS
