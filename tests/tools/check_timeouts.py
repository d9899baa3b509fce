#!/usr/bin/env python3
"""tools.every_test_has_a_timeout: every test registered with ctest in a build has a
TIMEOUT property, so a hang fails in seconds instead of ctest's default of 1500.

  check_timeouts.py --build DIR

Reads `ctest --show-only=json-v1` (host tests appear once quartz_host_tests is built and
their discovery has run; before that their placeholder has no TIMEOUT and fails here)."""
import argparse
import json
import subprocess
import sys


def missing_timeouts(tests):
    """Names of the tests (ctest's json-v1 "tests" list) without a positive TIMEOUT."""
    bad = []
    for t in tests:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        try:
            ok = float(props.get("TIMEOUT", 0)) > 0
        except (TypeError, ValueError):
            ok = False
        if not ok:
            bad.append(t["name"])
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    args = ap.parse_args()
    # The check itself: a test without TIMEOUT is caught, one with TIMEOUT 0 too.
    assert missing_timeouts([{"name": "a"}, {"name": "b", "properties": [
        {"name": "TIMEOUT", "value": 0}]}, {"name": "c", "properties": [
        {"name": "TIMEOUT", "value": 60}]}]) == ["a", "b"]
    r = subprocess.run(["ctest", "--test-dir", args.build, "--show-only=json-v1"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(f"ctest --show-only failed:\n{r.stdout[-2000:]}")
        return 1
    tests = json.loads(r.stdout).get("tests", [])
    bad = missing_timeouts(tests)
    for name in bad:
        print(f"no TIMEOUT: {name} (set_tests_properties(... PROPERTIES TIMEOUT seconds), or "
              "PROPERTIES TIMEOUT in gtest_discover_tests)")
    print(f"{len(tests) - len(bad)} of {len(tests)} tests have a TIMEOUT")
    return 1 if bad or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
