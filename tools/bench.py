#!/usr/bin/env python3
"""Quartz benchmark report: boots the kernel under QEMU with -icount shift=0,sleep=off,
where the guest's rdtsc counts instructions, prints exact, repeatable figures, and writes
them as JSON (each figure's metric, value, unit, goal, whether it is met, what it includes).
Usage: tools/bench.py [--build build] [--json FILE] [--update-docs]

The kernel's benchmark commands print `COMMAND: key=value key=value (words for people)`
lines; this script reads only the key=value pairs (KEYS below), so rewording the words
cannot break the table. `--update-docs` also copies the JSON to docs/figures.json and
rewrites the figure tables of README.md and docs/*.md from it (tools/figures.py)."""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import figures  # noqa: E402
from quartz_qemu import Qemu, exit_status, initramfs  # noqa: E402

QEMU_MODE = "qemu-system-i386 -accel tcg -icount shift=0,sleep=off"
BOOT_MEMORY_MIB = (8, 128, 2048)
IDLE_SECONDS = 10

# The key=value pairs each kernel command must print (tests/qemu/test_bench.py checks that
# the kernel prints every one).
KEYS = {
    "bootstat": ("boot_instructions", "boot_modules"),
    "bench": ("ticks", "empty_tick_instructions", "per_task_instructions"),
    "schedbench": ("yield_round_trip_instructions", "wake_from_irq0_instructions",
                   "wake_from_wake_up_instructions", "wake_same_tick"),
    "modbench": ("module", "insmod_instructions", "rmmod_instructions", "cycle_instructions"),
    "cronbench": ("ticks", "every_activations", "every_instructions", "tq_activations",
                  "tq_instructions"),
    # One line per mechanism and per edition (read by deferred_costs); these come first.
    "deferbench": ("ticks", "idle_instructions"),
    # The user-space benchmarks are programs (user/tests/bench_*.c), run by `exec`.
    "bench_syscall": ("getpid_instructions", "rounds"),
    "bench_spawn": ("spawn_instructions", "spawn_mean_instructions", "rounds"),
    "bench_switch": ("switch_instructions", "rounds"),
    "bench_cron": ("activation_instructions", "fork_exit_instructions", "exec_true_instructions",
                   "proc_read_instructions", "rounds"),
}

# Every figure: its group (a docs region shows one or more groups), title, unit, goal
# (op, value; None: no goal) and exactly what it includes. The order is the table's.
BOOT_GOAL = 300_000
SPECS = {}


def _spec(metric, group, title, unit, goal, includes, family=None):
    SPECS[metric] = {"group": group, "title": title, "family": family or title, "unit": unit,
                     "goal": goal, "includes": " ".join(includes.split())}


for _mib in BOOT_MEMORY_MIB:
    _spec(f"boot_instructions_{_mib}mib", "boot", f"boot: kernel entry to the first prompt, -m {_mib}",
          "instructions", ("<=", BOOT_GOAL), """
          `bootstat`: every instruction from the kernel's first one (`_start` in boot/boot.asm
          reads the TSC into `boot_tsc`) to the start of the shell thread, just before the
          first prompt (and before any `run=` command), with HZ=100, no boot modules (no
          `-initrd`; bench.py checks the kernel's `boot_modules=0`) and the memory size of
          the row (QEMU `-m`, MiB). Read with rdtsc, so time the CPU spent halted would
          count too.""", "boot: kernel entry to the first prompt")
    _spec(f"selftests_{_mib}mib", "boot", f"in-kernel self-tests, -m {_mib}", "passed",
          ("all", None), """
          `selftest --exit` in the same boot as the boot figure of the same memory size: the
          number of self-tests passed; the goal is met when none failed and QEMU exited
          cleanly.""", "in-kernel self-tests")
_spec("empty_tick_instructions", "tq", "a tick with an empty `tq_timer`, entry stub to `iret`",
      "instructions", ("<=", 150), """
      `bench tick`: every instruction a tick executes while `tq_timer` is empty, from the IRQ 0
      entry stub to its `iret` (dispatcher, `timer_irq`, EOI, the bottom half finding nothing,
      the scheduler's tick). A fixed spin loop is timed with IRQ 0 masked and with ticks at
      HZ=1000; the difference divided by the ticks counted, best of three windows.""")
_spec("per_task_instructions", "tq", "per queued task, besides its routine", "instructions",
      ("<=", 30), """
      `bench tick`: the drain's cost per task only: (a drain of 200 `ret`-only tasks minus a
      drain of 100) / 100, minus the routine's `ret`. It covers taking the task off the
      queue, clearing its pending flag, the call and return and the statistics; `queue_task`
      runs before the measured window and is not included.""")
_spec("yield_round_trip_instructions", "sched", "yield round trip between two threads",
      "instructions", ("<=", 600), """
      `schedbench`: us -> pong -> us with only these two threads runnable, that is two
      `thread_yield` calls and two context switches (and the loop), mean of 1,000 rounds.""")
_spec("wake_from_irq0_instructions", "sched", "wake from IRQ 0 to the woken thread (idle)",
      "instructions", ("same tick", None), """
      `schedbench`: from the rdtsc at the top of `timer_irq`, the C handler of IRQ 0 (the
      entry stub and the dispatcher before it are not counted), to the woken thread's first
      instruction after `wait_event` returns, while the CPU idled: the rest of the tick, the
      bottom half running a `tq_timer` routine that calls `wake_up`, the switch on the
      interrupt's way out. The goal: the thread runs in the same tick.""")
_spec("host_idle_cpu_percent", "sched", "host CPU of QEMU idle at the prompt",
      "% of one host core", ("<", 5.0), f"""
      QEMU's own CPU time (user + system, /proc/PID/stat) over {IDLE_SECONDS} s of wall time
      while the kernel idles at the prompt, with plain TCG (no -icount), as a share of one
      host core. Depends on the host and its load: the one figure that is not exact.""")
_spec("module_cycle_instructions", "modules", "insmod+rmmod cycle of `sched`", "instructions",
      None, """
      `modbench sched`: `insmod sched` (from the boot module: validate, place, relocate,
      `init_module`) plus `rmmod sched` (`cleanup_module`, the check that nothing points in,
      freeing), busy instructions only: the time the CPU halts while `rmmod` waits for the
      tick is excluded.""")
_spec("unload_latency_guide_ticks", "modules", "unload latency, guide's protocol (`sched`)",
      "ticks", ("<=", 1), """
      The ticks `rmmod sched` spends in `cleanup_module` (set a flag, `wait_event` until the
      routine has seen it), as rmmod prints them.""")
_spec("unload_latency_sync_ticks", "modules", "unload latency, `cancel_task_sync` (`sched_sync`)",
      "ticks", ("==", 0), """
      The ticks `rmmod sched_sync` spends in `cleanup_module`, which calls
      `cancel_task_sync`, as rmmod prints them.""")
_spec("periodic_every_instructions", "periodic", "periodic work: `every` + /proc (first way)",
      "instructions", None, """
      `cronbench 100`: busy instructions over 100 ticks with an `every` job (a thread of its
      own) reading /proc/cronwork at every tick, minus those of the idle system over 100
      ticks, divided by the activations counted.""")
_spec("periodic_tq_instructions", "periodic", "periodic work: `tq_timer` task (second way)",
      "instructions", None, """
      `cronbench 100`: the same for the `tqwork` module's task, which requeues itself on
      `tq_timer` at every tick.""")
_spec("periodic_ratio", "periodic", "periodic work: first way / second way", "x", None, """
      `cronbench 100`: instructions per activation of the `every` job divided by those of
      the `tq_timer` task (the two figures above).""")
_spec("periodic_crond_instructions", "periodic",
      "periodic work: first way as the guide tells it (crond runs `cat /proc/cronwork`)",
      "instructions", None, """
      `/test/bench_cron`: one activation of what `/sbin/crond` does at each period, seen from
      crond: fork, exec `/bin/cat /proc/cronwork` with stdout on /dev/null (reading the
      executable into fresh memory, cat's open, the read that runs the module's work, its
      write and close), its exit and the reaping; minimum of 20. The JSON splits it: fork +
      exit + reap of a child that execs nothing, the exec of `/bin/true` on top of that, and
      one open/read/close of the /proc file from a process.""")
_spec("periodic_crond_ratio", "periodic", "periodic work: crond process / `tq_timer` task", "x",
      None, """
      The crond activation above divided by the `tq_timer` task's (`cronbench 100`): the
      guide's "we run a new process off of crontab, read a new executable to memory, and all
      this just to wake up a kernel module which is in memory anyway", in instructions.""")
# The same periodic job (modules/periodic_work.h) driven by each mechanism (`deferbench`).
DEFERRED = (("tq_timer", "`tq_timer` task (Linux 2.2/2.4)", "tqwork"),
            ("timer", "kernel timer", "timerwork"),
            ("tasklet", "tasklet scheduled by a timer", "taskletwork"),
            ("workqueue", "delayed work item (worker thread)", "workwork"),
            ("cron_thread", "kernel-thread crontab + /proc read", "cronwork"))
for _key, _label, _mod in DEFERRED:
    _spec(f"deferred_{_key}_instructions", "deferred", f"same job, {_label}: per activation",
          "instructions", None, f"""
          `deferbench 100`: busy instructions over 100 ticks with module `{_mod}` doing the
          job once per tick, minus those of the idle system over 100 ticks, divided by the
          activations counted: the mechanism's own cost (arming, the interrupt-side work,
          any thread switch) plus the job's few instructions.""",
          family="same periodic job: instructions per activation")
    _spec(f"deferred_{_key}_late_ticks", "deferred", f"same job, {_label}: ticks late under load",
          "ticks", None, f"""
          `deferbench 100`: while a kernel thread spins for 100 ticks (it never sleeps; the
          round-robin slice is 10 ticks), the most ticks by which an activation of `{_mod}`'s
          job came after its due tick (one tick after the previous one); the mean is in the
          JSON (`mean_x100`).""", family="same periodic job: ticks late under load")
# The guide's first way as it tells it: /sbin/crond runs `cat /proc/cronwork` as a process.
_spec("deferred_cron_process_instructions", "deferred",
      "same job, crond process running `cat /proc/cronwork`: per activation", "instructions",
      None, """
      The row "first way as the guide tells it" (`/test/bench_cron`): fork, exec of
      `/bin/cat`, its read of /proc/cronwork (the job), exit and reaping, seen from crond.""",
      family="same periodic job: instructions per activation")
_spec("deferred_cron_process_late_ticks", "deferred",
      "same job, crond process running `cat /proc/cronwork`: ticks late under load", "ticks",
      None, """
      `deferbench watch cronwork 100` while `/sbin/crond -f /test/crontab.tick` runs
      `/bin/cat /proc/cronwork` every 10 ms (every tick): while a kernel thread spins for 100
      ticks, the most ticks by which an activation came after its due tick; the mean is in
      the JSON (`mean_x100`). Even on a quiet system crond comes every second tick (its
      sleep to the next due time lasts at least one whole tick after the fork, exec and
      wait): `quiet_late_max` in the JSON, the floor under this figure.""",
      family="same periodic job: ticks late under load")
EDITIONS = (("sched", "2.2/2.4 `tq_timer`, flag + `wait_event`"),
            ("sched_legacy", "2.4 as printed, flag + `sleep_on`"),
            ("sched_timer", "2.4 kernel timer, `del_timer_sync`"),
            ("sched_tasklet", "tasklet, `tasklet_kill`"),
            ("sched_wq26", "2.6 delayed work, cancel + flush + destroy"),
            ("sched_work", "today's work item, `destroy_workqueue`"),
            ("sched_dwork", "modern, `cancel_delayed_work_sync`"),
            ("sched22", "the 2.2 edition's code, `sleep_on(&WaitQ)`"),
            ("sched24", "the 2.4 edition's code, flag + `sleep_on`"),
            ("sched26", "the 2.6 edition's code, die + cancel + flush + destroy"))
# The guide's own examples (modules/guide, built with --linux): one activation per tick.
GUIDE_EDITIONS = ("sched22", "sched24", "sched26")
for _name, _label in EDITIONS:
    _spec(f"edition_{_name}_unload_ticks", "guide" if _name in GUIDE_EDITIONS else "deferred", f"rmmod `{_name}` ({_label})", "ticks",
          None, f"""
          `deferbench`: `insmod {_name}`, 10 ticks of counting, then the ticks its `rmmod`
          takes, `cleanup_module` and the check before freeing included: what the unload
          protocol of its edition costs.""", family="the guide's module: rmmod latency")
for _name in GUIDE_EDITIONS:
    _spec(f"edition_{_name}_instructions", "guide", f"`{_name}`: per activation",
          "instructions", None, f"""
          `deferbench 100`: busy instructions over 100 ticks with the guide's example
          `{_name}` loaded (it counts once per tick), minus those of the idle system, divided
          by the activations its own counter saw: the edition's mechanism (its queue, timer,
          worker thread) plus its routine.""", family="the guide's examples: instructions per activation")
_spec("syscall_round_trip_instructions", "user", "system call round trip (`getpid`)",
      "instructions", ("<=", 200), """
      `/test/bench_syscall`: from the program's rdtsc before `getpid()` to the one after it:
      the libc wrapper, `int $0x80`, the entry stub, the dispatcher, `getpid`, the checks on
      the way out (signals, rescheduling) and `iret`; the minimum of 1,000 calls, minus the
      cost of the rdtsc pair itself.""")
_spec("spawn_instructions", "user", "fork + execve + exit + waitpid of `/bin/true`",
      "instructions", ("<=", 100_000), """
      `/test/bench_spawn`: from the parent's rdtsc before `fork()` to the one after
      `waitpid()` returns: copying the address space, the child's `execve` (finding the
      file, validating it, building the new address space and stack), `/bin/true` itself,
      its exit and the parent's wakeup and reaping; the minimum of 20 rounds.""")
_spec("process_switch_instructions", "user", "switch between two processes (`sched_yield`)",
      "instructions", ("<=", 1_000), """
      `/test/bench_switch`: two processes calling `sched_yield()` in turn; per switch, the
      system call, the scheduler, the context switch, the TSS and CR3 change and the
      return to user mode: the mean of 2,000 switches.""")


# ---- reading the kernel's key=value lines ----

def parse_figures(text, command):
    """The key=value pairs of the lines `COMMAND: k=v k=v (words)` in `text`: a line's
    pairs end at its first word that is not key=value."""
    pairs = {}
    for line in text.splitlines():
        if not line.startswith(command + ": "):
            continue
        for word in line[len(command) + 2:].split():
            m = re.fullmatch(r"([a-z][a-z0-9_]*)=(\S+)", word)
            if not m:
                break
            pairs[m.group(1)] = int(m.group(2)) if re.fullmatch(r"-?\d+", m.group(2)) else m.group(2)
    return pairs


def expect_figures(q, command, timeout=120):
    """Waits until the kernel has printed every key of KEYS[command]; returns the pairs."""
    deadline = time.monotonic() + timeout
    start = q.pos
    while True:
        pairs = parse_figures(q.output[start:q.pos], command)
        if all(k in pairs for k in KEYS[command]):
            return pairs
        q.expect(rf"(?m)^{re.escape(command)}: [^\n]*\n", max(1.0, deadline - time.monotonic()))


# ---- the measurements (each boots its own QEMU) ----

def boot_to_prompt(build, memory):
    with Qemu(build, icount=True, memory=memory,
              append='panic=exit run="bootstat; selftest --exit"') as q:
        boot = expect_figures(q, "bootstat", 60)
        t = q.expect(r"(\d+) passed, (\d+) failed", 300)
        status = q.wait_exit()
        return {"boot": boot, "passed": int(t.group(1)), "failed": int(t.group(2)),
                "clean_exit": status == exit_status(0)}


def tick_costs(build):
    with Qemu(build, icount=True, append='run="bench tick; poweroff 0"') as q:
        pairs = expect_figures(q, "bench")
        q.wait_exit()
        return pairs


def sched_costs(build):
    with Qemu(build, icount=True, append='run="schedbench; poweroff 0"') as q:
        pairs = expect_figures(q, "schedbench")
        q.wait_exit()
        return pairs


def module_costs(build):
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    with Qemu(build, icount=True, initrd=mods,
              append='run="modbench sched; insmod sched; sleep 100; rmmod sched; '
                     'insmod sched_sync; sleep 100; rmmod sched_sync; poweroff 0"') as q:
        pairs = expect_figures(q, "modbench")
        # rmmod's own message is prose (kernel/module/unload.cpp), read here by a regex.
        guide = int(q.expect(r"sched: unloaded \(cleanup_module took (\d+) ticks?\)").group(1))
        sync = int(q.expect(r"sched_sync: unloaded \(cleanup_module took (\d+) ticks?\)").group(1))
        q.wait_exit()
        return {**pairs, "guide_ticks": guide, "sync_ticks": sync}


def periodic_costs(build):
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    with Qemu(build, icount=True, initrd=mods, append='run="cronbench 100; poweroff 0"') as q:
        pairs = expect_figures(q, "cronbench")
        q.wait_exit()
        return pairs


def deferred_costs(build):
    """deferbench's lines: {"mechanisms": {key: pairs}, "editions": {name: ticks},
    "edition_instructions": {name: (instructions, activations)}}."""
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    with Qemu(build, icount=True, initrd=mods,
              append='run="deferbench 100; echo deferbench-done; poweroff 0"') as q:
        q.expect(r"deferbench-done\n", 600)
        text = q.output
        q.wait_exit()
    mech, eds, acts = {}, {}, {}
    for line in text.splitlines():
        pairs = parse_figures(line, "deferbench")
        if "mechanism" in pairs and "instructions" in pairs:
            mech[pairs["mechanism"]] = pairs
        elif "edition" in pairs and "unload_ticks" in pairs:
            eds[pairs["edition"]] = pairs["unload_ticks"]
            if "instructions" in pairs:
                acts[pairs["edition"]] = (pairs["instructions"], pairs["activations"])
    return {"mechanisms": mech, "editions": eds, "edition_instructions": acts}


def user_costs(build):
    with Qemu(build, icount=True, initrd=[initramfs(build)],
              append='run="exec /test/bench_syscall; exec /test/bench_spawn; '
                     'exec /test/bench_switch; poweroff 0"') as q:
        pairs = {c: expect_figures(q, c) for c in ("bench_syscall", "bench_spawn", "bench_switch")}
        q.wait_exit()
        return pairs


def crond_costs(build):
    with Qemu(build, icount=True, initrd=[initramfs(build)],
              append='run="exec /sbin/insmod /lib/modules/cronwork.ko; exec /test/bench_cron; '
                     'poweroff 0"') as q:
        pairs = expect_figures(q, "bench_cron")
        q.wait_exit()
        return pairs


def crond_lateness(build):
    """`deferbench watch cronwork` while /sbin/crond runs `cat /proc/cronwork` every tick."""
    with Qemu(build, icount=True, initrd=[initramfs(build)],
              append='run="exec /sbin/insmod /lib/modules/cronwork.ko; '
                     'bg exec /sbin/crond -f /test/crontab.tick; sleep 50; '
                     'deferbench watch cronwork 100; poweroff 0"') as q:
        line = q.expect(r"deferbench: watch[^\n]*\n", 600).group(0)
        q.wait_exit()
        pairs = parse_figures(line, "deferbench")
        if "late_max" not in pairs:
            raise ValueError(f"crond lateness: {line.strip()}")
        return pairs


def idle_cpu_percent(build, seconds=IDLE_SECONDS):
    """Host CPU used by QEMU (plain TCG, no icount) while the kernel idles at the prompt."""
    with Qemu(build) as q:
        q.prompt()
        q.command("sleep 200")  # let boot-time activity settle
        tick = os.sysconf("SC_CLK_TCK")

        def cpu_seconds():
            with open(f"/proc/{q.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        c0, t0 = cpu_seconds(), time.monotonic()
        time.sleep(seconds)  # a benchmark measuring idleness over wall time, not a test
        c1, t1 = cpu_seconds(), time.monotonic()
        return round(100.0 * (c1 - c0) / (t1 - t0), 1)


def host_benchmark(build):
    exe = os.path.join(build, "quartz_host_bench")
    if not os.path.exists(exe):
        return []
    out = subprocess.run([exe, "--benchmark_min_time=0.2"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return [line for line in out.splitlines() if line.startswith("BM_")]


# ---- from measurements to figures ----

def goal_met(goal, value, extra=None):
    if goal is None:
        return None
    op, target = goal
    if op == "<=":
        return value <= target
    if op == "<":
        return value < target
    if op == "==":
        return value == target
    if op == "same tick":
        return bool(extra)
    if op == "all":
        return bool(extra)
    raise ValueError(op)


def goal_text(spec):
    goal = spec["goal"]
    if goal is None:
        return None
    op, target = goal
    unit = spec["unit"]
    if op == "same tick":
        return "the same tick"
    if op == "all":
        return "all pass"
    num = f"{target:,}" if isinstance(target, int) else f"{target:g}"
    sep = "" if unit.startswith("%") else " "
    if unit == "ticks" and target == 1:
        unit = "tick"
    return {"<=": "at most ", "<": "under ", "==": ""}[op] + num + sep + unit


def figure(metric, value, extra=None, **more):
    spec = SPECS[metric]
    goal = spec["goal"]
    fig = {"metric": metric, "title": spec["title"], "family": spec["family"],
           "group": spec["group"], "value": value,
           "unit": spec["unit"], "goal": None if goal is None else goal[1],
           "goal_op": None if goal is None else goal[0], "goal_text": goal_text(spec),
           "met": goal_met(goal, value, extra), "includes": spec["includes"]}
    fig.update(more)
    return fig


def make_figures(raw):
    """The figures, in SPECS order, from whichever measurements `raw` holds:
    raw["boot"][MiB] (boot_to_prompt), "bench", "schedbench", "modbench", "cronbench",
    "idle_cpu_percent". Raises ValueError if the boot figure was taken with boot modules."""
    figs = []
    for mib, b in sorted(raw.get("boot", {}).items()):
        if b["boot"]["boot_modules"] != 0:
            raise ValueError(f"the boot figure at -m {mib} was taken with boot modules")
        figs.append(figure(f"boot_instructions_{mib}mib", b["boot"]["boot_instructions"],
                           memory_mib=mib))
        ok = b["failed"] == 0 and b["passed"] > 0 and b["clean_exit"]
        figs.append(figure(f"selftests_{mib}mib", b["passed"], ok, failed=b["failed"],
                           memory_mib=mib))
    if "bench" in raw:
        figs.append(figure("empty_tick_instructions", raw["bench"]["empty_tick_instructions"]))
        figs.append(figure("per_task_instructions", raw["bench"]["per_task_instructions"]))
    if "schedbench" in raw:
        s = raw["schedbench"]
        figs.append(figure("yield_round_trip_instructions", s["yield_round_trip_instructions"]))
        same = s["wake_same_tick"] == 1
        figs.append(figure("wake_from_irq0_instructions", s["wake_from_irq0_instructions"], same,
                           same_tick=same,
                           from_wake_up_instructions=s["wake_from_wake_up_instructions"]))
    if "idle_cpu_percent" in raw:
        figs.append(figure("host_idle_cpu_percent", raw["idle_cpu_percent"]))
    if "modbench" in raw:
        m = raw["modbench"]
        figs.append(figure("module_cycle_instructions", m["cycle_instructions"],
                           insmod_instructions=m["insmod_instructions"],
                           rmmod_instructions=m["rmmod_instructions"]))
        if "guide_ticks" in m:
            figs.append(figure("unload_latency_guide_ticks", m["guide_ticks"]))
            figs.append(figure("unload_latency_sync_ticks", m["sync_ticks"]))
    if "cronbench" in raw:
        c = raw["cronbench"]
        figs.append(figure("periodic_every_instructions", c["every_instructions"],
                           activations=c["every_activations"], ticks=c["ticks"]))
        figs.append(figure("periodic_tq_instructions", c["tq_instructions"],
                           activations=c["tq_activations"], ticks=c["ticks"]))
        figs.append(figure("periodic_ratio",
                           round(c["every_instructions"] / c["tq_instructions"], 1)))
    if "bench_cron" in raw:
        b = raw["bench_cron"]
        figs.append(figure("periodic_crond_instructions", b["activation_instructions"],
                           fork_exit_instructions=b["fork_exit_instructions"],
                           exec_true_instructions=b["exec_true_instructions"],
                           proc_read_instructions=b["proc_read_instructions"]))
        if "cronbench" in raw:
            figs.append(figure("periodic_crond_ratio",
                               round(b["activation_instructions"] /
                                     raw["cronbench"]["tq_instructions"], 1)))
    if "deferred" in raw:
        d = raw["deferred"]
        for key, _, _ in DEFERRED:
            m = d["mechanisms"].get(key)
            if not m:
                continue  # its module is not built (yet): no row
            figs.append(figure(f"deferred_{key}_instructions", m["instructions"],
                               activations=m["activations"]))
            figs.append(figure(f"deferred_{key}_late_ticks", m["late_max"],
                               mean_x100=m["late_mean_x100"], activations=m["load_activations"]))
        if "bench_cron" in raw:
            figs.append(figure("deferred_cron_process_instructions",
                               raw["bench_cron"]["activation_instructions"]))
        if "crond_late" in raw:
            c = raw["crond_late"]
            figs.append(figure("deferred_cron_process_late_ticks", c["late_max"],
                               mean_x100=c["late_mean_x100"], activations=c["load_activations"],
                               quiet_late_max=c["quiet_late_max"]))
        for name, _ in EDITIONS:
            if name in d["editions"]:
                figs.append(figure(f"edition_{name}_unload_ticks", d["editions"][name]))
        for name in GUIDE_EDITIONS:
            if name in d.get("edition_instructions", {}):
                ins, n = d["edition_instructions"][name]
                figs.append(figure(f"edition_{name}_instructions", ins, activations=n))
    if "user" in raw:
        u = raw["user"]
        figs.append(figure("syscall_round_trip_instructions",
                           u["bench_syscall"]["getpid_instructions"]))
        figs.append(figure("spawn_instructions", u["bench_spawn"]["spawn_instructions"],
                           mean_instructions=u["bench_spawn"]["spawn_mean_instructions"]))
        figs.append(figure("process_switch_instructions", u["bench_switch"]["switch_instructions"]))
    order = list(SPECS)
    return sorted(figs, key=lambda f: order.index(f["metric"]))


def table_lines(figs):
    lines = [f"{'figure':<48} {'value':>24}  goal"]
    for f in figs:
        status = "" if f["met"] is None else ("ok" if f["met"] else "MISSED")
        lines.append(f"{f['title'].replace('`', ''):<48} {figures.value_text(f):>24}  "
                     f"{f['goal_text'] or '-'} {status}".rstrip())
    return lines


def report(figs, host_lines=()):
    return {"generated_by": "tools/bench.py", "qemu": QEMU_MODE, "qemu_version": qemu_version(),
            "figures": figs, "host_benchmark": list(host_lines)}


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-i386", "--version"], stdout=subprocess.PIPE,
                             text=True).stdout
    except OSError:
        return None
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else None


def write_json(rep, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(rep, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", metavar="FILE", help="where to write the figures (default BUILD/bench.json)")
    ap.add_argument("--update-docs", action="store_true",
                    help="also copy the JSON to docs/figures.json and rewrite the docs' tables")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    out = args.json or os.path.join(build, "bench.json")
    print(f"Quartz benchmarks ({QEMU_MODE})", flush=True)
    raw = {"boot": {mib: boot_to_prompt(build, mib) for mib in BOOT_MEMORY_MIB},
           "bench": tick_costs(build), "schedbench": sched_costs(build),
           "modbench": module_costs(build), "cronbench": periodic_costs(build),
           "deferred": deferred_costs(build),
           "user": user_costs(build), "bench_cron": crond_costs(build),
           "crond_late": crond_lateness(build),
           "idle_cpu_percent": idle_cpu_percent(build)}
    figs = make_figures(raw)
    for line in table_lines(figs):
        print(line)
    host = host_benchmark(build)
    if host:
        print("host Google Benchmark (queue_task + drain, wall time, varies by machine):")
        for line in host:
            print("  " + line)
    write_json(report(figs, host), out)
    print(f"figures written to {out}")
    if args.update_docs:
        if os.path.abspath(out) != os.path.abspath(figures.DEFAULT_JSON):
            shutil.copyfile(out, figures.DEFAULT_JSON)
        figures.main([])
    print(f"reproduce: tools/bench.py --build {args.build}")
    return 0 if all(f["met"] is not False for f in figs) else 1


if __name__ == "__main__":
    sys.exit(main())
