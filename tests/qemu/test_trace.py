"""Tracing under QEMU: `trace dump` is valid Chrome trace-event JSON that tells the sched
story in order, tools/trace.sh writes trace.json and trace.svg, two runs of one boot script
under -icount shift=0,sleep=off are byte-identical, and the lost wakeup shows in a trace."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from quartz_qemu import Qemu, trace_tool

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
tracetool = trace_tool()  # tools/trace.py: extract(), the SVG renderer

IRQ_TID = 1000


def _modules(build):
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    assert mods, "no modules built in build/modules"
    return mods


def _traced(build, commands, **kw):
    """Boots, runs the commands under `trace start`, returns the dumped trace document."""
    with Qemu(build, icount=True, initrd=_modules(build), **kw) as q:
        q.prompt()
        q.command("trace clear")
        q.command("trace start")
        for c in commands:
            q.command(c, timeout=60)
        q.command("trace stop")
        out = q.command("trace dump", timeout=60)
        assert out.startswith(tracetool.BEGIN + "\n"), out[:500]
        assert out.rstrip("\n").endswith(tracetool.END), out[-500:]
        _, doc = tracetool.extract(out)
        return doc


def _names(doc):
    return [e.get("name") for e in doc["traceEvents"] if e.get("ph") != "M"]


def _index(names, name, after=-1):
    for i in range(after + 1, len(names)):
        if names[i] == name:
            return i
    raise AssertionError(f"no {name!r} after event #{after} in the trace:\n" +
                         "\n".join(n for n in names if not n.startswith(("tick", "IRQ"))))


def _check_structure(doc):
    """Chrome trace-event format as the kernel writes it; returns the nested routine runs."""
    assert doc.get("displayTimeUnit") in ("ns", "ms"), doc.get("displayTimeUnit")
    other = doc["otherData"]
    for key in ("clock", "hz", "events", "overwritten"):
        assert key in other, other
    assert other["overwritten"] == 0, other
    meta = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}
    assert meta.get(IRQ_TID) == "interrupts" and "shell" in meta.values(), meta
    stacks, last_ts, routines, last_jiffies = {}, 0.0, [], None
    for e in doc["traceEvents"]:
        if e["ph"] == "M":
            continue
        assert e["ph"] in ("B", "E", "i"), e
        assert e["pid"] == 1 and isinstance(e["tid"], int) and isinstance(e["name"], str), e
        assert e["ts"] >= last_ts, f"time went back at {e}"
        last_ts = e["ts"]
        stack = stacks.setdefault(e["tid"], [])
        if e["ph"] == "B":
            if e["cat"] == "routine":
                routines.append((e["name"], [s["name"] for s in stack]))
            stack.append(e)
        elif e["ph"] == "E":
            assert stack, f"E without B on tid {e['tid']}: {e}"
            top = stack.pop()
            assert top["name"] == e["name"], f"E {e} closes B {top}"
        elif e["name"] == "tick":
            j = e["args"]["jiffies"]
            assert last_jiffies is None or j == last_jiffies + 1, (last_jiffies, e)
            last_jiffies = j
    # Only `running` slices may still be open when tracing stopped (the shell's own).
    for tid, stack in stacks.items():
        assert all(s["name"] == "running" for s in stack), (tid, stack)
    assert not stacks.get(IRQ_TID), stacks.get(IRQ_TID)
    return routines


def trace_dump_is_valid_chrome_json(build):
    doc = _traced(build, ["insmod sched", "sleep 50", "rmmod sched"])
    routines = _check_structure(doc)
    ticks = [r for r in routines if r[0] == "sched_tick+0x0 [sched]"]
    assert len(ticks) >= 4, routines
    for name, outer in ticks:  # routine inside the drain inside the timer interrupt
        assert outer == ["IRQ 0 (timer)", "drain tq_timer"], (name, outer)
    names = _names(doc)
    i = _index(names, "module sched: init_module")
    i = _index(names, "queue_task sched_tick+0x0 [sched]", i)
    i = _index(names, "module sched: live", i)
    i = _index(names, "sched_tick+0x0 [sched]", i)
    i = _index(names, "module sched: cleanup_module", i)
    i = _index(names, "sleep on WaitQ", i)
    i = _index(names, "wake_up WaitQ (1 woken)", i)
    i = _index(names, "module sched: free", i)
    assert "sched_tick+0x0 [sched]" not in names[i:], "the routine ran after the free"
    running = {e["tid"] for e in doc["traceEvents"] if e.get("name") == "running"}
    assert len(running) >= 2, running  # the shell slept in rmmod; idle ran meanwhile


def trace_sh_writes_json_and_svg(build):
    with tempfile.TemporaryDirectory(prefix="quartz-trace-") as tmp:
        script = os.path.join(tmp, "story.txt")
        with open(script, "w") as f:
            f.write("# the guide's story\ninsmod sched\nsleep 30\nrmmod sched\n")
        out_dir = os.path.join(tmp, "out")
        p = subprocess.run([os.path.join(ROOT, "tools", "trace.sh"), "-o", out_dir,
                            "--build", build, script], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr
        assert "ui.perfetto.dev" in p.stdout and "trace.svg" in p.stdout, p.stdout
        with open(os.path.join(out_dir, "trace.json")) as f:
            doc = json.load(f)
        _check_structure(doc)
        assert "module sched: free" in _names(doc)
        svg_path = os.path.join(out_dir, "trace.svg")
        root = ET.parse(svg_path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
        texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        for name in ("interrupts", "idle", "shell", "sched: init_module", "sched: free"):
            assert name in texts, (name, sorted(t for t in texts if t)[:80])
        assert any(t and t.startswith("IRQ 0") for t in texts), "no IRQ bar labelled"
        # The renderer alone, with a linear axis, gives a parseable picture too.
        lin = os.path.join(tmp, "linear.svg")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "trace.py"), "svg",
                        os.path.join(out_dir, "trace.json"), "-o", lin, "--linear"],
                       check=True, capture_output=True, timeout=60)
        ET.parse(lin)
        # No trace (the script powers off first): a non-zero exit and one clear line.
        p = subprocess.run([os.path.join(ROOT, "tools", "trace.sh"), "-q", "-o", out_dir,
                            "--build", build, "-e", "poweroff 3"], capture_output=True,
                           text=True, timeout=120)
        assert p.returncode != 0, p.stdout + p.stderr
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and "no trace" in lines[0], p.stderr


DETERMINISTIC_SCRIPT = ("trace start; tqdemo start; sleep 30; insmod sched; sleep 50; "
                        "cat /proc/sched; rmmod sched; tqdemo count; tqdemo stop; uptime; ps; "
                        "mem; tq; trace stop; trace dump; bootstat; poweroff 0")


def _boot_script_output(build):
    with Qemu(build, icount=True, initrd=_modules(build),
              append=f'run="{DETERMINISTIC_SCRIPT}"') as q:
        q.expect(tracetool.END, timeout=60)
        status = q.wait_exit(60)
        assert status == 1, (status, q.output[-2000:])
        return q.output


def deterministic_runs_are_byte_identical(build):
    first = _boot_script_output(build)
    second = _boot_script_output(build)
    if first != second:
        a, b = first.splitlines(), second.splitlines()
        diff = [f"line {i + 1}:\n  run 1: {x!r}\n  run 2: {y!r}"
                for i, (x, y) in enumerate(zip(a, b)) if x != y][:10]
        raise AssertionError(f"serial outputs differ ({len(first)} vs {len(second)} bytes):\n"
                             + "\n".join(diff))
    # The runs did something worth comparing: a full trace and the module's count.
    _, doc = tracetool.extract(first)
    names = _names(doc)
    assert "module sched: free" in names and "Timer called" in first, first[-2000:]
    assert any("counting_routine" in n for n in names), sorted(set(names))


def trace_lost_wakeup_story(build):
    doc = _traced(build, ["lostwakeup sleep_on"])
    _check_structure(doc)
    names = _names(doc)
    i = _index(names, "wake_up lost_wakeup_wq (0 woken)")
    i = _index(names, "sleep on lost_wakeup_wq", i)
    # Nobody woke the sleeper: the watchdog released it.
    assert not any(n.startswith("wake_up lost_wakeup_wq (") and not n.endswith("(0 woken)")
                   for n in names[i:]), names[i:]


def trace_shows_system_calls_fork_exec_exit(build):
    # /test/forkloop 1 /bin/true: a fork, an execve, two exits, and the calls between them.
    with Qemu(build, icount=True, initrd=[os.path.join(build, "initramfs.cpio")]) as q:
        q.prompt()
        q.command("trace clear")
        q.command("trace start")
        q.command("exec /test/forkloop 1 /bin/true", timeout=60)
        q.command("trace stop")
        out = q.command("trace dump", timeout=60)
        _, doc = tracetool.extract(out)
    names = _names(doc)
    exec_parent = _index(names, next(n for n in names if n and n.startswith("exec pid ")))
    fork = next(i for i, n in enumerate(names) if n and n.startswith("fork ") and i > exec_parent)
    child = names[fork].split("-> ")[1]
    i = _index(names, "syscall fork = " + child, exec_parent)
    j = _index(names, f"exec pid {child}", exec_parent)
    k = next(i for i, n in enumerate(names) if n == f"exit pid {child} status 0x0")
    w = _index(names, "syscall waitpid = " + child, k)
    assert exec_parent < i and exec_parent < j < k < w, (exec_parent, i, j, k, w)
    assert any(n.startswith("syscall write = ") for n in names), names


def strace_prints_each_system_call(build):
    with Qemu(build, initrd=[os.path.join(build, "initramfs.cpio")]) as q:
        q.prompt()
        q.command("strace on")
        out = q.command("exec /bin/echo hi")
        assert re.search(r"(?m)^\[\d+\] write\(0x1, 0x4[0-9a-f]+, 0x3\) = 3$", out), out
        assert re.search(r"(?m)^\[\d+\] exit", out) is None  # exit never returns
        q.command("strace off")
        assert "write(" not in q.command("exec /bin/echo hi")
