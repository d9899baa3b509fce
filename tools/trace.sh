#!/usr/bin/env bash
# Runs Quartz shell commands under QEMU (-icount shift=0,sleep=off) with the kernel's trace
# on, and writes DIR/trace.json (Chrome trace-event JSON: ui.perfetto.dev, chrome://tracing)
# and DIR/trace.svg (a timeline for a web browser).
# Usage: tools/trace.sh [-o DIR] [--build BUILD] [--type] SCRIPT_FILE | -e "CMD; CMD"
#        tools/trace.py svg trace.json -o trace.svg   (draw an existing trace)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,6p' "$0"; exec python3 "$here/trace.py" run --help ;;
esac
QUARTZ_TRACE_PROG=trace.sh exec python3 "$here/trace.py" run "$@"
