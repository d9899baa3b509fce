#!/bin/sh
# Coursework labs: `tools/lab.sh list`, `tools/lab.sh start N DIR`, `tools/lab.sh grade N [DIR]`.
# The work is done by tools/lab.py (Python 3 standard library only); the labs, their tests
# and points are in tools/labs.json. See docs/labs/instructors.md.
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/lab.py" "$@"
