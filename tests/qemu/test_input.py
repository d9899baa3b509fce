"""Bad input on the serial console: nothing typed can crash the kernel or wedge the
shell (random bytes, NULs, escape sequences, very long lines, floods during a command)."""
import random
import re

from quartz_qemu import Qemu


def random_bytes(build):
    rng = random.Random(1234)
    junk = bytes(rng.randrange(256) for _ in range(20000))
    with Qemu(build) as q:
        q.prompt()
        q.send(junk)
        q.send(b"\x03")  # Ctrl-C: drop whatever line the junk left behind
        q.send("\necho survived random\n")
        q.expect(r"survived random\n")
        q.prompt()
        assert q.command("echo and again") == "and again\n"


def nuls_and_escapes(build):
    with Qemu(build) as q:
        q.prompt()
        # NULs, cursor keys, a CSI with parameters, SS3 keys, stray controls.
        q.send(b"ec\x00ho\x1b[A\x1b[1;5D \x1bOPesc\x07\x01aped\r\n")
        q.expect(r"\nescaped\n")
        q.prompt()


def backspace_editing(build):
    with Qemu(build) as q:
        q.prompt()
        q.send("echo helXX\x7f\x7flo\b\bLO\n")
        q.expect(r"\nhelLO\n")


def long_line_refused(build):
    with Qemu(build) as q:
        q.prompt()
        q.send("x" * 10000 + "\n")
        q.expect(r"shell: line too long \(max 256 characters\); ignored\n")
        q.prompt()
        assert q.command("echo fine") == "fine\n"
        # A line of exactly the maximum is accepted.
        line = "echo " + "y" * 251
        assert q.command(line) == "y" * 251 + "\n"


def crlf_is_one_line_end(build):
    with Qemu(build) as q:
        q.prompt()
        q.send("echo a\r\necho b\r\n")
        q.expect(r"\na\nquartz> echo b\nb\nquartz> ")
        assert "quartz> quartz>" not in q.output


def flood_during_command(build):
    rng = random.Random(99)
    with Qemu(build) as q:
        q.prompt()
        q.send("sleep 300\n")
        q.send(bytes(rng.choice(b"abcdefgh \x00\x1b[;") for _ in range(5000)))
        q.send(b"\x03\necho after flood\n")
        # The typed line's echo, then the command's own output on a line of its own: the
        # shell did not only echo the line, it ran it.
        q.expect(r"echo after flood\n", timeout=60)
        q.expect(r"(?m)^after flood\n")
        q.prompt()
