#!/usr/bin/env python3
"""Runs shell commands under QEMU with the kernel's trace on, and draws the trace.

  trace.py run [-o DIR] [--build BUILD] [--type|--cmdline] SCRIPT_FILE | -e "CMD; CMD"
      boot build/quartz.elf under -icount shift=0,sleep=off with every build/modules/*.ko,
      run `trace clear; trace start; <commands>; trace stop; trace dump; poweroff 0`,
      and write DIR/trace.json (Chrome trace-event JSON), DIR/trace.svg and DIR/serial.log.
  trace.py svg TRACE.json [-o TRACE.svg] [--linear] [--width PX]
      draw a timeline: one row per thread plus the interrupts row.
  trace.py extract SERIAL_LOG [-o trace.json]
      take the last trace out of a saved serial log (for instance a record/replay run).

tools/trace.sh is `trace.py run`. Python 3 standard library only."""
import argparse
import bisect
import glob
import json
import math
import os
import re
import sys
from xml.sax.saxutils import escape

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BEGIN = "=== QUARTZ TRACE BEGIN ==="
END = "=== QUARTZ TRACE END ==="
IRQ_TID = 1000
PROG = os.environ.get("QUARTZ_TRACE_PROG", "trace.py")


class TraceError(Exception):
    """A failure reported as one line: `PROG: message`."""


# ---------------------------------------------------------------------------------------
# Finding the trace in the serial output
# ---------------------------------------------------------------------------------------
def extract(serial_text):
    """Returns (json_text, document) of the last complete trace in the serial output."""
    text = serial_text.replace("\r", "")
    start = text.rfind(BEGIN + "\n")
    if start < 0:
        raise TraceError(f"the kernel printed no trace (no '{BEGIN}' line in the serial output)")
    body_start = start + len(BEGIN) + 1
    end = text.find("\n" + END, body_start - 1)
    if end < 0:
        raise TraceError(f"the trace is cut short (no '{END}' line after '{BEGIN}')")
    body = text[body_start:end + 1]
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as e:
        raise TraceError(f"the text between the trace markers is not valid JSON: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        raise TraceError("the trace JSON has no \"traceEvents\" list")
    return body, doc


# ---------------------------------------------------------------------------------------
# Commands: a script file (one or more commands per line, # comments) or -e "A; B"
# ---------------------------------------------------------------------------------------
def split_commands(text):
    """Splits at `;` and newlines outside quotes (the kernel's own boot-script rule)."""
    out, cur, quote = [], [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch in ";\n":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [c.strip() for c in out if c.strip()]


def read_script(path):
    with open(path, encoding="utf-8") as f:
        lines = [ln for ln in f.read().splitlines() if not ln.lstrip().startswith("#")]
    return split_commands("\n".join(lines))


# ---------------------------------------------------------------------------------------
# Running QEMU
# ---------------------------------------------------------------------------------------
def run_qemu(build, commands, mode, extra_append, timeout):
    """Boots the kernel, runs the wrapped commands, returns (serial output, exit status)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from quartz_qemu import Qemu, QemuError  # waits for output, no sleeps

    kernel = os.path.join(build, "quartz.elf")
    if not os.path.exists(kernel):
        raise TraceError(f"no kernel at {kernel}; build first: cmake --build {build}")
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    if os.path.exists(os.path.join(build, "initramfs.cpio")):  # user programs, for `exec`
        mods.append(os.path.join(build, "initramfs.cpio"))
    wrapped = ["trace clear", "trace start", *commands, "trace stop", "trace dump", "poweroff 0"]
    base = " ".join(w for w in ("panic=exit", extra_append) if w)
    script = "; ".join(wrapped)
    cmdline = f'{base} run="{script}"'
    fits = (len(cmdline) < 1000 and '"' not in script
            and all(len(c) < 256 for c in wrapped))
    if mode == "auto":
        mode = "cmdline" if fits else "type"
    if mode == "cmdline" and not fits:
        raise TraceError("the commands do not fit the kernel command line (1,000 characters, no "
                         "double quotes, 255 per command); use --type")
    try:
        q = Qemu(build, icount=True, initrd=mods,
                 append=cmdline if mode == "cmdline" else base)
    except OSError as e:
        raise TraceError(f"could not start QEMU: {e}")
    try:
        if mode == "type":
            q.prompt(60)
            for c in wrapped[:-1]:
                try:
                    q.command(c, timeout)
                except QemuError:
                    if q.proc.poll() is not None:
                        raise TraceError(f"QEMU ended (status {q.proc.returncode}) during "
                                         f"'{c}'{panic_hint(q.output)}")
                    raise TraceError(f"'{c}' did not return to the prompt within {timeout:g} s")
            q.send("poweroff 0\n")
        try:
            status = q.wait_exit(timeout if mode == "type" else timeout * 4)
        except QemuError:
            raise TraceError(f"QEMU still running after {timeout * 4:g} s (a command that "
                             "never returns?)")
        return q.output, status, mode
    except TraceError as e:
        e.output = q.output
        raise
    finally:
        q.close()


def panic_hint(output):
    m = re.search(r"^.*(?:PANIC|panic:|kernel panic).*$", output, re.M | re.I)
    return f": {m.group(0).strip()}" if m else ""


def cmd_run(args):
    build = os.path.abspath(args.build or os.environ.get("QUARTZ_BUILD_DIR")
                            or os.path.join(ROOT, "build"))
    if args.e is not None:
        commands = split_commands(args.e)
    elif args.script:
        try:
            commands = read_script(args.script)
        except OSError as e:
            raise TraceError(f"cannot read the script: {e}")
    else:
        raise TraceError("give a SCRIPT_FILE or -e \"CMD; CMD\"")
    if not commands:
        raise TraceError("no commands to run")
    out_dir = os.path.abspath(args.o)
    os.makedirs(out_dir, exist_ok=True)
    log_path = os.path.join(out_dir, "serial.log")
    mode = "type" if args.type else "cmdline" if args.cmdline else "auto"
    try:
        output, status, mode = run_qemu(build, commands, mode, args.append or "", args.timeout)
    except TraceError as e:
        if getattr(e, "output", None) is not None:
            with open(log_path, "w", encoding="latin-1") as f:
                f.write(e.output)
            raise TraceError(f"{e} (serial output in {log_path})")
        raise
    with open(log_path, "w", encoding="latin-1") as f:
        f.write(output)
    try:
        body, doc = extract(output)
    except TraceError as e:
        raise TraceError(f"{e}{panic_hint(output)} (QEMU status {status}; serial output in "
                         f"{log_path})")
    if not args.quiet:  # the console, with the JSON folded away
        b, e = output.rfind(BEGIN), output.rfind(END)
        n = len(doc["traceEvents"])
        sys.stdout.write(output[:b] + f"[{n} trace events]\n" + output[e + len(END) + 1:])
    json_path = os.path.join(out_dir, "trace.json")
    svg_path = os.path.join(out_dir, "trace.svg")
    with open(json_path, "w", encoding="utf-8") as f:
        f.write(body)
    with open(svg_path, "w", encoding="utf-8") as f:
        f.write(render_svg(doc, title_file="trace.json"))
    model = Model(doc)
    other = doc.get("otherData", {})
    span = (model.tmax - model.tmin) / 1000 if model.events else 0.0
    print(f"{PROG}: {len(model.events)} events ({other.get('overwritten', 0)} overwritten), "
          f"{span:.3f} ms, threads: {', '.join(model.names[t] for t in model.rows)}; "
          f"commands {'on the kernel command line' if mode == 'cmdline' else 'typed'}")
    print(f"{PROG}: wrote {json_path}\n"
          f"    open it at https://ui.perfetto.dev (\"Open trace file\") or in chrome://tracing "
          f"(\"Load\")")
    print(f"{PROG}: wrote {svg_path}\n    open it in a web browser (hover a bar for its times)")
    if status != 1:  # `poweroff 0` through isa-debug-exit
        raise TraceError(f"QEMU exited with status {status}, not 1 (poweroff 0); see {log_path}")
    return 0


def cmd_extract(args):
    try:
        with open(args.log, encoding="latin-1") as f:
            body, doc = extract(f.read())
    except OSError as e:
        raise TraceError(str(e))
    with open(args.o, "w", encoding="utf-8") as f:
        f.write(body)
    print(f"{PROG}: wrote {args.o} ({len(doc['traceEvents'])} events)")
    return 0


def cmd_svg(args):
    try:
        with open(args.trace, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise TraceError(f"cannot read {args.trace}: {e}")
    out = args.o or os.path.splitext(args.trace)[0] + ".svg"
    with open(out, "w", encoding="utf-8") as f:
        f.write(render_svg(doc, width=args.width, linear=args.linear,
                           title_file=os.path.basename(args.trace)))
    print(f"{PROG}: wrote {out}")
    return 0


# ---------------------------------------------------------------------------------------
# The trace as slices and instants
# ---------------------------------------------------------------------------------------
class Slice:
    def __init__(self, tid, name, cat, start, depth):
        self.tid, self.name, self.cat, self.start, self.depth = tid, name, cat, start, depth
        self.end = None
        self.note = ""


class Model:
    def __init__(self, doc):
        self.names = {}
        self.events = []
        for ev in doc.get("traceEvents", []):
            if ev.get("ph") == "M":
                if ev.get("name") == "thread_name":
                    self.names[ev.get("tid")] = str(ev.get("args", {}).get("name", ""))
            elif isinstance(ev.get("ts"), (int, float)):
                self.events.append(ev)
        self.events.sort(key=lambda e: e["ts"])  # stable: an E and a B at one ts stay in order
        self.hz = doc.get("otherData", {}).get("hz")
        ts = [e["ts"] for e in self.events]
        self.tmin, self.tmax = (min(ts), max(ts)) if ts else (0.0, 1.0)
        self.slices, self.instants = [], []
        stacks = {}
        for e in self.events:
            tid, ph = e.get("tid"), e.get("ph")
            stack = stacks.setdefault(tid, [])
            if ph == "B":
                s = Slice(tid, e.get("name", "?"), e.get("cat", ""), e["ts"], len(stack))
                stack.append(s)
                self.slices.append(s)
            elif ph == "E":
                name, idx = e.get("name"), None
                for i in range(len(stack) - 1, -1, -1):
                    if name is None or stack[i].name == name:
                        idx = i
                        break
                if idx is not None:
                    while len(stack) > idx:
                        stack.pop().end = e["ts"]
                else:  # began before the trace did
                    s = Slice(tid, e.get("name", "?"), e.get("cat", ""), self.tmin, 0)
                    s.end, s.note = e["ts"], " (began before the trace)"
                    self.slices.append(s)
            elif ph in ("i", "I", "n"):
                self.instants.append(e)
        for stack in stacks.values():
            for s in stack:
                s.end, s.note = self.tmax, " (still open when the trace stopped)"
        tids = {s.tid for s in self.slices} | {e.get("tid") for e in self.instants} | set(self.names)
        threads = sorted(t for t in tids if t != IRQ_TID and isinstance(t, int))
        self.rows = [IRQ_TID] + threads
        for t in self.rows:
            self.names.setdefault(t, "interrupts" if t == IRQ_TID else f"thread {t}")
        # Events recorded in interrupt context carry the interrupted thread's id; draw
        # them on the interrupts row, inside the IRQ that made them.
        irqs = sorted((s.start, s.end) for s in self.slices
                      if s.tid == IRQ_TID and s.depth == 0 and not s.note)
        starts = [a for a, _ in irqs]
        self.instant_row = []
        for e in self.instants:
            i = bisect.bisect_right(starts, e["ts"]) - 1
            in_irq = i >= 0 and irqs[i][0] <= e["ts"] <= irqs[i][1]
            self.instant_row.append(IRQ_TID if in_irq or e.get("tid") == IRQ_TID else e.get("tid"))


# ---------------------------------------------------------------------------------------
# The time axis: linear, or piecewise with idle gaps cut and short intervals stretched
# ---------------------------------------------------------------------------------------
class Axis:
    BASE = 1.0      # each interval between two timestamps is BASE + log1p(dt / TAU) wide
    TAU = 0.2       # us   (so that every event has room for its label) ...
    GAP = 200.0     # us: ... up to this; longer ones are cut to BREAK_W
    BREAK_W = 3.0

    def __init__(self, times, x0, width, linear):
        self.x0, self.width = x0, width
        self.t = sorted(set(times)) or [0.0]
        if len(self.t) == 1:
            self.t.append(self.t[0] + 1.0)
        self.linear = linear
        self.breaks = []  # (t0, t1)
        if linear:
            self.p = [x0 + (t - self.t[0]) / (self.t[-1] - self.t[0]) * width for t in self.t]
            return
        w = []
        for a, b in zip(self.t, self.t[1:]):
            if b - a > self.GAP:
                w.append(self.BREAK_W)
                self.breaks.append((a, b))
            else:
                w.append(self.BASE + math.log1p((b - a) / self.TAU))
        scale = width / (sum(w) or 1.0)
        self.p = [x0]
        for wi in w:
            self.p.append(self.p[-1] + wi * scale)

    def x(self, t):
        i = bisect.bisect_right(self.t, t) - 1
        if i < 0:
            return self.p[0]
        if i >= len(self.t) - 1:
            return self.p[-1]
        a, b = self.t[i], self.t[i + 1]
        return self.p[i] + (t - a) / (b - a) * (self.p[i + 1] - self.p[i])


# ---------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------
FONT = 10
CHAR_W = 0.6 * FONT  # monospace
SLICE_COLORS = {"irq": "#d9534f", "tq": "#f0ad4e", "routine": "#3fa34d", "timer": "#1f7a8c",
                "tasklet": "#a0522d", "work": "#2e8b57"}
THREAD_COLORS = ["#4a7fd4", "#8e6bc9", "#2aa1a8", "#c46a2b", "#b0417a", "#6a8a1f"]
IDLE_COLOR = "#c4c4c4"
INSTANT_COLORS = {"module": "#7b3fa0", "tq": "#2c6fbb", "wake": "#1e8a3c", "sleep": "#d35400",
                  "fault": "#e00000", "mark": "#555555", "tick": "#999999"}


def short_symbol(s):
    s = s.replace("quartz::", "").replace("(anonymous namespace)::", "")
    s = re.sub(r"\([^()]*\)", "", s)  # C++ parameter lists
    return s.replace("+0x0 ", " ").replace("+0x0", "")


def slice_labels(s):
    if s.cat == "irq":
        return [s.name, s.name.split(" (")[0]]
    if s.cat == "tq":
        return [s.name, s.name.replace("drain ", "")]
    if s.cat in ("routine", "timer", "tasklet", "work"):
        short = short_symbol(s.name)
        return [short, short.split(" [")[0]]
    return [s.name]


def instant_style(e):
    """(colour key, short label) of an instant."""
    name, cat = e.get("name", "?"), e.get("cat", "")
    m = re.match(r"module (\S+): (\S+)", name)
    if m:
        return "module", f"{m.group(1)}: {m.group(2)}"
    if name.startswith("queue_task "):
        return "tq", "queue " + short_symbol(name[11:]).split(" [")[0]
    m = re.match(r"wake_up (\S+) \((\d+) woken\)", name)
    if m:
        return "wake", f"wake_up {m.group(1)} ({m.group(2)})"
    if name.startswith("sleep on "):
        return "sleep", "sleep " + name[9:]
    if cat == "fault" or name.startswith("fault"):
        return "fault", short_symbol(name)[:48]
    return "mark", name[:40]


def fmt_ms(us):
    return f"{us / 1000:.3f}"


def render_svg(doc, width=1600, linear=False, title_file="trace.json"):
    m = Model(doc)
    gutter, right = 150, 20
    x0, plot_w = gutter, width - gutter - right
    times = [e["ts"] for e in m.events]
    axis = Axis(times, x0, plot_w, linear)
    out = []
    ticks = [e for e in m.instants if e.get("name") == "tick"]
    others = [(e, r) for e, r in zip(m.instants, m.instant_row) if e.get("name") != "tick"]

    # Row geometry: bar lanes (slice depths), then label lanes for the instants.
    lane_h, label_h, max_label_lanes = 14, 12, 4
    rows = []
    y = 112
    tick_strip = y
    y += 18
    for tid in m.rows:
        depth = max([s.depth + 1 for s in m.slices if s.tid == tid] + [1])
        mine = [e for e, r in others if r == tid]
        placed, lane_end = [], [-1e9] * max_label_lanes
        for e in mine:
            key, label = instant_style(e)
            x = axis.x(e["ts"])
            lw = len(label) * CHAR_W + 2
            left = x + lw > width - 4  # no room on the right: the label ends at the marker
            lx0 = x - lw if left else x
            lane = next((k for k in range(max_label_lanes) if lane_end[k] < lx0), None)
            if lane is not None:
                lane_end[lane] = lx0 + lw + 4
            placed.append((e, key, label, x, lane, left))
        lanes_used = max([p[4] + 1 for p in placed if p[4] is not None] + [1 if mine else 0])
        h = max(6 + depth * lane_h + (6 + lanes_used * label_h if mine else 0) + 6, 38)
        rows.append((tid, y, depth, placed, h))
        y += h
    plot_bottom = y
    height = plot_bottom + 60

    def text(x, y, s, size=FONT, fill="#222", anchor="start", weight=None, extra=""):
        w = f' font-weight="{weight}"' if weight else ""
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
                   f'text-anchor="{anchor}"{w}{extra}>{escape(s)}</text>')

    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, Menlo, Consolas, '
               f'monospace">')
    out.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    other = doc.get("otherData", {})
    span = (m.tmax - m.tmin) / 1000
    text(10, 22, f"Quartz trace: {title_file}", size=15, weight="bold")
    hz = f", HZ={m.hz}" if m.hz else ""
    text(10, 40, f"{len(m.events)} events from {fmt_ms(m.tmin)} ms to {fmt_ms(m.tmax)} ms "
                 f"({span:.3f} ms){hz}, {other.get('overwritten', 0)} overwritten; "
                 f"time = rdtsc/1000 (instructions under -icount shift=0)", size=11, fill="#444")
    if linear:
        note = "time axis: linear"
    else:
        note = (f"time axis not to scale: idle stretches longer than {Axis.GAP:g} us are cut "
                "(grey bands, with their length), short intervals are widened so each event has "
                "room; hover for exact times")
    text(10, 56, note, size=11, fill="#444")
    # Legend.
    lx, ly = 10, 76
    legend = [("rect", SLICE_COLORS["irq"], "IRQ"), ("rect", SLICE_COLORS["tq"], "drain tq_timer"),
              ("rect", SLICE_COLORS["routine"], "routine run"),
              ("rect", THREAD_COLORS[0], "thread running"), ("rect", IDLE_COLOR, "idle running"),
              ("mark", INSTANT_COLORS["module"], "module phase"),
              ("mark", INSTANT_COLORS["tq"], "queue_task"), ("mark", INSTANT_COLORS["wake"], "wake_up"),
              ("mark", INSTANT_COLORS["sleep"], "sleep on"), ("mark", INSTANT_COLORS["fault"], "fault"),
              ("tick", INSTANT_COLORS["tick"], "tick (jiffies)")]
    # The later mechanisms' slices, when the trace has them (the line has room for two).
    cats = {s.cat for s in m.slices}
    later = [(c, t) for c, t in (("timer", "timer function"), ("tasklet", "tasklet"),
                                 ("work", "work item")) if c in cats]
    legend[3:3] = [("rect", SLICE_COLORS[c], t) for c, t in later[:2]]
    for kind, color, label in legend:
        if kind == "rect":
            out.append(f'<rect x="{lx}" y="{ly - 9}" width="14" height="10" fill="{color}"/>')
        elif kind == "mark":
            out.append(f'<path d="M{lx + 7} {ly + 1} l-5 -9 h10 z" fill="{color}"/>')
        else:
            out.append(f'<line x1="{lx + 7}" y1="{ly - 10}" x2="{lx + 7}" y2="{ly + 2}" '
                       f'stroke="{color}" stroke-width="1.5"/>')
        text(lx + 18, ly, label, size=11)
        lx += 18 + len(label) * 6.6 + 16

    # Row backgrounds and names.
    for i, (tid, ry, depth, placed, h) in enumerate(rows):
        out.append(f'<rect x="0" y="{ry}" width="{width}" height="{h}" '
                   f'fill="{"#f7f7f7" if i % 2 else "#ffffff"}"/>')
        text(8, ry + 16, m.names[tid], size=12, weight="bold")
        text(8, ry + 29, "(interrupt context)" if tid == IRQ_TID else f"tid {tid}", size=10,
             fill="#777")
    # Cut idle gaps.
    for a, b in axis.breaks:
        xa, xb = axis.x(a), axis.x(b)
        out.append(f'<rect x="{xa:.2f}" y="{tick_strip}" width="{max(xb - xa, 0.5):.2f}" '
                   f'height="{plot_bottom - tick_strip}" fill="#000" fill-opacity="0.06">'
                   f'<title>{escape(f"{(b - a) / 1000:.3f} ms with no events (cut)")}</title></rect>')
    # Ticks: guide lines through every row, jiffies on the strip above.
    last = -1e9
    for e in ticks:
        x = axis.x(e["ts"])
        j = e.get("args", {}).get("jiffies")
        out.append(f'<line x1="{x:.2f}" y1="{tick_strip + 12}" x2="{x:.2f}" y2="{plot_bottom}" '
                   f'stroke="#bbb" stroke-width="0.6" stroke-dasharray="2,2"/>')
        out.append(f'<line x1="{x:.2f}" y1="{tick_strip + 6}" x2="{x:.2f}" y2="{tick_strip + 16}" '
                   f'stroke="#888" stroke-width="1.2"><title>tick: jiffies {j} at '
                   f'{fmt_ms(e["ts"])} ms</title></line>')
        label = f"{j}"
        if j is not None and x - len(label) * 5.4 / 2 > last + 4:
            text(x, tick_strip + 4, label, size=9, fill="#666", anchor="middle")
            last = x + len(label) * 5.4 / 2
    if ticks:
        text(8, tick_strip + 12, "ticks (jiffies)", size=10, fill="#777")

    # Slices.
    thread_index = {tid: i for i, tid in enumerate(
        t for t in m.rows if t != IRQ_TID and m.names.get(t) != "idle")}
    row_y = {tid: ry for tid, ry, _, _, _ in rows}
    for s in m.slices:
        if s.tid not in row_y:
            continue
        xa, xb = axis.x(s.start), axis.x(s.end)
        w = max(xb - xa, 1.0)
        y = row_y[s.tid] + 6 + s.depth * lane_h
        if s.cat == "sched":
            color = IDLE_COLOR if m.names.get(s.tid) == "idle" else \
                THREAD_COLORS[thread_index.get(s.tid, 0) % len(THREAD_COLORS)]
        else:
            color = SLICE_COLORS.get(s.cat, "#888888")
        tip = (f"{s.name}{s.note}\n{m.names.get(s.tid)}: {fmt_ms(s.start)} ms to "
               f"{fmt_ms(s.end)} ms ({s.end - s.start:.3f} us)")
        out.append(f'<rect x="{xa:.2f}" y="{y}" width="{w:.2f}" height="{lane_h - 2}" '
                   f'fill="{color}"><title>{escape(tip)}</title></rect>')
        for label in slice_labels(s):
            if len(label) * CHAR_W + 4 <= w:
                fg = "#222" if color in (IDLE_COLOR, SLICE_COLORS["tq"]) else "#fff"
                text(xa + 2, y + lane_h - 5, label, fill=fg, extra=' pointer-events="none"')
                break

    # Instants: a marker at the top of the row, a line down to the label.
    for tid, ry, depth, placed, h in rows:
        label_top = ry + 6 + depth * lane_h + 6
        for e, key, label, x, lane, left in placed:
            color = INSTANT_COLORS[key]
            ly = label_top + (lane if lane is not None else 0) * label_h
            tip = f"{e.get('name')}\n{m.names.get(e.get('tid'), e.get('tid'))}: {fmt_ms(e['ts'])} ms"
            out.append(f'<line x1="{x:.2f}" y1="{ry + 3}" x2="{x:.2f}" y2="{ly + 10 if lane is not None else ry + 6 + depth * lane_h}" '
                       f'stroke="{color}" stroke-width="1"/>')
            out.append(f'<path d="M{x:.2f} {ry + 9} l-3.5 -6 h7 z" fill="{color}">'
                       f'<title>{escape(tip)}</title></path>')
            if lane is not None:
                if left:
                    text(x - 2, ly + 9, label, fill=color, anchor="end")
                else:
                    text(x + 2, ly + 9, label, fill=color)

    # Time axis (ms since boot): the start of each stretch between cuts, greedily.
    ay = plot_bottom + 8
    out.append(f'<line x1="{x0}" y1="{ay}" x2="{x0 + plot_w}" y2="{ay}" stroke="#444"/>')
    if linear:
        span_us = axis.t[-1] - axis.t[0]
        step = 10 ** math.floor(math.log10(max(span_us / 8, 1e-3)))
        for mult in (1, 2, 5, 10):
            if span_us / (step * mult) <= 10:
                step *= mult
                break
        marks = [math.ceil(axis.t[0] / step) * step + k * step
                 for k in range(int(span_us / step) + 1)]
        marks = [t for t in marks if t <= axis.t[-1]]
    else:
        marks = [axis.t[0]] + [b for _, b in axis.breaks]
    last = -1e9
    for t in marks:
        x = axis.x(t)
        label = fmt_ms(t)
        out.append(f'<line x1="{x:.2f}" y1="{ay}" x2="{x:.2f}" y2="{ay + 5}" stroke="#444"/>')
        if x - len(label) * 5.4 / 2 > last + 6 and x + len(label) * 5.4 / 2 < width:
            text(x, ay + 16, label, size=9, fill="#333", anchor="middle")
            last = x + len(label) * 5.4 / 2
    for a, b in axis.breaks:
        xa, xb = axis.x(a), axis.x(b)
        label = f"+{(b - a) / 1000:.1f}"
        if len(label) * 5.4 + 2 < xb - xa:
            text((xa + xb) / 2, ay + 28, label, size=9, fill="#999", anchor="middle")
    text(x0 + plot_w, ay + 42, "time (ms since boot; grey +N: a cut idle stretch of N ms)"
         if not linear else "time (ms since boot)", size=10, fill="#555", anchor="end")
    if not m.events:
        text(x0 + 20, tick_strip + 40, "(no events in this trace)", size=14, fill="#900")
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run commands under QEMU with tracing on")
    r.add_argument("script", nargs="?", help="a file of shell commands (; or newline separated)")
    r.add_argument("-e", metavar="\"CMD; CMD\"", help="the commands themselves")
    r.add_argument("-o", default=".", metavar="DIR", help="where to write trace.json, trace.svg")
    r.add_argument("--build", help="the build directory (default: build, or $QUARTZ_BUILD_DIR)")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--type", action="store_true",
                   help="type the commands on the serial console (not deterministic in time)")
    g.add_argument("--cmdline", action="store_true",
                   help="pass the commands as the kernel's run=\"...\" (the default when they fit)")
    r.add_argument("--append", help="more kernel command-line options, e.g. hz=250")
    r.add_argument("--timeout", type=float, default=120, help="seconds per command (default 120)")
    r.add_argument("-q", "--quiet", action="store_true", help="do not echo the console")
    s = sub.add_parser("svg", help="draw a trace.json as an SVG timeline")
    s.add_argument("trace")
    s.add_argument("-o", metavar="SVG")
    s.add_argument("--linear", action="store_true", help="a linear time axis (no cuts)")
    s.add_argument("--width", type=int, default=1600)
    x = sub.add_parser("extract", help="take the trace JSON out of a serial log")
    x.add_argument("log")
    x.add_argument("-o", default="trace.json")
    args = ap.parse_args(argv)
    try:
        return {"run": cmd_run, "svg": cmd_svg, "extract": cmd_extract}[args.cmd](args)
    except TraceError as e:
        sys.stdout.flush()
        print(f"{PROG}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
