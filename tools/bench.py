#!/usr/bin/env python3
"""Quartz benchmark report: boots the kernel under QEMU with -icount shift=0,sleep=off,
where the guest's rdtsc counts instructions, and prints exact, repeatable figures.
Usage: tools/bench.py [--build build]"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
from quartz_qemu import Qemu, exit_status  # noqa: E402

BOOT_GOAL = 2_000_000
TICK_GOAL = 150
PER_TASK_GOAL = 30
YIELD_GOAL = 600
IDLE_CPU_GOAL = 5.0  # percent of one host core


def boot_to_prompt(build, memory):
    with Qemu(build, icount=True, memory=memory,
              append='panic=exit run="bootstat; selftest --exit"') as q:
        m = q.expect(r"boot: (\d+) instructions from the kernel entry to the first prompt", 60)
        t = q.expect(r"(\d+) passed, (\d+) failed", 120)
        status = q.wait_exit()
        return int(m.group(1)), int(t.group(1)), int(t.group(2)), status == exit_status(0)


def tick_costs(build):
    with Qemu(build, icount=True, append='run="bench tick; poweroff 0"') as q:
        empty = int(q.expect(r"bench: empty tick (\d+) instructions", 120).group(1))
        per_task = float(q.expect(r"bench: ([\d.]+) instructions per queued task").group(1))
        q.wait_exit()
        return empty, per_task


def sched_costs(build):
    with Qemu(build, icount=True, append='run="schedbench; poweroff 0"') as q:
        yield_rt = int(q.expect(r"yield round trip between two threads (\d+) instructions", 120).group(1))
        m = q.expect(r"wake from IRQ 0 \(its handler\) to the woken thread running: (\d+) "
                     r"instructions \((\d+) from the routine's wake_up\), (same tick|a later tick)")
        q.wait_exit()
        return yield_rt, int(m.group(1)), m.group(3)


def idle_cpu_percent(build, seconds=10):
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
        return 100.0 * (c1 - c0) / (t1 - t0)


def module_costs(build):
    import glob
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    with Qemu(build, icount=True, initrd=mods,
              append='run="modbench sched; insmod sched; sleep 100; rmmod sched; '
                     'insmod sched_sync; sleep 100; rmmod sched_sync; poweroff 0"') as q:
        cycle = int(q.expect(r"modbench: sched insmod \d+ \+ rmmod \d+ = (\d+) instructions", 120).group(1))
        guide = int(q.expect(r"sched: unloaded \(cleanup_module took (\d+) ticks?\)").group(1))
        sync = int(q.expect(r"sched_sync: unloaded \(cleanup_module took (\d+) ticks?\)").group(1))
        q.wait_exit()
        return cycle, guide, sync


def two_ways(build):
    import glob
    mods = sorted(glob.glob(os.path.join(build, "modules", "*.ko")))
    with Qemu(build, icount=True, initrd=mods, append='run="cronbench 100; poweroff 0"') as q:
        cron = int(q.expect(r"first way\): \d+ activations, (\d+) instructions each", 120).group(1))
        tq = int(q.expect(r"second way\): \d+ activations, (\d+) instructions each").group(1))
        q.wait_exit()
        return cron, tq


def host_benchmark(build):
    exe = os.path.join(build, "quartz_host_bench")
    if not os.path.exists(exe):
        return None
    out = subprocess.run([exe, "--benchmark_min_time=0.2"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    return [line for line in out.splitlines() if line.startswith("BM_")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    print("Quartz benchmarks (qemu-system-i386 -accel tcg -icount shift=0,sleep=off)")
    print(f"{'figure':<44} {'value':>14}  goal")
    ok = True
    for mem in (128, 8):
        instr, passed, failed, clean = boot_to_prompt(build, mem)
        good = instr <= BOOT_GOAL
        ok &= good
        print(f"{'boot: entry to first prompt, -m ' + str(mem):<44} {instr:>14,}  "
              f"<= {BOOT_GOAL:,} instructions {'ok' if good else 'MISSED'}")
        good = failed == 0 and passed > 0 and clean
        ok &= good
        print(f"{'selftests with -m ' + str(mem):<44} {f'{passed} passed':>14}  "
              f"all pass {'ok' if good else 'MISSED'}")
    empty, per_task = tick_costs(build)
    good = empty <= TICK_GOAL
    ok &= good
    print(f"{'tick with empty tq_timer, stub to iret':<44} {empty:>14,}  "
          f"<= {TICK_GOAL} instructions {'ok' if good else 'MISSED'}")
    good = per_task <= PER_TASK_GOAL
    ok &= good
    print(f"{'per queued task, besides its routine':<44} {per_task:>14}  "
          f"<= {PER_TASK_GOAL} instructions {'ok' if good else 'MISSED'}")
    yield_rt, wake, same_tick = sched_costs(build)
    good = yield_rt <= YIELD_GOAL
    ok &= good
    print(f"{'yield round trip between two threads':<44} {yield_rt:>14,}  "
          f"<= {YIELD_GOAL} instructions {'ok' if good else 'MISSED'}")
    good = same_tick == "same tick"
    ok &= good
    print(f"{'wake from IRQ 0 to the woken thread (idle)':<44} {wake:>14,}  "
          f"instructions, {same_tick}: runs in the same tick {'ok' if good else 'MISSED'}")
    cycle, guide, sync = module_costs(build)
    print(f"{'insmod+rmmod cycle of sched (idle excluded)':<44} {cycle:>14,}  instructions")
    good = guide <= 1
    ok &= good
    print(f"{'unload latency, guide protocol (sched)':<44} {guide:>14}  "
          f"<= 1 tick {'ok' if good else 'MISSED'}")
    good = sync == 0
    ok &= good
    print(f"{'unload latency, cancel_task_sync (sched_sync)':<44} {sync:>14}  "
          f"0 ticks {'ok' if good else 'MISSED'}")
    per_cron, per_tq = two_ways(build)
    print(f"{'periodic work: every + /proc (first way)':<44} {per_cron:>14,}  instructions per activation")
    print(f"{'periodic work: tq_timer task (second way)':<44} {per_tq:>14,}  instructions per activation")
    print(f"{'ratio first/second':<44} {per_cron / per_tq:>14.1f}x")
    idle = idle_cpu_percent(build)
    good = idle < IDLE_CPU_GOAL
    ok &= good
    print(f"{'host CPU of QEMU idle at the prompt, 10 s':<44} {idle:>13.1f}%  "
          f"< {IDLE_CPU_GOAL}% of one core {'ok' if good else 'MISSED'}")
    lines = host_benchmark(build)
    if lines:
        print("host Google Benchmark (queue_task + drain, wall time, varies by machine):")
        for line in lines:
            print("  " + line)
    print(f"reproduce: tools/bench.py --build {args.build}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
