#!/usr/bin/env python3
"""Rewrites the figure tables of README.md and docs/**/*.md from the benchmark JSON.

  tools/figures.py [--json FILE] [--check] [FILES...]

A region of a Markdown file between

    <!-- figures:begin GROUPS -->
    <!-- figures:end -->

is replaced by a table of the figures of GROUPS ("all", or groups such as "tq,sched": the
`group` of each figure in the JSON) and what each includes. The JSON is docs/figures.json,
the figures tools/bench.py measured last (`tools/bench.py --update-docs` writes it and runs
this script). --check changes nothing: it fails if a region is out of date, or if an
instruction count is quoted outside a region (ctest figures.docs_up_to_date runs it).
Only the Python 3 standard library is used."""
import argparse
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_JSON = os.path.join(ROOT, "docs", "figures.json")

BEGIN = re.compile(r"^<!-- figures:begin ([a-z_,]+) -->\n", re.M)
END = "<!-- figures:end -->\n"
# A figure quoted by hand: a count of instructions, or a share of a host core.
QUOTED = re.compile(r"\b\d[\d,.]*\s+instructions\b|\b\d+(?:\.\d+)?% of (?:a|one)\b")


class FiguresError(Exception):
    pass


def default_files(root=ROOT):
    return [os.path.join(root, "README.md")] + sorted(
        glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True))


def value_text(fig):
    v, unit = fig["value"], fig["unit"]
    if unit == "x":
        return f"{v:.1f}x"
    if unit.startswith("%"):
        return f"{v:.1f}{unit}"
    if unit == "passed":
        return f"{v} passed"
    if unit == "ticks" and v == 1:
        return "1 tick"
    return f"{v:,} {unit}"


def goal_cell(fig):
    if fig["goal_text"] is None:
        return "-"
    return f"{fig['goal_text']} ({'met' if fig['met'] else '**missed**'})"


def render(groups, data, json_rel):
    figs = data["figures"]
    if groups != ["all"]:
        known = {f["group"] for f in figs}
        unknown = [g for g in groups if g not in known]
        if unknown:
            raise FiguresError(f"no figures in group(s) {', '.join(unknown)} "
                               f"(groups: all, {', '.join(sorted(known))})")
        figs = [f for f in figs if f["group"] in groups]
    out = ["| figure | measured | goal |", "| --- | --- | --- |"]
    out += [f"| {f['title']} | {value_text(f)} | {goal_cell(f)} |" for f in figs]
    out += ["", "What each figure includes:", ""]
    families = []  # one line per family (the boot figure at each memory size: one line)
    for f in figs:
        family = f.get("family", f["title"])
        if not any(family == seen for seen, _ in families):
            families.append((family, f["includes"]))
    out += [f"- *{family}*: {includes}" for family, includes in families]
    version = f" {data['qemu_version']}" if data.get("qemu_version") else ""
    out += ["", f"Measured by `tools/bench.py` (QEMU{version}, `{data['qemu']}`); this table is "
                f"generated from `{json_rel}` by `tools/figures.py`."]
    return "\n".join(out) + "\n"


def rewrite(text, data, json_rel, path):
    """The text with every region regenerated; raises FiguresError on a malformed region."""
    out, pos = [], 0
    while True:
        m = BEGIN.search(text, pos)
        if not m:
            rest = text[pos:]
            if END in rest or "figures:begin" in rest:
                raise FiguresError(f"{path}: a figures marker outside a begin/end pair "
                                   "(markers are alone on their line)")
            out.append(rest)
            return "".join(out)
        end = text.find(END, m.end())
        if end < 0 or "figures:begin" in text[m.end():end]:
            raise FiguresError(f"{path}: figures:begin {m.group(1)} without figures:end")
        out.append(text[pos:m.end()])
        out.append(render(m.group(1).split(","), data, json_rel))
        out.append(END)
        pos = end + len(END)


def quoted_outside(text, path):
    """Hand-quoted figures outside the regions: 'path:line: text' for each."""
    kept = re.sub(r"<!-- figures:begin [a-z_,]+ -->\n.*?<!-- figures:end -->\n",
                  lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    found = []
    for i, line in enumerate(kept.splitlines(), 1):
        for m in QUOTED.finditer(line):
            found.append(f"{path}:{i}: '{m.group(0)}' quoted outside a figures region")
    return found


def main(argv):
    ap = argparse.ArgumentParser(prog="tools/figures.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", default=DEFAULT_JSON, help="the figures (default docs/figures.json)")
    ap.add_argument("--check", action="store_true", help="change nothing; fail if out of date")
    ap.add_argument("files", nargs="*", help="Markdown files (default README.md, docs/**/*.md)")
    args = ap.parse_args(argv)
    try:
        with open(args.json) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"figures: cannot read {args.json}: {e}", file=sys.stderr)
        return 2
    json_rel = os.path.relpath(os.path.abspath(args.json), ROOT)
    files = args.files or default_files()
    problems, changed, regions = [], [], 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rel = os.path.relpath(path, ROOT)
        try:
            new = rewrite(text, data, json_rel, rel)
        except FiguresError as e:
            problems.append(str(e))
            continue
        regions += len(BEGIN.findall(text))
        problems += quoted_outside(text, rel)
        if new != text:
            changed.append(rel)
            if not args.check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
    for p in problems:
        print(f"figures: {p}", file=sys.stderr)
    if args.check:
        for rel in changed:
            print(f"figures: {rel}: a figures region differs from {json_rel} "
                  "(run tools/figures.py, or tools/bench.py --update-docs)", file=sys.stderr)
        if not problems and not changed:
            print(f"figures: {regions} regions in {len(files)} files agree with {json_rel}")
        return 1 if problems or changed else 0
    for rel in changed:
        print(f"figures: rewrote {rel}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
