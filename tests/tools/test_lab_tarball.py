#!/usr/bin/env python3
"""tools.lab_works_without_git: tools/lab.sh in a tree handed out as a tarball (no .git,
here unpacked inside another git checkout, as a student's home might be), and on a machine
without git: `list` finds the LAB regions, `start` writes the same files a checkout would
hand out (a git repository when git is there: `list` in it shows its TODOs, `handin`
archives its last commit), and the grader's commit lookup says "none" instead of failing.

  test_lab_tarball.py --work DIR      (DIR is wiped and rewritten)"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def export_tree(src, dest):
    """A copy of the source tree as a tarball would carry it: no .git, no build trees."""
    def skip(dirpath, names):
        out = {n for n in names if n == ".git"}
        for n in names:
            full = os.path.join(dirpath, n)
            if os.path.isdir(full) and os.path.exists(os.path.join(full, "CMakeCache.txt")):
                out.add(n)  # a build directory
        if os.path.realpath(dirpath) == os.path.realpath(src):
            out |= {n for n in names if n == "build" or n.startswith("build-")}
        return out
    shutil.copytree(src, dest, ignore=skip, symlinks=True)


def files_under(top):
    out = set()
    for dirpath, _, names in os.walk(top):
        for n in names:
            out.add(os.path.relpath(os.path.join(dirpath, n), top))
    return out


def sh(cmd, env=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return r.returncode, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    tree = os.path.join(work, "quartz")
    export_tree(ROOT, tree)
    assert not os.path.exists(os.path.join(tree, ".git"))

    rc, out = sh([os.path.join(tree, "tools", "lab.sh"), "list"])
    assert rc == 0, out
    assert "write  kernel/lib/pit8253.h:" in out and "Lab 5:" in out, out

    student = os.path.join(work, "lab1")
    rc, out = sh([os.path.join(tree, "tools", "lab.sh"), "start", "1", student])
    assert rc == 0, out
    with open(os.path.join(student, "kernel", "lib", "pit8253.h")) as f:
        assert "TODO(lab 1)" in f.read()
    # A repository with one commit, the skeleton (git is on this machine).
    rc, log = sh(["git", "-C", student, "log", "--oneline"])
    assert rc == 0 and len(log.splitlines()) == 1 and "Lab 1:" in log, log
    got = {f for f in files_under(student) - {".quartz-lab"} if not f.startswith(".git/")}
    # The same files as from the checkout (tracked and untracked, not ignored), when the
    # source is one.
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import lab
    if lab.git_toplevel(ROOT):
        excluded = tuple(lab.load_labs()[0].get("student_tree_exclude", []))
        want = {f for f in lab.tracked_files(ROOT, untracked=True)
                if not f.startswith(excluded) and os.path.lexists(os.path.join(ROOT, f))}
        assert got == want, (sorted(got - want)[:20], sorted(want - got)[:20])
    assert not any(p.startswith(("build/", "build-")) or "__pycache__" in p for p in got), got

    # In the student tree, `list` shows the tree's own TODOs with their lines.
    rc, out = sh([os.path.join(student, "tools", "lab.sh"), "list"])
    assert rc == 0 and "This is the student tree of lab 1." in out, out
    with open(os.path.join(student, "kernel", "lib", "pit8253.h")) as f:
        line = next(i for i, l in enumerate(f, 1) if "TODO(lab 1)" in l)
    assert f"write  kernel/lib/pit8253.h:{line}: " in out, out
    # handin: refused with an uncommitted change, an archive of HEAD once committed.
    with open(os.path.join(student, "README.md"), "a") as f:
        f.write("my notes\n")
    rc, out = sh([os.path.join(student, "tools", "lab.sh"), "handin"])
    assert rc == 2 and "uncommitted changes (README.md)" in out, out
    sh(["git", "-C", student, "-c", "user.name=s", "-c", "user.email=s@x", "commit", "-qam", "notes"])
    archive = os.path.join(work, "lab1-handin.tar.gz")
    rc, out = sh([os.path.join(student, "tools", "lab.sh"), "handin", "-o", archive])
    assert rc == 0 and os.path.exists(archive), out
    rc, listing = sh(["tar", "tzf", archive])
    assert "lab1/README.md" in listing and "lab1/.quartz-lab" in listing, listing[:500]

    # No git on the machine at all: an empty PATH (lab.py needs only Python).
    bare = dict(os.environ, PATH=os.path.join(work, "empty-path"))
    os.makedirs(bare["PATH"])
    student2 = os.path.join(work, "lab2")
    rc, out = sh([sys.executable, os.path.join(tree, "tools", "lab.py"), "start", "2", student2],
                 env=bare)
    assert rc == 0, out
    assert "git is not installed" in out, out
    assert files_under(student2) == got | {".quartz-lab"}, "different trees with and without git"
    saved = os.environ["PATH"]
    os.environ["PATH"] = bare["PATH"]
    try:
        assert lab.git_commit(tree) is None and lab.git_commit(ROOT) is None
    finally:
        os.environ["PATH"] = saved
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
