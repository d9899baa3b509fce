#!/usr/bin/env python3
"""figures.check_catches_drift: tools/figures.py rewrites a figures region from the JSON,
and --check fails on a stale region, on a figure quoted outside a region, on an unknown
group and on a region without its end (temporary files; the real docs are untouched)."""
import copy
import io
import json
import os
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import figures  # noqa: E402

DATA = {
    "generated_by": "tools/bench.py", "qemu": "qemu-system-i386 -icount shift=0,sleep=off",
    "qemu_version": "7.2.0", "host_benchmark": [],
    "figures": [
        {"metric": "empty_tick_instructions", "title": "a tick", "family": "a tick",
         "group": "tq", "value": 134, "unit": "instructions", "goal": 150, "goal_op": "<=",
         "goal_text": "at most 150 instructions", "met": True, "includes": "the whole tick"},
        {"metric": "yield_round_trip_instructions", "title": "a yield", "family": "a yield",
         "group": "sched", "value": 151, "unit": "instructions", "goal": 600,
         "goal_op": "<=", "goal_text": "at most 600 instructions", "met": True,
         "includes": "two switches"},
    ],
}
DOC = ("# A guide\n\nSome words.\n\n<!-- figures:begin tq -->\nold table\n<!-- figures:end -->\n\n"
       "More words.\n")


def run(args):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = figures.main(args)
    return rc, out.getvalue() + err.getvalue()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        js, doc = os.path.join(tmp, "figures.json"), os.path.join(tmp, "guide.md")

        def write(data, text):
            with open(js, "w") as f:
                json.dump(data, f)
            with open(doc, "w") as f:
                f.write(text)

        def read():
            with open(doc) as f:
                return f.read()

        write(DATA, DOC)
        rc, out = run(["--json", js, "--check", doc])
        assert rc == 1 and "differs" in out, (rc, out)
        assert read() == DOC, "--check changed the file"
        rc, out = run(["--json", js, doc])
        assert rc == 0, (rc, out)
        text = read()
        assert "| a tick | 134 instructions | at most 150 instructions (met) |" in text, text
        assert "a yield" not in text, text  # only the region's group
        assert "- *a tick*: the whole tick" in text, text
        assert text.startswith("# A guide\n\nSome words.\n\n") and text.endswith("More words.\n")
        assert run(["--json", js, "--check", doc])[0] == 0
        assert run(["--json", js, doc])[0] == 0 and read() == text  # idempotent

        # A new measurement: the region is stale until rewritten.
        newer = copy.deepcopy(DATA)
        newer["figures"][0]["value"] = 133
        write(newer, text)
        rc, out = run(["--json", js, "--check", doc])
        assert rc == 1 and "differs" in out, (rc, out)

        # A figure quoted by hand outside a region.
        write(DATA, text + "The tick costs 91 instructions.\n")
        rc, out = run(["--json", js, "--check", doc])
        assert rc == 1 and "'91 instructions' quoted outside" in out, (rc, out)
        write(DATA, text + "QEMU uses 1.6% of a core.\n")
        assert run(["--json", js, "--check", doc])[0] == 1

        # Both groups, all groups; an unknown group; a begin without its end.
        write(DATA, DOC.replace("begin tq", "begin tq,sched"))
        run(["--json", js, doc])
        assert "a tick" in read() and "a yield" in read()
        write(DATA, DOC.replace("begin tq", "begin all"))
        run(["--json", js, doc])
        assert "a tick" in read() and "a yield" in read()
        write(DATA, DOC.replace("begin tq", "begin nosuch"))
        rc, out = run(["--json", js, "--check", doc])
        assert rc == 1 and "no figures in group(s) nosuch" in out, (rc, out)
        write(DATA, DOC.replace("<!-- figures:end -->\n", ""))
        rc, out = run(["--json", js, "--check", doc])
        assert rc == 1 and "without figures:end" in out, (rc, out)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
