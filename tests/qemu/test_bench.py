"""The benchmark commands' machine-readable lines: every key tools/bench.py reads is
printed by the kernel, and bench.py turns one boot's lines into complete JSON figures."""
import json
import os
import sys

from quartz_qemu import Qemu, initramfs, shipped_modules

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import bench  # noqa: E402

COMMANDS = ("bootstat; bench tick; schedbench; modbench sched; cronbench 10; deferbench 10; "
            "exec /test/bench_syscall 10; exec /test/bench_spawn /bin/true 2; "
            "exec /test/bench_switch 10; exec /sbin/insmod /lib/modules/cronwork.ko; "
            "exec /test/bench_cron 2; poweroff 0")
USER = ("bench_syscall", "bench_spawn", "bench_switch")


def _one_boot(build):
    mods = shipped_modules(build) + [initramfs(build)]
    with Qemu(build, icount=True, initrd=mods, append=f'run="{COMMANDS}"') as q:
        raw = {name: bench.expect_figures(q, name, 120) for name in bench.KEYS}
        q.wait_exit()
        return raw, len(mods), q.output


def bench_commands_print_key_values(build):
    raw, n_mods, out = _one_boot(build)
    for name, keys in bench.KEYS.items():
        for key in keys:
            assert key in raw[name], (name, key, out[-3000:])
            if key != "module":
                assert isinstance(raw[name][key], int), (name, key, raw[name])
    assert raw["bootstat"]["boot_modules"] == n_mods, raw["bootstat"]  # the modules are counted
    assert raw["bootstat"]["boot_instructions"] > 0
    assert 0 < raw["bench"]["per_task_instructions"] < raw["bench"]["empty_tick_instructions"]
    assert raw["schedbench"]["wake_same_tick"] in (0, 1)
    assert raw["modbench"]["module"] == "sched"
    assert raw["modbench"]["cycle_instructions"] == (raw["modbench"]["insmod_instructions"]
                                                     + raw["modbench"]["rmmod_instructions"])
    assert raw["cronbench"]["ticks"] == 10
    # deferbench: one line per mechanism whose module is built, one per edition.
    lines = [bench.parse_figures(l, "deferbench") for l in out.splitlines()]
    mech = {p["mechanism"]: p for p in lines if "mechanism" in p and "instructions" in p}
    eds = {p["edition"]: p for p in lines if "edition" in p and "unload_ticks" in p}
    for key in ("tq_timer", "timer", "cron_thread"):
        assert key in mech and mech[key]["activations"] >= 9, (key, out[-3000:])
        assert mech[key]["instructions"] > 0 and mech[key]["load_activations"] > 0, mech[key]
    assert mech["tq_timer"]["instructions"] < mech["cron_thread"]["instructions"], mech
    assert eds["sched"]["unload_ticks"] <= 1, eds
    # The guide's examples (--linux): one activation a tick, each measured.
    for name in ("sched22", "sched24", "sched26"):
        assert eds[name]["unload_ticks"] <= 1 and eds[name]["activations"] >= 9, (name, eds)
        assert eds[name]["instructions"] > 0, (name, eds)
    # The words after the pairs are for people and may change freely; the pairs may not.
    assert bench.parse_figures("bench: a=1 b=x (c=2) d=3\nbenchx: e=4\n", "bench") == \
        {"a": 1, "b": "x"}

    # One boot's figures (its boot figure had modules: relabelled as without) as JSON.
    raw["bootstat"]["boot_modules"] = 0
    figs = bench.make_figures({"boot": {128: {"boot": raw["bootstat"], "passed": 1, "failed": 0,
                                              "clean_exit": True}},
                               "bench": raw["bench"], "schedbench": raw["schedbench"],
                               "modbench": raw["modbench"], "cronbench": raw["cronbench"],
                               "user": {u: raw[u] for u in USER}, "bench_cron": raw["bench_cron"]})
    rep = json.loads(json.dumps(bench.report(figs)))
    metrics = [f["metric"] for f in rep["figures"]]
    assert metrics == [m for m in bench.SPECS if m in metrics], metrics  # the table's order
    assert {"boot_instructions_128mib", "empty_tick_instructions", "per_task_instructions",
            "yield_round_trip_instructions", "wake_from_irq0_instructions",
            "module_cycle_instructions", "periodic_ratio", "syscall_round_trip_instructions",
            "spawn_instructions", "process_switch_instructions", "periodic_crond_instructions",
            "periodic_crond_ratio"} <= set(metrics), metrics
    for f in rep["figures"]:
        for field in ("metric", "value", "unit", "goal", "met", "includes"):
            assert field in f, (field, f)
        assert len(f["includes"]) > 40, f
        assert (f["goal"] is None and f["goal_op"] is None) == (f["met"] is None), f
    tick = next(f for f in rep["figures"] if f["metric"] == "empty_tick_instructions")
    assert tick["value"] == raw["bench"]["empty_tick_instructions"]
    assert tick["met"] == (tick["value"] <= tick["goal"])
    assert "queue_task" in next(f["includes"] for f in rep["figures"]
                                if f["metric"] == "per_task_instructions")
    with_modules = dict(raw["bootstat"], boot_modules=n_mods)
    try:
        bench.make_figures({"boot": {8: {"boot": with_modules, "passed": 1, "failed": 0,
                                         "clean_exit": True}}})
    except ValueError:
        pass
    else:
        raise AssertionError("a boot figure taken with boot modules was accepted")
    assert any(line.startswith("a tick with an empty tq_timer") for line in bench.table_lines(figs))


def deferbench_watch_measures_crond(build):
    # The guide's first way as a process: /sbin/crond runs `cat /proc/cronwork` every tick;
    # `deferbench watch` counts its activations, quiet and under a spinning thread, and
    # bench.py turns the line into the row; a module that is not loaded gets one line.
    script = ("deferbench watch cronwork 10; exec /sbin/insmod /lib/modules/cronwork.ko; "
              "deferbench watch cronwork; bg exec /sbin/crond -f /test/crontab.tick; sleep 50; "
              "deferbench watch cronwork 20")
    with Qemu(build, icount=True, initrd=[initramfs(build)], append=f'run="{script}"') as q:
        q.expect(r"deferbench: module cronwork is not loaded or has no symbol cronwork_work\n")
        q.expect(r"deferbench: watch cronwork: no activations measured \(is something driving")
        line = q.expect(r"deferbench: watched=[^\n]*\n", 120).group(0)
        q.prompt()
    p = bench.parse_figures(line, "deferbench")
    # crond's sleep to the next due time takes at least one whole tick: every second tick.
    assert 8 <= p["activations"] <= 11 and p["quiet_late_max"] >= 1, p
    assert p["load_activations"] > 0 and p["late_max"] >= p["quiet_late_max"], p
    fig = bench.make_figures({"crond_late": p, "deferred": {"mechanisms": {}, "editions": {}}})
    assert [f["value"] for f in fig if f["metric"] == "deferred_cron_process_late_ticks"] == \
        [p["late_max"]], fig
