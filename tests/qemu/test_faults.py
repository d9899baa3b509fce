"""Faults: each `crash` kind prints the vector's name, error code, EIP with its symbol,
registers and a backtrace, then the shell carries on; a stack overflow is reported by
the double-fault task and ends in a clean panic."""
import re

from quartz_qemu import PANIC_STATUS, Qemu

CASES = {
    "de": (0, r"#DE divide error", None),
    "ud": (6, r"#UD invalid opcode", None),
    "pf": (14, r"#PF page fault, error code 0x0",
           r"CR2=00000010: not-present page, read -- a NULL pointer dereference\?"),
    "gp": (13, r"#GP general protection, error code 0x38", None),
    "bp": (3, r"#BP breakpoint", None),
}


def _check_dump(q, kind):
    vector, name, extra = CASES[kind]
    q.send(f"crash {kind}\n")
    q.expect(rf"\*\*\* EXCEPTION {vector}: {name}")
    q.expect(r"EIP=[0-9a-f]{8} <[^>]*(cmd_crash|fault_)[^>]*\+0x[0-9a-f]+>")
    if extra:
        q.expect(extra)
    q.expect(r"EAX=[0-9a-f]{8} EBX=[0-9a-f]{8} ECX=[0-9a-f]{8} EDX=[0-9a-f]{8}")
    q.expect(r"ESI=[0-9a-f]{8} EDI=[0-9a-f]{8} EBP=[0-9a-f]{8} ESP=[0-9a-f]{8}")
    q.expect(r"CS=0008 DS=0010 ES=0010 FS=0010 GS=0010 SS=0010 EFLAGS=[0-9a-f]{8}")
    q.expect(r"Backtrace:\n(  [0-9a-f]{8} <.*>\n)*  [0-9a-f]{8} <.*shell_run_line.*>\n")
    q.expect(rf"shell: 'crash' was stopped by a fault; the shell carries on")
    q.prompt()
    assert q.command(f"echo alive after {kind}") == f"alive after {kind}\n"


def _make(kind):
    def test(build):
        with Qemu(build) as q:
            q.prompt()
            _check_dump(q, kind)
    test.__name__ = f"crash_{kind}"
    return test


crash_de = _make("de")
crash_ud = _make("ud")
crash_pf = _make("pf")
crash_gp = _make("gp")
crash_bp = _make("bp")


def crash_all_in_one_boot(build):
    # Recovery must leave the shell fully usable, fault after fault.
    with Qemu(build) as q:
        q.prompt()
        for kind in ("de", "ud", "pf", "gp", "bp", "pf", "de"):
            _check_dump(q, kind)
        out = q.command("mem")
        assert "bytes in use" in out


def crash_stack_overflow(build):
    with Qemu(build, append="panic=exit") as q:
        q.prompt()
        q.send("crash stack\n")
        q.expect(r"\*\*\* EXCEPTION 8: #DF double fault \(on its own stack\)")
        q.expect(r"EIP=[0-9a-f]{8} <.*overflow_stack.*>")
        # The register dump of the faulting context (lab 2's print_registers), its ESP in
        # the guard page below the shell's stack.
        q.expect(r"EAX=[0-9a-f]{8} EBX=[0-9a-f]{8} ECX=[0-9a-f]{8} EDX=[0-9a-f]{8}\n"
                 r"ESI=[0-9a-f]{8} EDI=[0-9a-f]{8} EBP=[0-9a-f]{8} ESP=e[0-9a-f]{7}\n"
                 r"CS=[0-9a-f]{4} DS=[0-9a-f]{4} ES=[0-9a-f]{4} FS=[0-9a-f]{4} GS=[0-9a-f]{4} "
                 r"SS=[0-9a-f]{4} EFLAGS=[0-9a-f]{8}\n")
        q.expect(r"kernel panic: kernel stack overflow in thread shell \(ESP=e[0-9a-f]{7} hit the guard page\)")
        q.expect(r"Backtrace:\n  [0-9a-f]{8} <.*overflow_stack.*>")
        assert q.wait_exit() == PANIC_STATUS


def crash_stack_halts_by_default(build):
    # The kernel's default, panic=halt (the test harness boots with panic=exit unless told
    # otherwise): the machine halts with the panic line and stays up (no reset).
    with Qemu(build, append="panic=halt") as q:
        q.prompt()
        q.send("crash stack\n")
        q.expect(r"kernel panic: kernel stack overflow")
        q.expect(r"System halted\.")
        assert q.proc.poll() is None, "QEMU exited: the panic reset the machine"
