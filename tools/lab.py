#!/usr/bin/env python3
"""Coursework labs for Quartz: student trees from one source tree, and the grader.

  tools/lab.sh list                       the labs, their tests and points, the parts to
                                          write (in a student tree: its own TODOs)
  tools/lab.sh start N DIR [--tarball F]  write the student tree for lab N into DIR, as a git
                                          repository with one commit (and F, a .tar.gz of it)
  tools/lab.sh grade N [DIR] [--json F]   build DIR (default: this repo), run lab N's tests
  tools/lab.sh handin [DIR] [-o FILE]     a student's archive of their committed tree, for the
                                          teacher to collect (refused with uncommitted changes)
  tools/lab.sh grade-official N SUB       grade a submission's lab files (only those) in the
                                          teacher's clean tree, with the teacher's tests
  tools/lab.sh grade-all N FOLDER         grade-official for every submission in FOLDER; a
                                          JSON report each and grades.csv
  tools/lab.sh wrong N DIR [--name W]     lab N's wrong solutions (tests/labs/wrong/labN) put
                                          in turn into DIR, a built student tree of lab N:
                                          each must fail a test it names (instructors' CI)

The parts a lab asks students to write are marked in the normal source tree:

    // LAB(N) BEGIN: one line saying what to write
    ...the solution...
    // LAB(N) STUB: one line of replacement code          (zero or more, in order)
    // LAB(N) END

(`; LAB(N) ...` in .asm files, `/* LAB(N) ... */` in C.) `start N` copies the tracked files
(`git ls-files`; in a tree that is not a git checkout, such as a tarball, every file its
.gitignore does not exclude), replaces every region of lab N and of the later labs by a
`TODO(lab M): ...` comment and its STUB lines, and keeps the earlier labs' solutions
(without their markers). The labs, their tests and points are in tools/labs.json.
Only the Python 3 standard library is used.
"""
import argparse
import ast
import concurrent.futures
import datetime
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LABS_JSON = os.path.join(HERE, "labs.json")

# A marker line: indentation, comment opener, LAB(N), kind, text, optional C closer.
MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<open>//|;|/\*)[ \t]*LAB\((?P<lab>\d+)\)[ \t]+"
                    r"(?P<kind>BEGIN|STUB|END)\b:?[ \t]?(?P<text>.*?)[ \t]*(?P<close>\*/)?[ \t]*$")
ANY_MARKER = re.compile(r"LAB\(\d+\)[ \t]+(BEGIN|STUB|END)\b")
# Only source files carry markers (the handouts may quote them).
SOURCE_SUFFIXES = (".h", ".hpp", ".cpp", ".cc", ".c", ".asm", ".s", ".S", ".inc")


def has_markers(rel, text):
    return text is not None and rel.endswith(SOURCE_SUFFIXES) and ANY_MARKER.search(text)


class LabError(Exception):
    pass


def load_labs():
    with open(LABS_JSON) as f:
        data = json.load(f)
    labs = {int(lab["number"]): lab for lab in data["labs"]}
    return data, labs


# ---------------------------------------------------------------- markers ----

class Region:
    def __init__(self, path, lab, begin_line, indent, opener, text):
        self.path, self.lab, self.begin_line = path, lab, begin_line
        self.indent, self.opener, self.text = indent, opener, text
        self.end_line = None
        self.stubs = []       # (indent, code)
        self.code_lines = 0


def parse_markers(path, lines):
    """Returns (regions, per-line role) for a file's lines; raises LabError on bad nesting."""
    regions, roles, cur = [], [], None
    for i, line in enumerate(lines, 1):
        m = MARKER.match(line.rstrip("\n"))
        if not m:
            if ANY_MARKER.search(line):
                raise LabError(f"{path}:{i}: a LAB marker must be alone on its line")
            roles.append(("code", cur))
            if cur is not None:
                if cur.stubs:
                    raise LabError(f"{path}:{i}: code after a LAB({cur.lab}) STUB line "
                                   f"(STUB lines come last, just before END)")
                cur.code_lines += 1
            continue
        lab, kind = int(m["lab"]), m["kind"]
        if (m["open"] == "/*") != bool(m["close"]):
            raise LabError(f"{path}:{i}: unbalanced /* */ on a LAB marker")
        if kind == "BEGIN":
            if cur is not None:
                raise LabError(f"{path}:{i}: LAB({lab}) BEGIN inside LAB({cur.lab}) "
                               f"(opened at line {cur.begin_line})")
            if not m["text"]:
                raise LabError(f"{path}:{i}: LAB({lab}) BEGIN needs a line saying what to write")
            cur = Region(path, lab, i, m["indent"], m["open"], m["text"])
            roles.append(("begin", cur))
        else:
            if cur is None or cur.lab != lab:
                raise LabError(f"{path}:{i}: LAB({lab}) {kind} without a LAB({lab}) BEGIN")
            if kind == "STUB":
                cur.stubs.append((m["indent"], m["text"]))
                roles.append(("stub", cur))
            else:
                cur.end_line = i
                regions.append(cur)
                roles.append(("end", cur))
                cur = None
    if cur is not None:
        raise LabError(f"{path}:{cur.begin_line}: LAB({cur.lab}) BEGIN without END")
    return regions, roles


def comment(opener, text):
    return f"/* {text} */" if opener == "/*" else f"{opener} {text}"


def transform(path, lines, lab):
    """The student version of a file's lines for `lab`."""
    regions, roles = parse_markers(path, lines)
    out = []
    for line, (role, region) in zip(lines, roles):
        if region is None:
            out.append(line)
        elif region.lab < lab:             # an earlier lab: the solution stays, unmarked
            if role == "code":
                out.append(line)
        elif role == "begin":              # this lab or a later one: TODO and stub
            out.append(region.indent + comment(region.opener,
                                               f"TODO(lab {region.lab}): {region.text}") + "\n")
            for indent, code in region.stubs:
                out.append(indent + code + "\n")
    return out, regions


# Documentation can hold a lab's answer too (a table of the unload protocols): in a .md
# file, `<!-- LAB(N) BEGIN: why -->`, the teacher's lines, `<!-- LAB(N) STUB: a line -->`
# (zero or more), `<!-- LAB(N) END -->`. In a student tree of lab N or earlier the lines
# are replaced by the STUB lines (no TODO: nothing to write there); from lab N+1 on they
# stay. Such regions are not parts to write: `list`, `lab_files` and grading ignore them.
DOC_MARKER = re.compile(r"^[ \t]*<!--[ \t]*LAB\((?P<lab>\d+)\)[ \t]+(?P<kind>BEGIN|STUB|END)\b:?"
                        r"[ \t]?(?P<text>.*?)[ \t]*-->[ \t]*$")
DOC_ANY_MARKER = re.compile(r"<!--[ \t]*LAB\(\d+\)")


def transform_doc(path, lines, lab):
    """The student version of a .md file's lines for `lab` (see DOC_MARKER)."""
    out, cur, begin = [], None, 0
    for i, line in enumerate(lines, 1):
        m = DOC_MARKER.match(line.rstrip("\n"))
        if not m:
            if DOC_ANY_MARKER.search(line):
                raise LabError(f"{path}:{i}: a LAB marker must be alone on its line")
            if cur is None or cur < lab:
                out.append(line)
            continue
        n, kind = int(m["lab"]), m["kind"]
        if kind == "BEGIN":
            if cur is not None:
                raise LabError(f"{path}:{i}: LAB({n}) BEGIN inside LAB({cur}) (opened at line {begin})")
            if not m["text"]:
                raise LabError(f"{path}:{i}: LAB({n}) BEGIN needs a line saying why it is hidden")
            cur, begin = n, i
        elif cur != n:
            raise LabError(f"{path}:{i}: LAB({n}) {kind} without a LAB({n}) BEGIN")
        elif kind == "STUB":
            if n >= lab:
                out.append(m["text"] + "\n")
        else:
            cur = None
    if cur is not None:
        raise LabError(f"{path}:{begin}: LAB({cur}) BEGIN without END")
    return out


def git_toplevel(tree):
    """The tree's path if it is the top of a git checkout and git is installed, else None
    (a tarball, maybe unpacked inside some other repository, or a machine without git)."""
    try:
        r = subprocess.run(["git", "-C", tree, "rev-parse", "--show-toplevel"],
                           capture_output=True, text=True)
    except OSError:
        return None
    top = r.stdout.strip()
    if r.returncode != 0 or not top or os.path.realpath(top) != os.path.realpath(tree):
        return None
    return top


def tracked_files(repo, untracked=False):
    """The tree's files: `git ls-files` in a git checkout, else every file that the tree's
    .gitignore does not exclude (a tree handed out as a tarball)."""
    if git_toplevel(repo) is None:
        return walked_files(repo)
    cmd = ["git", "-C", repo, "ls-files", "-z"]
    if untracked:  # also files not yet added (but not ignored): for checks of a work tree
        cmd += ["--cached", "--others", "--exclude-standard"]
    out = subprocess.run(cmd, check=True, capture_output=True).stdout
    return sorted(set(p for p in out.decode().split("\0") if p))


def ignore_patterns(repo):
    """The patterns of the tree's top-level .gitignore, in the subset this tree uses:
    `name`, `*.ext`, `dir/`, and `/anchored` at the top; `!` and nested .gitignore files are
    refused, so a new pattern cannot be silently misread."""
    pats = []
    path = os.path.join(repo, ".gitignore")
    if not os.path.exists(path):
        return pats
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("!") or "**" in line:
                raise LabError(f".gitignore: pattern {line!r} is not understood outside git")
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            anchored = line.startswith("/") or "/" in line
            pats.append((line.lstrip("/"), anchored, dir_only))
    return pats


def ignored(rel, is_dir, pats):
    name = os.path.basename(rel)
    for pat, anchored, dir_only in pats:
        if dir_only and not is_dir:
            continue
        if fnmatch.fnmatchcase(rel if anchored else name, pat):
            return True
    return False


def walked_files(repo):
    pats = ignore_patterns(repo)
    files = []
    for dirpath, dirnames, filenames in os.walk(repo):
        rel_dir = os.path.relpath(dirpath, repo)
        rel_dir = "" if rel_dir == "." else rel_dir
        if rel_dir and os.path.exists(os.path.join(dirpath, ".gitignore")):
            raise LabError(f"{rel_dir}/.gitignore: nested .gitignore files are not understood "
                           "outside git")
        keep = []
        for d in sorted(dirnames):
            rel = os.path.join(rel_dir, d)
            if d == ".git" or ignored(rel, True, pats):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                files.append(rel)  # git tracks a symlink as a file
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            rel = os.path.join(rel_dir, name)
            if name == ".git" or ignored(rel, False, pats):  # .git: a worktree's link file
                continue
            files.append(rel)
    return sorted(files)


def read_text(path):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except (UnicodeDecodeError, IsADirectoryError):
        return None


def source_texts(tree):
    """(path, text) of every regular text file of the tree (tracked_files)."""
    for rel in tracked_files(tree):
        full = os.path.join(tree, rel)
        if os.path.islink(full) or not os.path.isfile(full):
            continue
        text = read_text(full)
        if text is not None:
            yield rel, text


def all_regions(repo):
    regions = []
    for rel, text in source_texts(repo):
        if has_markers(rel, text):
            regions += parse_markers(rel, text.splitlines(keepends=True))[0]
    return regions


GIT_IDENTITY = ["-c", "user.name=Quartz labs", "-c", "user.email=labs@quartz.invalid",
                "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]


def make_repository(dest, lab, title):
    """Makes the student tree a git repository with one commit (the skeleton), so students
    can see and commit their work and `handin` can archive it. False if git is missing."""
    if shutil.which("git") is None:
        print("lab.sh: git is not installed: the tree is not a repository (handin needs one)",
              file=sys.stderr)
        return False
    def git(*args):
        r = run(["git", *GIT_IDENTITY, "-C", dest, *args])
        if r.returncode != 0:
            raise LabError(f"git {args[0]} in {dest} failed: {r.stdout.strip()}")

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", f"Lab {lab}: {title} (the skeleton from tools/lab.sh start)")
    return True


def write_tarball(tree, path, arcname=None):
    """A .tar.gz of `tree` (its .git included: a student unpacks a repository)."""
    import tarfile
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tree, arcname=arcname or os.path.basename(os.path.normpath(tree)),
                filter=lambda ti: None if os.path.basename(ti.name) == "build" and ti.isdir()
                and os.path.dirname(ti.name).count("/") == 0 else ti)
    print(f"  tarball: {path}")


def start(lab, dest, data, labs, untracked=False, tarball=None):
    if lab not in labs:
        raise LabError(f"no lab {lab} (labs: {', '.join(map(str, sorted(labs)))})")
    dest = os.path.abspath(dest)
    if os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
        raise LabError(f"{dest} is not empty: refusing to write a student tree over it")
    excluded = tuple(data.get("student_tree_exclude", []))
    files = [f for f in tracked_files(REPO, untracked) if not f.startswith(excluded)]
    # Check every file first, so a bad marker leaves nothing half-written behind.
    plan = []
    counts = {}
    for rel in files:
        src = os.path.join(REPO, rel)
        if not os.path.lexists(src):
            continue  # deleted in the working tree
        text = None if os.path.islink(src) else read_text(src)
        if has_markers(rel, text):
            new, regions = transform(rel, text.splitlines(keepends=True), lab)
            for r in regions:
                if r.lab >= lab:
                    counts[r.lab] = counts.get(r.lab, 0) + 1
            plan.append((rel, src, "".join(new)))
        elif rel.endswith(".md") and text is not None and DOC_ANY_MARKER.search(text):
            plan.append((rel, src, "".join(transform_doc(rel, text.splitlines(keepends=True), lab))))
        else:
            plan.append((rel, src, None))
    os.makedirs(dest, exist_ok=True)
    for rel, src, text in plan:
        dst = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        elif text is None:
            shutil.copy2(src, dst)
        else:
            with open(dst, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            shutil.copymode(src, dst)
    with open(os.path.join(dest, ".quartz-lab"), "w") as f:
        f.write(f"{lab}\n")
    with open(os.path.join(dest, ".gitignore"), "a") as f:
        f.write("# tools/lab.sh handin's archives\n/lab*-handin.tar.gz\n")
    committed = make_repository(dest, lab, labs[lab]["title"])
    if tarball:
        write_tarball(dest, tarball)
    title = labs[lab]["title"]
    todo = ", ".join(f"lab {n}: {counts[n]}" for n in sorted(counts))
    print(f"lab {lab} ({title}): wrote {len(plan)} files to {dest}")
    print(f"  parts to write (TODO comments): {todo or 'none'}")
    print(f"  handout: {labs[lab].get('handout', 'docs/labs/')}")
    print(f"  build:   cmake -S {dest} -B {dest}/build && cmake --build {dest}/build")
    print(f"  grade:   tools/lab.sh grade {lab} {dest}")
    if committed:
        print(f"  a git repository with one commit; commit your work, then "
              f"`tools/lab.sh handin` makes the archive to hand in")


# ---------------------------------------------------------------- grading ----

def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", **kw)


def grade_configuration(spec):
    """The CMake options a grade builds with: only what the lab grades. The host tests of
    the lab's files alone (QUARTZ_HOST_TEST_FILTER; a small stand-in when it has none), at
    -O0 (CMAKE_BUILD_TYPE=Debug: five times faster to compile; the kernel keeps its own
    build type), user space only for a lab that grades it."""
    return {"CMAKE_BUILD_TYPE": "Debug",
            "QUARTZ_HOST_TEST_FILTER": spec.get("host_test_files") or "pic_pit",
            "QUARTZ_USER": "ON" if spec.get("user") else "OFF"}


def cached_options(build):
    """The build's CMake cache as {name: value}; {} if it is not configured."""
    opts = {}
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"([A-Za-z_][A-Za-z0-9_]*):[A-Z_]+=(.*)$", line.rstrip("\n"))
                if m:
                    opts[m.group(1)] = m.group(2)
    except OSError:
        pass
    return opts


def build_tree(tree, build, jobs, spec):
    """Configures the grade's build directory for this lab (again only if an option
    differs) and builds what the graders need. Returns (ok, log tail)."""
    want = grade_configuration(spec)
    have = cached_options(build)
    steps = []
    if not have or any(have.get(k, "").upper() != v.upper() for k, v in want.items()):
        steps.append(["cmake", "-S", tree, "-B", build] + [f"-D{k}={v}" for k, v in want.items()])
    steps.append(["cmake", "--build", build, "-j", str(jobs),
                  "--target", "quartz_target", "quartz_host_tests"])
    for cmd in steps:
        print("lab: " + " ".join(cmd), flush=True)
        r = run(cmd)
        if r.returncode != 0:
            return False, "\n".join(r.stdout.splitlines()[-40:])
    return True, ""


def registered_tests(build):
    r = run(["ctest", "--test-dir", build, "--show-only=json-v1"])
    if r.returncode != 0:
        raise LabError(f"ctest --show-only failed in {build}:\n{r.stdout[-2000:]}")
    tests = {}
    for t in json.loads(r.stdout).get("tests", []):
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        tests[t["name"]] = {"command": t.get("command"), "cwd": props.get("WORKING_DIRECTORY"),
                            "timeout": props.get("TIMEOUT")}
    return tests


def run_one(name, spec, default_timeout, env=None, cap=None):
    """Runs one registered ctest command (not through ctest, so a grader may run while
    ctest itself runs in the same build), for at most its timeout (scaled; at most `cap`
    seconds when given). Returns a result dict."""
    timeout = float(spec["timeout"] or default_timeout)
    if env and env.get("QUARTZ_TIMEOUT_SCALE"):
        timeout *= float(env["QUARTZ_TIMEOUT_SCALE"])
    if cap:
        timeout = min(timeout, cap)
    start = time.monotonic()
    if not spec["command"]:
        return {"ctest": name, "ok": False, "seconds": 0.0, "output": "",
                "expected": "a test command", "seen": "the test has no command (not built?)"}
    try:
        proc = subprocess.Popen(spec["command"], cwd=spec["cwd"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)
    except OSError as e:
        return {"ctest": name, "ok": False, "seconds": 0.0, "output": str(e),
                "expected": f"the test program {spec['command'][0]} (is the tree built?)",
                "seen": str(e)}
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    out = out.decode("utf-8", "replace")
    res = {"ctest": name, "ok": proc.returncode == 0 and not timed_out,
           "seconds": round(time.monotonic() - start, 2), "output": out}
    res["timed_out"] = timed_out
    if timed_out:
        res["expected"] = f"the test finishes within {timeout:g} s"
        res["seen"] = "still running after the timeout; last output:\n" + tail(out, 15)
    elif not res["ok"]:
        res["expected"], res["seen"] = explain_failure(out, proc.returncode)
    return res


def tail(text, n):
    lines = [l for l in text.rstrip().splitlines()]
    return "\n".join(lines[-n:])


def explain_failure(out, code):
    """What the test expected and what it saw, from GoogleTest's or the QEMU harness's
    failure output."""
    # The QEMU harness (tools/quartz_qemu.py): "--- expected: ...\n--- seen ...:\n..."
    m = re.search(r"^--- expected: (.*?)\n--- seen[^\n]*\n(.*?)(?:\nFAIL |\Z)", out, re.S | re.M)
    if m:
        what, serial = m.group(1).strip(), tail(m.group(2), 25)
        w = re.fullmatch(r"timed out after ([\d.]+)s waiting for (.*)", what)
        if w:
            return (f"serial output matching {unrepr(w.group(2))} within {w.group(1)} s",
                    "it never came; the serial output ends with:\n" + serial)
        w = re.fullmatch(r"QEMU exited \(status (-?\d+)\) without printing (.*)", what)
        if w:
            return (f"serial output matching {unrepr(w.group(2))}",
                    f"QEMU exited (status {w.group(1)}) first; the serial output ends with:\n"
                    + serial)
        return what, serial
    # A plain `assert cond, message` in a QEMU test: the statement and the message.
    frames = re.findall(r'File "[^"]*/(test_\w+\.py)", line (\d+), in \w+\n\s+(.*)\n', out)
    m = re.search(r"^AssertionError:? ?((?s:.*?))(?:\nFAIL [^\n]*\n?\Z|\Z)", out, re.M)
    if frames and m and frames[-1][2].lstrip().startswith("assert"):
        f, line, src = frames[-1]
        return f"{f}:{line} `{src.strip()}`", tail(m.group(1), 25) or "the assertion was false"
    # GoogleTest: the first failure block.
    m = re.search(r"^[^\n]*:\d+: Failure\n(.*?)(?=^\[  FAILED  \]|^[^\n]*:\d+: Failure\n|\Z)",
                  out, re.S | re.M)
    if m:
        return explain_gtest(m.group(1))
    # Any other exception in a test: the test's line that raised it, and the exception.
    exc = re.findall(r"^(\w[\w.]*(?:Error|Exception)\b.*)$", out, re.M)
    if frames and exc:
        f, line, src = frames[-1]
        return f"{f}:{line} `{src.strip()}` to succeed", exc[-1]
    if "Traceback" in out:
        return "the test to finish without an exception", tail(out, 12)
    if "ERROR: AddressSanitizer" in out or "runtime error:" in out:
        return "no memory or undefined-behaviour error", tail(out, 15)
    return f"exit status 0", f"exit status {code}; output tail:\n{tail(out, 15)}"


def unrepr(text):
    """A regex as the harness printed it (a Python repr) -> /regex/."""
    try:
        value = ast.literal_eval(text)
        return f"/{value}/" if isinstance(value, str) else text
    except (ValueError, SyntaxError):
        return text


def explain_gtest(block):
    lines = [l.rstrip() for l in block.strip().splitlines()]
    text = "\n".join(lines)
    m = re.match(r"Expected equality of these values:\n  (.*?)\n(?:    Which is: (.*?)\n)?"
                 r"  (.*?)\n(?:    Which is: (.*?)(?:\n|$))?(.*)", text + "\n", re.S)
    if m:
        a, av, b, bv, rest = m.groups()
        expected = f"{a} == {b}"
        parts = [f"{x} is {v}" for x, v in ((a, av), (b, bv)) if v is not None]
        seen = "; ".join(parts) or f"{a} != {b}"
        if rest.strip():
            seen += f" ({rest.strip()})"
        return expected, seen
    m = re.match(r"Value of: (.*?)\n\s+Actual: (.*?)\nExpected: (.*?)(?:\n(.*)|$)", text, re.S)
    if m:
        extra = f" ({m.group(4).strip()})" if m.group(4) and m.group(4).strip() else ""
        return f"{m.group(1)} is {m.group(3)}", f"{m.group(2)}{extra}"
    m = re.match(r"Expected: (.*?), actual: (.*?)(?:\n(.*)|$)", text, re.S)
    if m:
        return m.group(1), m.group(2) + (f" ({m.group(3).strip()})" if m.group(3) else "")
    return "the GoogleTest assertion to hold", "\n".join(lines[:12])


def grade(lab, tree, labs, args):
    report = grade_report(lab, tree, labs, args)
    print_report(report)
    write_report(report, args.json)
    return 0 if report["passed"] else 1


def write_report(report, path):
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


def grade_report(lab, tree, labs, args):
    """Builds (unless args.no_build) and grades `tree`; returns the report (see grade)."""
    if lab not in labs:
        raise LabError(f"no lab {lab} (labs: {', '.join(map(str, sorted(labs)))})")
    spec = labs[lab]
    tree = os.path.abspath(tree)
    # A build directory of the grader's own, beside the student's `build`: configured for
    # what the lab grades only (grade_configuration), so the first grade builds little.
    build = os.path.abspath(args.build_dir or os.path.join(tree, "build-grade"))
    if not os.path.isfile(os.path.join(tree, "CMakeLists.txt")):
        raise LabError(f"{tree} is not a Quartz tree (no CMakeLists.txt)")
    max_points = sum(t["points"] for t in spec["tests"])
    results = []
    build_error = None
    if not args.no_build:
        ok, log = build_tree(tree, build, args.jobs, spec)
        if not ok:
            build_error = log
    if build_error is None:
        registered = registered_tests(build)
        todo = []
        for t in spec["tests"]:
            rx = re.compile(t["ctest"])
            names = sorted(n for n in registered if rx.fullmatch(n))
            todo.append((t, names))
        flat = [(n, registered[n]) for _, names in todo for n in names]
        env = dict(os.environ)
        if args.timeout_scale:
            env["QUARTZ_TIMEOUT_SCALE"] = str(args.timeout_scale)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            cap = getattr(args, "host_timeout", None)
            futs = {n: pool.submit(run_one, n, s, args.timeout, env,
                                   cap if n.startswith("host.") else None) for n, s in flat}
            done = {n: f.result() for n, f in futs.items()}
        for t, names in todo:
            runs = [done[n] for n in names]
            ok = bool(runs) and all(r["ok"] for r in runs)
            entry = {"name": t["name"], "checks": t.get("checks", ""), "points": t["points"] if ok else 0,
                     "max": t["points"], "result": "PASS" if ok else "FAIL",
                     "ctest": names, "seconds": round(sum(r["seconds"] for r in runs), 2)}
            if not runs:
                entry["expected"] = f"a registered ctest matching {t['ctest']}"
                entry["seen"] = "no such test in this build"
            elif not ok:
                bad = [r for r in runs if not r["ok"]]
                entry["failed_ctest"] = bad[0]["ctest"]
                entry["expected"], entry["seen"] = bad[0]["expected"], bad[0]["seen"]
                entry["output_tail"] = tail(bad[0]["output"], 40)
                # Every failing test of a group, timeouts included, not just the first.
                entry["failures"] = [{"ctest": r["ctest"], "expected": r["expected"],
                                      "seen": r["seen"], "timed_out": r.get("timed_out", False)}
                                     for r in bad]
            results.append(entry)
    else:
        for t in spec["tests"]:
            results.append({"name": t["name"], "checks": t.get("checks", ""), "points": 0,
                            "max": t["points"], "result": "FAIL", "ctest": [], "seconds": 0,
                            "expected": "the tree builds", "seen": "the build failed"})
    points = sum(r["points"] for r in results)
    percent = round(100.0 * points / max_points, 1) if max_points else 0.0
    report = {"lab": lab, "title": spec["title"], "tree": tree, "build": build,
              "commit": git_commit(tree), "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "points": points, "max_points": max_points, "percent": percent,
              "passed": all(r["result"] == "PASS" for r in results), "tests": results}
    if build_error is not None:
        report["build_error"] = build_error
    return report


# ------------------------------------------------------- official grading ----
#
# A grade of a submission must not use the submission's tests: adding one line to its
# tests/qemu/run_test.py would give it full marks. The official grade takes only the files
# the lab asks students to change (the files holding its LAB regions in the teacher's
# tree) from the submission, puts them into a clean student tree written from the
# teacher's tree (tests, harness, build files: the teacher's), and grades there.

def lab_files(lab):
    """The files a lab asks students to change: those holding its LAB(lab) regions."""
    return sorted({r.path for r in all_regions(REPO) if r.lab == lab})


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def unpack_submission(path, scratch):
    """A submission as a directory: a directory (a git repository's last commit when it is
    one, else its files), or a .tar.gz/.tgz/.tar (from `handin`) unpacked into scratch.
    Returns the directory holding its tree (the one with .quartz-lab or CMakeLists.txt)."""
    import tarfile
    path = os.path.abspath(path)
    if os.path.isdir(path):
        if git_toplevel(path) is not None:
            dest = os.path.join(scratch, "commit")
            os.makedirs(dest)
            archive = os.path.join(scratch, "commit.tar")
            r = run(["git", "-C", path, "archive", "--format=tar", "-o", archive, "HEAD"])
            if r.returncode != 0:
                raise LabError(f"{path}: git archive of HEAD failed: {r.stdout.strip()}")
            path = archive
        else:
            return path
    else:
        dest = os.path.join(scratch, "unpacked")
    if not (path.endswith((".tar.gz", ".tgz", ".tar"))):
        raise LabError(f"{path}: not a directory, a git repository or a .tar.gz/.tgz/.tar")
    os.makedirs(dest, exist_ok=True)
    try:
        with tarfile.open(path) as tar:
            for m in tar.getmembers():  # nothing may land outside dest
                name = os.path.normpath(m.name)
                if name.startswith(("..", "/")) or m.issym() or m.islnk() or m.isdev():
                    continue
                if m.isdir() or m.isfile():
                    tar.extract(m, dest, set_attrs=False)
    except (tarfile.TarError, OSError) as e:
        raise LabError(f"{path}: cannot unpack it: {e}")
    for dirpath, dirnames, filenames in os.walk(dest):
        if ".quartz-lab" in filenames or "CMakeLists.txt" in filenames:
            return dirpath
        dirnames.sort()
    raise LabError(f"{path}: no Quartz tree inside (no .quartz-lab or CMakeLists.txt)")


class CleanTree:
    """The teacher's clean student tree of a lab, built once and reused for every
    submission: each grade copies the submission's lab files in and puts the skeleton's
    back afterwards, so a rebuild compiles only what the student wrote."""

    def __init__(self, lab, labs, work, args, tree=None):
        """tree: an existing student tree of this lab to use as it is (the CI check of
        official grading reuses the tree it has just built)."""
        self.lab, self.labs, self.args = lab, labs, args
        self.tree = os.path.abspath(tree) if tree else os.path.join(os.path.abspath(work),
                                                                     f"teacher-lab{lab}")
        self.files = lab_files(lab)
        if not self.files:
            raise LabError(f"lab {lab} has no LAB({lab}) regions: nothing to take from a submission")
        data, _ = load_labs()
        self.commit = git_commit(REPO)
        if tree:
            self._read_skeleton()
            return
        stamp = os.path.join(os.path.abspath(work), f"teacher-lab{lab}.commit")
        try:
            with open(stamp) as f:
                fresh = f.read().strip() == str(self.commit) and self.commit is not None
        except OSError:
            fresh = False
        if not fresh or not os.path.isfile(os.path.join(self.tree, ".quartz-lab")):
            # Written again from the teacher's tree as it is now (its last commit changed,
            # or it was never written): its build directory goes with it.
            shutil.rmtree(self.tree, ignore_errors=True)
            start(lab, self.tree, data, labs)
            with open(stamp, "w") as f:
                f.write(f"{self.commit}\n")
        self._read_skeleton()

    def _read_skeleton(self):
        self.skeleton = {}
        for rel in self.files:
            with open(os.path.join(self.tree, rel), "rb") as f:
                self.skeleton[rel] = f.read()

    def others(self):
        """The skeleton's other files (what a submission should not have changed)."""
        return [f for f in tracked_files(self.tree) if f not in self.skeleton and f != ".gitignore"]

    def grade(self, submission, scratch):
        sub = unpack_submission(submission, scratch)
        warnings, hashes = [], {}
        sub_lab = student_lab(sub)
        if sub_lab is not None and sub_lab != self.lab:
            warnings.append(f"the submission is a lab {sub_lab} tree, graded as lab {self.lab}")
        try:
            for rel in self.files:
                src = os.path.join(sub, rel)
                if os.path.isfile(src) and not os.path.islink(src):
                    shutil.copyfile(src, os.path.join(self.tree, rel))
                    hashes[rel] = sha256(src)
                else:
                    warnings.append(f"{rel} is missing: the skeleton's is graded")
            changed = []
            for rel in self.others():
                mine, theirs = os.path.join(self.tree, rel), os.path.join(sub, rel)
                if not os.path.lexists(theirs):
                    continue  # a file left out changes nothing here
                if os.path.islink(mine) or os.path.islink(theirs):
                    continue
                with open(mine, "rb") as a, open(theirs, "rb") as b:
                    if a.read() != b.read():
                        changed.append(rel)
            if changed:
                shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more" if len(changed) > 10 else "")
                warnings.append(f"changed outside the lab's files (not graded: the teacher's "
                                f"are used): {shown}")
            report = grade_report(self.lab, self.tree, self.labs, self.args)
        finally:
            for rel, text in self.skeleton.items():
                with open(os.path.join(self.tree, rel), "wb") as f:
                    f.write(text)
        report["official"] = {"submission": os.path.abspath(submission),
                              "teacher_commit": self.commit, "lab_files": hashes,
                              "changed_outside": changed, "warnings": warnings}
        report["commit"] = git_commit(submission) if os.path.isdir(submission) else None
        return report


def print_official(report):
    o = report["official"]
    print(f"official grade of {o['submission']} in the teacher's tree (commit "
          f"{o['teacher_commit'] or 'unknown'}):")
    for rel, h in o["lab_files"].items():
        print(f"  graded  {rel}  sha256 {h[:16]}")
    for w in o["warnings"]:
        print(f"  warning: {w}")
    print_report(report)


def grade_official(lab, submission, labs, args):
    if lab not in labs:
        raise LabError(f"no lab {lab} (labs: {', '.join(map(str, sorted(labs)))})")
    import tempfile
    clean = CleanTree(lab, labs, args.work, args)
    with tempfile.TemporaryDirectory(prefix="quartz-grade-") as scratch:
        report = clean.grade(submission, scratch)
    print_official(report)
    write_report(report, args.json)
    return 0 if report["passed"] else 1


def grade_all(lab, folder, labs, args):
    """Grades every submission in `folder` (directories, git repositories, .tar.gz/.tgz/
    .tar files) officially, one after another in one clean tree; writes OUT/NAME.json per
    student and OUT/grades.csv. A submission that does not build, hangs or crashes QEMU
    gets its points (zero, mostly) and the next one is graded."""
    import csv
    import tempfile
    if lab not in labs:
        raise LabError(f"no lab {lab} (labs: {', '.join(map(str, sorted(labs)))})")
    folder = os.path.abspath(folder)
    if not os.path.isdir(folder):
        raise LabError(f"{folder} is not a directory of submissions")
    out = os.path.abspath(args.out or os.path.join(folder, f"grades-lab{lab}"))
    os.makedirs(out, exist_ok=True)
    entries = []
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        if os.path.abspath(full) == out or name.startswith("."):
            continue
        student = re.sub(r"\.(tar\.gz|tgz|tar)$", "", name)
        if os.path.isdir(full) or student != name:
            entries.append((student, full))
    if not entries:
        raise LabError(f"{folder}: no submissions (directories or .tar.gz/.tgz/.tar files)")
    clean = CleanTree(lab, labs, args.work, args)
    tests = [t["name"] for t in labs[lab]["tests"]]
    rows = []
    for student, path in entries:
        print(f"== {student}", flush=True)
        with tempfile.TemporaryDirectory(prefix="quartz-grade-") as scratch:
            try:
                report = clean.grade(path, scratch)
            except LabError as e:
                report = {"lab": lab, "points": 0, "max_points": sum(t["points"] for t in labs[lab]["tests"]),
                          "percent": 0.0, "passed": False, "tests": [],
                          "official": {"submission": path, "warnings": [str(e)]}}
        write_report(report, os.path.join(out, f"{student}.json"))
        points = {t["name"]: t["points"] for t in report["tests"]}
        warnings = report["official"]["warnings"] + (["the tree does not build"] if "build_error" in report else [])
        rows.append([student] + [points.get(t, 0) for t in tests] +
                    [report["points"], report["percent"], "; ".join(warnings)])
        print(f"   {student}: {report['points']}/{report['max_points']}"
              + (f"  ({'; '.join(warnings)})" if warnings else ""), flush=True)
    with open(os.path.join(out, "grades.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student"] + tests + ["total", "percent", "warnings"])
        w.writerows(rows)
    print(f"lab {lab}: {len(rows)} submissions graded; {out}/grades.csv and one JSON each")
    return 0


# ------------------------------------------------------- wrong solutions ----
#
# tests/labs/wrong/labN/NAME.wrong: a plausible wrong solution of lab N, the way students
# get it wrong, kept so that CI proves the graders catch it (`tools/lab.sh wrong`, run by
# tests/labs/check_student.py in the student tree it has just built). The format:
#
#   wrong: <the mistake, in one line> -- caught by `<test name>`[, `<test name>`...]
#   @@ <path>: <words from the BEGIN text of one LAB(N) region of that file>
#   <the lines that take the place of that region's solution>
#   @@ ...                    (more regions of the lab, if the mistake spans several)
#
# The test names are those of tools/labs.json. Every other region of the lab keeps its
# solution, so the named tests are the ones the mistake must fail.

WRONG_DIR = os.path.join(REPO, "tests", "labs", "wrong")
WRONG_HEADER = re.compile(r"^wrong: (?P<mistake>.+?) -- caught by (?P<tests>`[^`]+`(?:, `[^`]+`)*)\s*$")


class Wrong:
    def __init__(self, name, path, mistake, caught_by, edits):
        self.name, self.path, self.mistake = name, path, mistake
        self.caught_by, self.edits = caught_by, edits  # edits: [(rel, key, lines)]


def parse_wrong(path, lab, labs):
    rel = os.path.relpath(path, REPO)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    m = WRONG_HEADER.match(lines[0].rstrip("\n")) if lines else None
    if not m:
        raise LabError(f"{rel}:1: the first line must be 'wrong: MISTAKE -- caught by `TEST`'")
    caught_by = re.findall(r"`([^`]+)`", m["tests"])
    names = {t["name"] for t in labs[lab]["tests"]}
    for t in caught_by:
        if t not in names:
            raise LabError(f"{rel}:1: no test {t!r} in lab {lab} (tools/labs.json)")
    edits = []
    for i, line in enumerate(lines[1:], 2):
        h = re.match(r"^@@ (\S+): (.+?)\s*$", line)
        if h:
            edits.append([h.group(1), h.group(2), [], i])
        elif not edits:
            raise LabError(f"{rel}:{i}: '@@ PATH: REGION' must come before the region's lines")
        else:
            edits[-1][2].append(line if line.endswith("\n") else line + "\n")
    if not edits:
        raise LabError(f"{rel}: no '@@ PATH: REGION' section")
    for e in edits:
        while e[2] and not e[2][-1].strip():
            e[2].pop()
    name = os.path.splitext(os.path.basename(path))[0]
    return Wrong(name, rel, m["mistake"], caught_by, [(r, k, body) for r, k, body, _ in edits])


def wrong_solutions(lab, labs):
    folder = os.path.join(WRONG_DIR, f"lab{lab}")
    if not os.path.isdir(folder):
        return []
    return [parse_wrong(os.path.join(folder, f), lab, labs)
            for f in sorted(os.listdir(folder)) if f.endswith(".wrong")]


def solved_text(rel, lab, edits=()):
    """The teacher's file `rel` as a lab `lab` student would hand it in: lab `lab` (and the
    earlier labs) solved, later labs stubbed; each (key, lines) in edits replaces the
    solution of the LAB(lab) region whose BEGIN text contains key."""
    with open(os.path.join(REPO, rel), encoding="utf-8", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    regions = parse_markers(rel, lines)[0]
    cuts = []
    for key, body in edits:
        hits = [r for r in regions if r.lab == lab and key in r.text]
        if len(hits) != 1:
            raise LabError(f"{rel}: {len(hits)} LAB({lab}) regions have {key!r} in their "
                           f"BEGIN text (one is needed)")
        cuts.append((hits[0], body))
    for r, body in sorted(cuts, key=lambda c: -c[0].begin_line):
        lines[r.begin_line:r.begin_line + r.code_lines] = body
    return "".join(transform(rel, lines, lab + 1)[0])


def check_wrong(lab, tree, labs, args):
    """Puts each wrong solution of lab `lab` in turn into `tree` (a built student tree of
    that lab), rebuilds what its tests need and runs only the tests it names: at least
    one must fail. The tree's lab files are the skeleton's again afterwards. Returns 0 if
    every wrong solution was caught, 1 otherwise."""
    if lab not in labs:
        raise LabError(f"no lab {lab} (labs: {', '.join(map(str, sorted(labs)))})")
    tree = os.path.abspath(tree)
    if student_lab(tree) != lab:
        raise LabError(f"{tree} is not a student tree of lab {lab} (tools/lab.sh start {lab} DIR)")
    build = os.path.abspath(args.build_dir or os.path.join(tree, "build-grade"))
    if not os.path.isfile(os.path.join(build, "CMakeCache.txt")):
        raise LabError(f"{build} is not configured: grade the tree once first")
    wrongs = [w for w in wrong_solutions(lab, labs) if not args.name or w.name in args.name]
    if args.ci and "wrong_in_ci" in labs[lab]:
        wrongs = [w for w in wrongs if w.name in labs[lab]["wrong_in_ci"]]
    if args.name and len(wrongs) != len(set(args.name)):
        raise LabError(f"lab {lab} has no wrong solution named "
                       f"{sorted(set(args.name) - {w.name for w in wrongs})}")
    if not wrongs:
        raise LabError(f"no wrong solutions in {os.path.relpath(WRONG_DIR, REPO)}/lab{lab}")
    files = lab_files(lab)
    skeleton = {}
    for rel in files:
        with open(os.path.join(tree, rel), "rb") as f:
            skeleton[rel] = f.read()
    by_name = {t["name"]: t for t in labs[lab]["tests"]}
    missed = []

    def put(rel, data):  # unchanged files keep their time stamp: nothing to rebuild
        path = os.path.join(tree, rel)
        with open(path, "rb") as f:
            if f.read() == data:
                return
        with open(path, "wb") as f:
            f.write(data)

    # First the control: the lab solved, with every QEMU test the wrong solutions name.
    # They must pass here, or a wrong solution's failure would prove nothing (a QEMU test
    # depends on the tree's build and paths; a host test is the same program as in the
    # teacher's build, which labci.solution.N grades, so it is not run again).
    union = [n for n in by_name if any(n in w.caught_by for w in wrongs)
             and not by_name[n]["ctest"].startswith("host\\.")]
    control = Wrong("(the solution)", None, "none: the lab's solution, the control", union, [])
    try:
        for w in ([control] if union else []) + wrongs:
            start_t = time.monotonic()
            for rel, _, _ in w.edits:
                if rel not in files:
                    raise LabError(f"{w.path}: {rel} holds no LAB({lab}) region")
            for rel in files:
                edits = [(k, body) for r, k, body in w.edits if r == rel]
                put(rel, solved_text(rel, lab, edits).encode("utf-8"))
            tests = [by_name[n] for n in w.caught_by]
            targets = []
            if any(not t["ctest"].startswith("host\\.") for t in tests):
                targets.append("quartz_target")
            if any(t["ctest"].startswith("host\\.") for t in tests):
                targets.append("quartz_host_tests")
            cmd = ["cmake", "--build", build, "-j", str(args.jobs), "--target"] + targets
            r = run(cmd)
            built = time.monotonic()
            if r.returncode != 0:
                print(f"wrong {w.name}: does not build (a wrong solution must compile):\n"
                      + tail(r.stdout, 30))
                missed.append(w.name)
                continue
            spec = dict(labs[lab], tests=tests)
            grade_args = argparse.Namespace(**{**vars(args), "no_build": True,
                                               "build_dir": build})
            rep = grade_report(lab, tree, {lab: spec}, grade_args)
            lost = sum(t["max"] - t["points"] for t in rep["tests"])
            failed = [t["name"] for t in rep["tests"] if t["result"] != "PASS"]
            if w is control:
                print(f"control: the solution {'FAILS ' + ', '.join(failed) if failed else 'passes'}"
                      f" ({len(tests)} tests); build {built - start_t:.1f}s, tests "
                      f"{time.monotonic() - built:.1f}s", flush=True)
                if failed:
                    for t in rep["tests"]:
                        if t["result"] != "PASS":
                            print(indent("expected: " + t["expected"], "    "))
                            print(indent("seen:     " + tail(t["seen"], 6), "    "))
                    raise LabError(f"the tests that must catch lab {lab}'s wrong solutions fail "
                                   f"on its solution in {tree}: nothing can be concluded")
                continue
            verdict = "caught" if failed else "NOT CAUGHT"
            print(f"wrong {w.name}: {verdict}: {w.mistake}; build {built - start_t:.1f}s, "
                  f"tests {time.monotonic() - built:.1f}s; "
                  + (f"fails {', '.join(failed)}: lab {lab} at most {100 - lost}/100"
                     if failed else f"passes {', '.join(w.caught_by)}"), flush=True)
            for t in rep["tests"]:
                if t["result"] != "PASS":
                    print(indent("expected: " + t["expected"], "    "))
                    print(indent("seen:     " + tail(t["seen"], 6), "    "))
            if not failed:
                missed.append(w.name)
    finally:
        for rel, data in skeleton.items():
            put(rel, data)
    if missed:
        print(f"lab {lab}: {len(missed)} of {len(wrongs)} wrong solutions not caught: "
              f"{', '.join(missed)}")
        return 1
    print(f"lab {lab}: all {len(wrongs)} wrong solutions caught")
    return 0


def git_commit(tree):
    if git_toplevel(tree) is None:
        return None  # not a repository of its own (e.g. a student tree without git)
    r = run(["git", "-C", tree, "rev-parse", "HEAD"])
    if r.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40}\s*", r.stdout):
        return None
    dirty = run(["git", "-C", tree, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    return r.stdout.strip() + ("-dirty" if dirty else "")


def fmt_pct(p):
    return f"{p:g}%"


DETAILED_FAILURES = 5  # per test entry; the rest are listed by name (all are in the JSON)


def print_report(rep):
    print()
    print(f"Lab {rep['lab']}: {rep['title']}    ({rep['tree']})")
    if "build_error" in rep:
        print("BUILD FAILED; the last lines of the build:")
        print(indent(rep["build_error"], "  | "))
    width = max([len(r["name"]) for r in rep["tests"]] + [4])
    print(f"  {'TEST':<{width}}  {'POINTS':>7}  RESULT  TIME")
    for r in rep["tests"]:
        pts = f"{r['points']}/{r['max']}"
        print(f"  {r['name']:<{width}}  {pts:>7}  {r['result']:<6}  {r['seconds']:.1f}s")
    fails = [r for r in rep["tests"] if r["result"] != "PASS"]
    for r in fails:
        print()
        failures = r.get("failures") or [{"ctest": r.get("failed_ctest"), "expected": r["expected"],
                                          "seen": r["seen"], "timed_out": False}]
        which = f" ({r['failed_ctest']})" if len(failures) == 1 and r.get("failed_ctest") else ""
        more = f" ({len(failures)} of its tests failed)" if len(failures) > 1 else ""
        print(f"FAIL {r['name']}{which}{more}: {r['checks']}".rstrip(": "))
        for i, f in enumerate(failures):
            mark = " (TIMED OUT)" if f["timed_out"] else ""
            if i == DETAILED_FAILURES:
                rest = failures[i:]
                print(f"  ... and {len(rest)} more (details in --json):")
                for g in rest:
                    print(f"    {g['ctest']}{' (TIMED OUT)' if g['timed_out'] else ''}")
                break
            if len(failures) > 1:
                print(f"  {f['ctest']}{mark}:")
                pad = "    "
            else:
                pad = "  "
            print(indent("expected: " + f["expected"], pad))
            print(indent("seen:     " + f["seen"], pad))
    print()
    print(f"Lab {rep['lab']}: {rep['points']}/{rep['max_points']} points ({fmt_pct(rep['percent'])})")


def indent(text, prefix):
    return "\n".join(prefix + l for l in str(text).splitlines())


# ---------------------------------------------------------------- list ----

TODO_LINE = re.compile(r"TODO\(lab (\d+)\): (.*?)[ \t]*(?:\*/)?[ \t]*$")


def student_lab(tree):
    """The lab number of a student tree (its .quartz-lab file), or None."""
    try:
        with open(os.path.join(tree, ".quartz-lab")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def student_todos(tree):
    """(lab, path, line, text) of every TODO(lab N) comment in a student tree's sources."""
    todos = []
    for rel, text in source_texts(tree):
        if not rel.endswith(SOURCE_SUFFIXES) or "TODO(lab " not in text:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            m = TODO_LINE.search(line)
            if m:
                todos.append((int(m.group(1)), rel, i, m.group(2)))
    return todos


def list_labs(data, labs):
    mine = student_lab(REPO)
    if mine is not None:  # a student tree: its own TODOs, with its own line numbers
        todos = student_todos(REPO)
        print(f"This is the student tree of lab {mine}.")
        for n in sorted(labs):
            lab = labs[n]
            total = sum(t["points"] for t in lab["tests"])
            print(f"Lab {n}: {lab['title']}  ({total} points; handout {lab.get('handout', '-')})")
            for lab_n, rel, line, text in todos:
                if lab_n == n:
                    print(f"  write  {rel}:{line}: {text}")
            for t in lab["tests"]:
                print(f"  {t['points']:>3}  {t['name']}  [{t['ctest']}]")
            print()
        return
    regions = all_regions(REPO)
    for n in sorted(labs):
        lab = labs[n]
        total = sum(t["points"] for t in lab["tests"])
        print(f"Lab {n}: {lab['title']}  ({total} points; handout {lab.get('handout', '-')})")
        for r in (r for r in regions if r.lab == n):
            print(f"  write  {r.path}:{r.begin_line}: {r.text}")
        for t in lab["tests"]:
            print(f"  {t['points']:>3}  {t['name']}  [{t['ctest']}]")
        print()


def handin(tree, out):
    """Archives the student's committed tree (git archive of HEAD, as xv6's `make zipball`
    does) for the teacher; refuses while changes are not committed, so what is handed in
    is what the student saw graded."""
    tree = os.path.abspath(tree)
    lab = student_lab(tree)
    if lab is None:
        raise LabError(f"{tree} is not a student tree (no .quartz-lab; see tools/lab.sh start)")
    if git_toplevel(tree) is None:
        raise LabError(f"{tree} is not a git repository: run `git init && git add -A && "
                       f"git commit -m work` in it first (trees from tools/lab.sh start are)")
    dirty = run(["git", "-C", tree, "status", "--porcelain"]).stdout
    if dirty.strip():
        files = ", ".join(l[3:] for l in dirty.splitlines()[:5])
        more = "" if len(dirty.splitlines()) <= 5 else f" and {len(dirty.splitlines()) - 5} more"
        raise LabError(f"uncommitted changes ({files}{more}): commit them (git add -A && git "
                       f"commit) or remove them, then hand in again")
    out = os.path.abspath(out or os.path.join(tree, f"lab{lab}-handin.tar.gz"))
    r = run(["git", "-C", tree, "archive", "--format=tar.gz", f"--prefix=lab{lab}/", "-o", out,
             "HEAD"])
    if r.returncode != 0:
        raise LabError(f"git archive failed: {r.stdout.strip()}")
    commit = run(["git", "-C", tree, "rev-parse", "HEAD"]).stdout.strip()
    print(f"lab {lab}: {out} (commit {commit[:12]}); hand this file in")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="tools/lab.sh", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the labs, their tests and points, and the marked parts")
    sp = sub.add_parser("start", help="write the student tree for lab N into DIR")
    sp.add_argument("lab", type=int)
    sp.add_argument("dir")
    sp.add_argument("--tarball", metavar="FILE",
                    help="also write FILE, a .tar.gz of the tree (a repository) to hand out")
    sp.add_argument("--with-untracked", action="store_true",
                    help="also copy files git does not track yet (not ignored ones); for CI "
                         "checks of uncommitted work, never for students")
    def grading_options(p):
        p.add_argument("-j", "--jobs", type=int, default=max(1, min(os.cpu_count() or 1, 4)),
                       help="tests (and build jobs) run in parallel (default: CPUs, at most 4)")
        p.add_argument("--timeout", type=float, default=60,
                       help="seconds per test without a ctest TIMEOUT, e.g. a host unit test "
                            "(default 60)")
        p.add_argument("--timeout-scale", type=float, metavar="X",
                       help="scale every test's timeout and the QEMU tests' waits for output "
                            "(QUARTZ_TIMEOUT_SCALE)")
        p.add_argument("--work", metavar="DIR", default=os.path.join(REPO, "build", "grading"),
                       help="where the teacher's clean tree is kept and built "
                            "(default build/grading)")
        p.set_defaults(build_dir=None, no_build=False)
    op = sub.add_parser("grade-official",
                        help="grade a submission's lab files in the teacher's clean tree")
    op.add_argument("lab", type=int)
    op.add_argument("submission", help="a directory, git repository or .tar.gz/.tgz/.tar")
    op.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    grading_options(op)
    ap_all = sub.add_parser("grade-all", help="grade a folder of submissions; JSON each, a CSV")
    ap_all.add_argument("lab", type=int)
    ap_all.add_argument("folder")
    ap_all.add_argument("--out", metavar="DIR",
                        help="where the reports go (default FOLDER/grades-labN)")
    grading_options(ap_all)
    wp = sub.add_parser("wrong", help="check that lab N's wrong solutions (tests/labs/wrong/labN) "
                        "fail the tests they name, in DIR, a built student tree of lab N")
    wp.add_argument("lab", type=int)
    wp.add_argument("dir")
    wp.add_argument("--name", action="append", help="only this wrong solution (repeatable)")
    wp.add_argument("--ci", action="store_true",
                    help="only those the lab's wrong_in_ci in tools/labs.json lists (all if "
                         "it has none): what labci.student.N checks")
    wp.add_argument("--build-dir", metavar="B", help="the build directory (default DIR/build-grade)")
    wp.add_argument("-j", "--jobs", type=int, default=max(1, min(os.cpu_count() or 1, 4)),
                    help="tests (and build jobs) run in parallel (default: CPUs, at most 4)")
    wp.add_argument("--timeout", type=float, default=60,
                    help="seconds per test without a ctest TIMEOUT (default 60)")
    wp.add_argument("--timeout-scale", type=float, metavar="X",
                    help="scale every test's timeout (QUARTZ_TIMEOUT_SCALE)")
    hp = sub.add_parser("handin", help="archive a student tree's last commit to hand in")
    hp.add_argument("dir", nargs="?", default=REPO)
    hp.add_argument("-o", "--output", metavar="FILE",
                    help="the archive to write (default DIR/labN-handin.tar.gz)")
    gp = sub.add_parser("grade", help="build DIR and run lab N's tests")
    gp.add_argument("lab", type=int)
    gp.add_argument("dir", nargs="?", default=REPO)
    gp.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    gp.add_argument("--build-dir", metavar="B", help="the build directory (default DIR/build)")
    gp.add_argument("--no-build", action="store_true", help="grade the build as it is")
    gp.add_argument("-j", "--jobs", type=int, default=max(1, min(os.cpu_count() or 1, 4)),
                    help="tests (and build jobs) run in parallel (default: CPUs, at most 4)")
    gp.add_argument("--timeout", type=float, default=60,
                    help="seconds per test without a ctest TIMEOUT, e.g. a host unit test "
                         "(default 60)")
    gp.add_argument("--timeout-scale", type=float, metavar="X",
                    help="scale every test's timeout and the QEMU tests' waits for output "
                         "(QUARTZ_TIMEOUT_SCALE); the CI checks of skeleton trees use it to "
                         "fail faster")
    gp.add_argument("--host-timeout", type=float, metavar="S",
                    help="stop each host unit test after S seconds at most (the CI checks of "
                         "skeleton trees, whose stubs make some of them spin)")
    args = ap.parse_args(argv)
    try:
        data, labs = load_labs()
        if args.cmd == "list":
            list_labs(data, labs)
            return 0
        if args.cmd == "start":
            start(args.lab, args.dir, data, labs, args.with_untracked, args.tarball)
            return 0
        if args.cmd == "handin":
            return handin(args.dir, args.output)
        if args.cmd == "grade-official":
            return grade_official(args.lab, args.submission, labs, args)
        if args.cmd == "wrong":
            return check_wrong(args.lab, args.dir, labs, args)
        if args.cmd == "grade-all":
            return grade_all(args.lab, args.folder, labs, args)
        return grade(args.lab, args.dir, labs, args)
    except LabError as e:
        print(f"lab.sh: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
