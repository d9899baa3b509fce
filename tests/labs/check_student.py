#!/usr/bin/env python3
"""labci.student.N: the student tree of lab N (tools/lab.sh start N) builds, boots to the
prompt, scores below 100% on lab N with every failing test saying what was expected and
what was seen, and scores 100% on lab N-1 (whose solution it keeps); then each wrong
solution of lab N (tests/labs/wrong/labN, `tools/lab.sh wrong`) put into the same tree,
rebuilt incrementally, fails a test it names.

  check_student.py --lab N --work DIR [--reuse]

DIR (under the build directory) is wiped and rewritten. The tree is configured to build
only the host test files labs N and N-1 grade (QUARTZ_HOST_TEST_FILTER) and only the
kernel and the host tests (not the fuzzer or the benchmarks), host tests at -O0, to keep
CI short. With --reuse (the CI's labci.student.N share one DIR, lab 7's tree first), the
new tree is written beside DIR and only the files whose bytes differ are copied over, so
DIR/build-grade rebuilds only what the lab's stubs changed; the configuration is then the
same for every lab (every lab's host test files, user space), which keeps it valid."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB = os.path.join(REPO, "tools", "lab.py")
sys.path.insert(0, os.path.join(REPO, "tools"))
from quartz_qemu import Qemu, exit_status  # noqa: E402
import lab as lab_py  # noqa: E402


def step(what):
    print(f"[{time.monotonic() - T0:6.1f}s] {what}", flush=True)


def sh(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace", **kw)
    return r.returncode, r.stdout


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def sync_tree(src, dst, keep=("build-grade",)):
    """Makes dst hold exactly src's files (but dst's `keep` directories), writing only the
    files whose bytes or mode differ: the others keep their times, so make does not rebuild
    them. Returns how many files were written or removed."""
    import filecmp
    changed = 0
    for root, dirs, files in os.walk(dst):
        rel = os.path.relpath(root, dst)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in keep]
        for d in list(dirs):
            if not os.path.isdir(os.path.join(src, rel, d)):
                shutil.rmtree(os.path.join(root, d))
                dirs.remove(d)
                changed += 1
        for f in files:
            if not os.path.isfile(os.path.join(src, rel, f)):
                os.remove(os.path.join(root, f))
                changed += 1
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files:
            a, b = os.path.join(root, f), os.path.join(dst, rel, f)
            if os.path.isfile(b) and filecmp.cmp(a, b, shallow=False):
                if os.stat(a).st_mode != os.stat(b).st_mode:
                    shutil.copymode(a, b)
                continue
            shutil.copyfile(a, b)
            shutil.copymode(a, b)
            changed += 1
    return changed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", type=int, required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--official", action="store_true",
                    help="also check tools/lab.sh grade-official on made-up submissions")
    ap.add_argument("--all-wrong", action="store_true",
                    help="only build the tree and check every wrong solution of lab N (not "
                         "just the lab's wrong_in_ci), at full timeouts: the long label's run")
    ap.add_argument("--reuse", action="store_true",
                    help="keep DIR's build: write only the files that differ (see above)")
    args = ap.parse_args()
    n, work = args.lab, os.path.abspath(args.work)
    with open(os.path.join(REPO, "tools", "labs.json")) as f:
        labs = {lab["number"]: lab for lab in json.load(f)["labs"]}

    reuse = args.reuse and os.path.isdir(os.path.join(work, "build-grade"))
    fresh = work + ".start" if reuse else work
    shutil.rmtree(fresh, ignore_errors=True)
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
    step(f"tools/lab.sh start {n} {fresh}")
    # --with-untracked: the tree as it is being changed (a student gets `git ls-files`).
    rc, out = sh([sys.executable, LAB, "start", str(n), fresh, "--with-untracked"])
    print(out, end="")
    if rc != 0:
        fail("lab.sh start failed")
    if reuse:
        step(f"{sync_tree(fresh, work)} files changed in {work} (its build kept)")
        shutil.rmtree(fresh)
    rc, out = sh([sys.executable, LAB, "start", str(n), work])
    if rc == 0 or "not empty" not in out:
        fail(f"start over a non-empty directory was not refused: {out!r}")
    leftover = sh(["grep", "-rlE", "--exclude-dir=build-grade", "--include=*.h", "--include=*.cpp", "--include=*.c",
                   "--include=*.asm", r"LAB\([0-9]+\) (BEGIN|STUB|END)", work])[1].strip()
    if leftover:
        fail(f"markers left in the student tree: {leftover}")
    leftover = sh(["grep", "-rlE", "--exclude-dir=build-grade", "--include=*.md", r"<!--[[:space:]]*LAB\([0-9]+\)", work])[1].strip()
    if leftover:
        fail(f"documentation markers left in the student tree: {leftover}")

    # The grader's own configuration (tools/lab.py grade_configuration), widened to the
    # host tests of lab N-1 too, whose grade this tree must also pass.
    files = "|".join(sorted({labs[k].get("host_test_files", "") for k in (n, n - 1) if k in labs} - {""}))
    opts = lab_py.grade_configuration(labs[n])
    opts["QUARTZ_HOST_TEST_FILTER"] = files or opts["QUARTZ_HOST_TEST_FILTER"]
    if any(labs[k].get("user") for k in (n, n - 1) if k in labs):
        opts["QUARTZ_USER"] = "ON"  # lab N-1 grades user programs (lab 7 after lab 6)
    if args.reuse:  # one configuration for every lab's tree: nothing reconfigures
        opts["QUARTZ_HOST_TEST_FILTER"] = "|".join(
            sorted({lab.get("host_test_files", "") for lab in labs.values()} - {""})) or "pic_pit"
        opts["QUARTZ_USER"] = "ON" if any(lab.get("user") for lab in labs.values()) else "OFF"
    build = os.path.join(work, "build-grade")
    step(f"configure ({' '.join(f'{k}={v}' for k, v in opts.items())}) and build")
    rc, out = sh(["cmake", "-S", work, "-B", build] + [f"-D{k}={v}" for k, v in opts.items()])
    if rc != 0:
        fail("configure failed:\n" + out[-3000:])
    rc, out = sh(["cmake", "--build", build, "-j", str(args.jobs),
                  "--target", "quartz_target", "quartz_host_tests"])
    if rc != 0:
        fail("the student tree does not build:\n" + out[-4000:])

    if args.all_wrong:
        check_wrong(n, work, args, ["--timeout-scale", "1"])
        step("ok")
        return

    step("boot to the prompt")
    with Qemu(build) as q:
        q.expect(r"Quartz teaching kernel")
        q.prompt()
        got = q.command(f"echo lab {n} tree boots")
        if got != f"lab {n} tree boots\n":
            fail(f"the shell does not answer: {got!r}")
        q.send("poweroff 0\n")
        if q.wait_exit() != exit_status(0):
            fail(f"poweroff: QEMU exit status {q.status}")

    step(f"grade lab {n} (must be below 100%)")
    report = os.path.join(work, f"grade-{n}.json")
    # The skeleton's failing tests wait for output that never comes (or for host tests that
    # spin): much shorter waits. A test failing early here only lowers a score that must be
    # below 100% anyway; a stub that removed nothing still passes fast, and is caught.
    rc, out = sh([sys.executable, LAB, "grade", str(n), work, "--no-build", "-j", str(args.jobs),
                  "--timeout", "10", "--timeout-scale", "0.1", "--host-timeout", "2",
                  "--json", report])
    print(out, end="")
    with open(report) as f:
        rep = json.load(f)
    if rc != 1 or rep["percent"] >= 100:
        fail(f"lab {n}'s student tree scored {rep['percent']}% (exit {rc}): its graded parts "
             "are not really removed")
    if f"Lab {n}: {rep['points']}/{rep['max_points']} points" not in out:
        fail("no total line in the grader's output")
    for t in rep["tests"]:
        if t["result"] == "PASS":
            continue
        if not t.get("expected") or not t.get("seen"):
            fail(f"failing test {t['name']} has no expected/seen in the JSON report")
        block = out[out.find(f"FAIL {t['name']}"):]
        if not block or "expected: " not in block or "seen: " not in block:
            fail(f"the grader's output for failing test {t['name']} lacks expected/seen")

    if n - 1 in labs:
        step(f"grade lab {n - 1} (its solution is kept: must be 100%)")
        rc, out = sh([sys.executable, LAB, "grade", str(n - 1), work, "--no-build", "-j",
                      str(args.jobs)])
        print(out, end="")
        if rc != 0:
            fail(f"lab {n}'s student tree does not score 100% on lab {n - 1}: a stub of a "
                 "later lab breaks an earlier one")
    if args.official:
        official_checks(n, labs, work, args)
    # Last: each one rewrites the lab's files (the skeleton's come back at the end). Waits
    # for output at a quarter of their length (a missing line costs 7.5 s, not 30): the
    # control runs at the same scale, so a failure is the mistake's, not the short wait's.
    # Only the lab's wrong_in_ci (each host-tested one costs a recompile of its test file,
    # 15-20 s here); labci.wrong_all.N (label long) checks them all.
    check_wrong(n, work, args, ["--ci", "--timeout-scale", "0.25"])
    step("ok")


def check_wrong(n, work, args, options):
    """tools/lab.sh wrong N WORK OPTIONS: each wrong solution of lab N must fail a test it
    names (nothing to do for a lab without any)."""
    if not lab_py.wrong_solutions(n, lab_py.load_labs()[1]):
        return
    step(f"lab {n}'s wrong solutions (tests/labs/wrong/lab{n}, {' '.join(options)}): "
         "each must be caught")
    rc, out = sh([sys.executable, LAB, "wrong", str(n), work, "-j", str(args.jobs)] + options)
    print(out, end="")
    if rc != 0:
        fail(f"a wrong solution of lab {n} is not caught by the tests it names (or the "
             "check could not run)")


def official_checks(n, labs, work, args):
    """tools/lab.sh grade-official on two made-up submissions, in this student tree (the
    teacher's clean tree: it was written from this tree and is built): one whose lab files
    are the skeleton's and whose test harness was edited to pass everything (it must stay
    below 100%, with a warning naming the file), and one whose lab files hold the solution
    (100%, each file's hash recorded)."""
    import tempfile
    files = lab_py.lab_files(n)
    opts = argparse.Namespace(jobs=args.jobs, timeout=30, timeout_scale=0.1, build_dir=None,
                              no_build=False, json=None)
    clean = lab_py.CleanTree(n, labs, os.path.dirname(work), opts, tree=work)
    with tempfile.TemporaryDirectory(prefix="quartz-official-") as tmp:
        cheat = os.path.join(tmp, "cheat")
        for rel in files + ["tests/qemu/run_test.py", ".quartz-lab"]:
            os.makedirs(os.path.dirname(os.path.join(cheat, rel)), exist_ok=True)
            shutil.copyfile(os.path.join(work, rel), os.path.join(cheat, rel))
        with open(os.path.join(cheat, "tests/qemu/run_test.py"), "a") as f:
            f.write("\nimport sys\nsys.exit(0)  # every test passes\n")
        step("grade-official: the skeleton with its test harness edited to pass")
        rep = clean.grade(cheat, os.path.join(tmp, "s1"))
        lab_py.print_official(rep)
        warned = any("tests/qemu/run_test.py" in w for w in rep["official"]["warnings"])
        if rep["percent"] >= 100 or not warned:
            fail(f"the edited harness was used or not named: {rep['percent']}%, "
                 f"warnings {rep['official']['warnings']}")
        solved = os.path.join(tmp, "solved")
        for rel in files:  # the teacher's file with lab N solved (later labs stubbed)
            with open(os.path.join(REPO, rel), encoding="utf-8", newline="") as f:
                lines = f.read().splitlines(keepends=True)
            text = "".join(lab_py.transform(rel, lines, n + 1)[0])
            os.makedirs(os.path.dirname(os.path.join(solved, rel)), exist_ok=True)
            with open(os.path.join(solved, rel), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        shutil.copyfile(os.path.join(work, ".quartz-lab"), os.path.join(solved, ".quartz-lab"))
        step("grade-official: the lab's files solved")
        rep = clean.grade(solved, os.path.join(tmp, "s2"))
        lab_py.print_official(rep)
        if rep["percent"] != 100 or sorted(rep["official"]["lab_files"]) != sorted(files):
            fail(f"the solved submission scored {rep['percent']}% (files "
                 f"{sorted(rep['official']['lab_files'])})")


T0 = time.monotonic()
if __name__ == "__main__":
    main()
