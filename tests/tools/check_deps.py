#!/usr/bin/env python3
"""tools.deps_install_what_scripts_run: every program the scripts, tests and CMake files
run is provided by a package tools/deps.sh installs (its QUARTZ_COMMANDS map), so a fresh
Debian machine gets all of them (tools/lab.py once ran `git`, which nothing installed).

Programs are found as a Python list starting with a program and an option
(`["git", "-C", ...]`), a CMake `find_program(... NAMES first ...)`, and a shell script's
`find_tool "..." name`. The Debian base system's own tools need no entry (BASE)."""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Essential or required in a Debian 12 minbase system: always there.
BASE = {"sh", "bash", "grep", "sed", "awk", "sort", "paste", "readlink", "dirname", "basename",
        "mktemp", "setsid", "nproc", "cat", "ls", "rm", "kill", "env", "dpkg-query"}


def programs_called(root=ROOT):
    """{program: [where, ...]} for every program the tree's scripts and CMake files run."""
    found = {}

    def add(prog, where):
        found.setdefault(prog, []).append(where)

    me = os.path.abspath(__file__)
    files = [f for f in glob.glob(os.path.join(root, "**", "*"), recursive=True)
             if os.path.isfile(f) and os.path.abspath(f) != me
             and not os.path.relpath(f, root).startswith(("build", ".git"))]
    for path in sorted(files):
        rel = os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        for i, line in enumerate(text.splitlines(), 1):
            where = f"{rel}:{i}"
            if rel.endswith(".py"):
                for m in re.finditer(r'\[\s*"([a-z][a-z0-9_.+-]*)"\s*,\s*"-', line):
                    add(m.group(1), where)
            elif rel.endswith((".cmake", "CMakeLists.txt")):
                m = re.search(r"find_program\(\s*\w+\s+(?:NAMES\s+)?([\w.+-]+)", line)
                if m:
                    add(m.group(1), where)
            elif rel.endswith(".sh"):
                for m in re.finditer(r'find_tool\s+"[^"]*"\s+([\w.+-]+)', line):
                    add(m.group(1), where)
    return found


def deps_map(root=ROOT):
    with open(os.path.join(root, "tools", "deps.sh")) as f:
        text = f.read()
    packages = re.search(r"QUARTZ_PACKAGES=\((.*?)\n\)", text, re.S).group(1)
    packages = {w for line in packages.splitlines() for w in line.split("#")[0].split()}
    commands = re.search(r"QUARTZ_COMMANDS=\((.*?)\n\)", text, re.S).group(1)
    cmd_map = dict(w.split(":", 1) for line in commands.splitlines()
                   for w in line.split("#")[0].split())
    return packages, cmd_map


def main():
    packages, cmd_map = deps_map()
    called = programs_called()
    problems = []
    for prog in ("git", "cmake", "qemu-system-i386", "gdb", "i686-linux-gnu-gcc"):
        if prog not in called:  # the scan itself still finds what it must
            problems.append(f"the scan no longer finds {prog}: fix check_deps.py")
    for prog, where in sorted(called.items()):
        if prog in BASE:
            continue
        if prog not in cmd_map:
            problems.append(f"{prog} (run at {where[0]}) is not in tools/deps.sh QUARTZ_COMMANDS")
    for prog, pkg in sorted(cmd_map.items()):
        if pkg not in packages:
            problems.append(f"QUARTZ_COMMANDS: {prog}'s package {pkg} is not in QUARTZ_PACKAGES")
    for p in problems:
        print(p)
    print(f"{len(called)} programs called; {len(cmd_map)} mapped to packages")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
