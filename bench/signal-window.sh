#!/bin/sh
# The window between exec and tini-ts's signal handlers:
# SIGTERM at DELAY ms after exec (test/fixtures/sigwindow.c), TRIALS times
# per delay; prints, per delay, how many were forwarded (the program died of
# SIGTERM: exit 143). Non-PID-1 (-s): the others killed the init. PID 1
# (-1, root): the others were dropped by the kernel.
#   bench/signal-window.sh [BIN] [FROM_MS] [TO_MS] [TRIALS]
set -e
BIN=${1:-dist/tini-ts}; FROM=${2:-0}; TO=${3:-50}; TRIALS=${4:-5}
SW=${TMPDIR:-/tmp}/sigwindow.$$
cc -O2 -o "$SW" "$(dirname "$0")/../test/fixtures/sigwindow.c"
trap 'rm -f "$SW"' EXIT
d=$FROM
while [ "$d" -le "$TO" ]; do
  a=0; b=0; n=0
  while [ $n -lt "$TRIALS" ]; do
    [ "$("$SW" 15 $((d * 1000)) "$BIN" -s -- sleep 0.5)" = "exit 143" ] && a=$((a + 1))
    [ "$("$SW" -1 15 $((d * 1000)) "$BIN" -- sleep 0.5)" = "exit 143" ] && b=$((b + 1))
    n=$((n + 1))
  done
  echo "${d} ms: forwarded ${a}/${TRIALS} (non-PID-1), ${b}/${TRIALS} (PID 1)"
  d=$((d + 1))
done
