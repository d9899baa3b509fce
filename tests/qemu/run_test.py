#!/usr/bin/env python3
"""Runs one QEMU integration test: run_test.py --build DIR FILE.py::FUNCTION.
A test function takes the build directory and raises AssertionError on failure."""
import argparse
import importlib.util
import os
import sys
import time
import traceback


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("test", help="file.py::function")
    args = ap.parse_args()
    path, func = args.test.split("::")
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    sys.path.insert(0, os.path.join(here, "..", "..", "tools"))  # quartz_qemu.py
    spec = importlib.util.spec_from_file_location("t", os.path.join(here, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    start = time.monotonic()
    try:
        getattr(mod, func)(os.path.abspath(args.build))
    except Exception:
        traceback.print_exc()
        print(f"FAIL {args.test} ({time.monotonic() - start:.1f}s)")
        return 1
    print(f"PASS {args.test} ({time.monotonic() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
