#!/usr/bin/env python3
"""tools/build-module.sh --linux: the guide's 2.2, 2.4, 2.6 and today's examples (modules/guide) build
without a single warning; what the old APIs had and Quartz does not is refused at build
time with a message naming it, and no .ko is left; bad --linux values are refused with
one line (docs/the-guide.md).
Usage: test_linux_headers.py [--modcheck PATH]"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "tools", "build-module.sh")

HEAD22 = "#include <linux/kernel.h>\n#include <linux/module.h>\n#include <linux/tqueue.h>\n"
HEAD24 = "#define MODULE\n#define __KERNEL__\n" + HEAD22 + "#include <linux/sched.h>\n"
INIT = "int init_module() { return 0; }\nvoid cleanup_module() { }\n"
HEAD26 = ("#include <linux/kernel.h>\n#include <linux/module.h>\n#include <linux/workqueue.h>\n"
          "#include <linux/interrupt.h>\n#include <linux/init.h>\n")

# (name, --linux value, source, text the failure must show)
REFUSED = [
    ("tq_scheduler", "2.2",
     HEAD22 + "static struct tq_struct t = { NULL, 0, NULL, NULL };\n"
     "int init_module() { queue_task(&t, &tq_scheduler); return 0; }\nvoid cleanup_module() { }\n",
     "tq_scheduler is not supported by Quartz"),
    ("tq_immediate", "2.2",
     HEAD22 + "static struct tq_struct t = { NULL, 0, NULL, NULL };\n"
     "int init_module() { queue_task(&t, &tq_immediate); return 0; }\nvoid cleanup_module() { }\n",
     "tq_immediate is not supported by the --linux 2.2 headers"),
    ("2.2 tasklets", "2.2", "#include <linux/interrupt.h>\n" + INIT,
     "the --linux 2.2 headers offer no bottom halves or tasklets"),
    ("MOD_INC_USE_COUNT", "2.4",
     HEAD24 + "int init_module() { MOD_INC_USE_COUNT; return 0; }\nvoid cleanup_module() { }\n",
     "MOD_INC_USE_COUNT is not supported by Quartz"),
    ("MODULE_PARM", "2.2",
     HEAD22 + "static int n;\nMODULE_PARM(n, \"i\");\n" + INIT,
     "MODULE_PARM is not supported by Quartz"),
    # 2.4's field order is { list, sync, routine, data }; Quartz's differs: by position
    # it must not compile (it would put the routine in the wrong field).
    ("positional 2.4 tq_struct", "2.4",
     HEAD24 + "static void f(void *p) { }\n"
     "static struct tq_struct t = { f, NULL };\n" + INIT,
     "designated_init"),
    ("cancel_rearming_delayed_work", "2.6",
     HEAD26 + "static void f(void *p) { }\nstatic DECLARE_WORK(w, f, NULL);\n"
     "int init_module() { return 0; }\nvoid cleanup_module() { cancel_rearming_delayed_work(&w); }\n",
     "cancel_rearming_delayed_work is not supported by the --linux 2.6 headers"),
    ("schedule_delayed_work_on", "2.6",
     HEAD26 + "static void f(void *p) { }\nstatic DECLARE_WORK(w, f, NULL);\n"
     "int init_module() { return !schedule_delayed_work_on(0, &w, 1); }\nvoid cleanup_module() { }\n",
     "schedule_delayed_work_on is not supported by Quartz"),
    ("2.6 mark_bh", "2.6",
     HEAD26 + "int init_module() { mark_bh(IMMEDIATE_BH); return 0; }\nvoid cleanup_module() { }\n",
     "mark_bh is not supported by the --linux 2.6 headers"),
    # Today's work function takes the item: a 2.6 module that passes one is refused.
    ("2.6.20's work function", "2.6",
     HEAD26 + "static void f(struct work_struct *w) { }\nstatic DECLARE_WORK(w, f, NULL);\n" + INIT,
     "incompatible-pointer-types"),
    ("today's proc_fs", "6",
     "#include <linux/proc_fs.h>\n" + INIT,
     "<linux/proc_fs.h> for today's Linux (proc_create, struct proc_ops) is not written yet"),
    ("2.6 tqueue", "2.6",
     "#include <linux/tqueue.h>\n" + INIT,
     "<linux/tqueue.h> is gone after Linux 2.4"),
]


def build(args, env):
    p = subprocess.run([BUILD] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env)
    return p.returncode, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--modcheck")
    a = ap.parse_args()
    env = dict(os.environ)
    if a.modcheck:
        env["QUARTZ_MODCHECK"] = a.modcheck
    bad = 0

    def check(ok, what, out):
        nonlocal bad
        if not ok:
            bad += 1
            print(f"FAIL: {what}\n{out}")

    with tempfile.TemporaryDirectory(prefix="quartz-linux-") as tmp:
        # The guide-style examples: built, and not one warning printed.
        for name, gen in (("sched22", "2.2"), ("sched24", "2.4"), ("sched26", "2.6"), ("sched6", "6"),
                          ("tasklet6", "6")):
            ko = os.path.join(tmp, name + ".ko")
            rc, out = build(["--linux", gen, "-o", ko, os.path.join(ROOT, "modules", "guide", name + ".c")], env)
            check(rc == 0 and os.path.exists(ko) and out == "", f"{name} builds without warnings", out)
        # 2.4's other deferred work reads as it was written, without a warning.
        c = os.path.join(tmp, "other24.c")
        with open(c, "w") as f:
            f.write(HEAD24 + "#include <linux/interrupt.h>\n#include <linux/timer.h>\n"
                    "static void run(void *p) { }\nstatic void tl(unsigned long d) { }\n"
                    "static void tm(unsigned long d) { }\n"
                    "static struct tq_struct imm = { routine: run, data: NULL };\n"
                    "static DECLARE_TASKLET(Tl, tl, 7);\nstatic struct timer_list T;\n"
                    "int init_module() { queue_task(&imm, &tq_immediate); mark_bh(IMMEDIATE_BH);\n"
                    "  tasklet_schedule(&Tl); init_timer(&T); T.function = tm; T.data = 1;\n"
                    "  T.expires = jiffies + HZ; add_timer(&T); return 0; }\n"
                    "void cleanup_module() { del_timer_sync(&T); tasklet_kill(&Tl); }\n")
        rc, out = build(["--linux", "2.4", "-o", os.path.join(tmp, "other24.ko"), c], env)
        check(rc == 0 and out == "", "tq_immediate, mark_bh, 2.4 tasklets and timers build", out)
        # 2.6.19's other work calls, tasklets, timers and /proc read entries, as written then.
        c = os.path.join(tmp, "other26.c")
        with open(c, "w") as f:
            f.write(HEAD26 + "#include <linux/proc_fs.h>\n#include <linux/timer.h>\n#include <linux/sched.h>\n"
                    "static void run(void *p) { }\nstatic void tl(unsigned long d) { }\n"
                    "static void tm(unsigned long d) { }\nstatic struct work_struct W;\n"
                    "static DECLARE_WORK(D, run, NULL);\nstatic DECLARE_TASKLET(Tl, tl, 7);\n"
                    "static struct timer_list T;\nstatic struct workqueue_struct *q;\n"
                    "static int rd(char *p, char **s, off_t o, int c, int *eof, void *d) { return 0; }\n"
                    "static int __init go(void) { q = create_singlethread_workqueue(\"q\");\n"
                    "  INIT_WORK(&W, run, &W); PREPARE_WORK(&W, run, NULL); queue_work(q, &W);\n"
                    "  schedule_work(&D); schedule_delayed_work(&W, HZ); tasklet_schedule(&Tl);\n"
                    "  init_timer(&T); T.function = tm; T.data = 1; T.expires = jiffies + HZ;\n"
                    "  add_timer(&T); create_proc_read_entry(\"o\", 0, &proc_root, rd, NULL);\n"
                    "  return 0; }\n"
                    "static void __exit stop(void) { remove_proc_entry(\"o\", NULL);\n"
                    "  if (!cancel_delayed_work(&W))\n    flush_scheduled_work();\n  flush_workqueue(q);\n"
                    "  destroy_workqueue(q); del_timer_sync(&T); tasklet_kill(&Tl); }\n"
                    "module_init(go);\nmodule_exit(stop);\nMODULE_LICENSE(\"GPL\");\n")
        rc, out = build(["--linux", "2.6", "-o", os.path.join(tmp, "other26.ko"), c], env)
        check(rc == 0 and out == "", "2.6's work calls, tasklets, timers and read entries build", out)
        for name, gen, src, want in REFUSED:
            c = os.path.join(tmp, "old.c")
            ko = os.path.join(tmp, "old.ko")
            with open(c, "w") as f:
                f.write(src)
            rc, out = build(["--linux", gen, "-o", ko, c], env)
            check(rc != 0 and want in out and not os.path.exists(ko), f"{name} is refused, named", out)
        c = os.path.join(tmp, "m.c")
        with open(c, "w") as f:
            f.write(HEAD22 + INIT)
        for args, want in ((["--linux"], "build-module.sh: error: --linux needs a generation: 2.2, 2.4, 2.6 or 6\n"),
                           (["--linux", "3.0"], "build-module.sh: error: --linux 3.0: unknown generation "
                                                "(expected 2.2, 2.4, 2.6 or 6)\n"),
                           (["--linux", "-o"], "build-module.sh: error: --linux needs a generation: 2.2, 2.4, 2.6 or 6\n")):
            rc, out = build(args + ["-o", os.path.join(tmp, "m.ko"), c], env)
            check(rc != 0 and out == want, f"build-module.sh {' '.join(args)} is one clear line", out)
        # Without --linux the module is written against Quartz's own API: the hint says so.
        rc, out = build(["-o", os.path.join(tmp, "m.ko"), c], env)
        check(rc != 0 and "written for Linux? build it with --linux 2.2|2.4|2.6|6" in out,
              "a <linux/...> module without --linux gets the hint", out)
    print("test_linux_headers: " + ("ok" if not bad else f"{bad} failure(s)"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
