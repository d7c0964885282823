#!/usr/bin/env bash
# Replays every committed fuzz input (tests/fuzz/corpus/TARGET/: the seeds
# and the found-* inputs the fuzzers turned up, each once a crash or a hang)
# through its target, built as a plain program under the test build's
# ASan+UBSan (tests/fuzz/replay.c).  A regression suite for what fuzzing
# found: one line per target.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
shopt -s nullglob
for dir in "$here"/tests/fuzz/corpus/*/; do
  target=$(basename "$dir")
  bin=$build/tests/replay_$target
  files=("$dir"*)
  found=("$dir"found-*)
  if [ ! -x "$bin" ]; then
    echo "FAIL fuzz-replay-$target: $bin not built"
    continue
  fi
  log=$(mktemp)
  start=$(date +%s%N)
  if "$bin" "${files[@]}" >"$log" 2>&1; then
    echo "PASS fuzz-replay-$target: ${#files[@]} inputs (${#found[@]} found by fuzzing) in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  else
    echo "FAIL fuzz-replay-$target: exit $?: $(grep -m1 -E 'ERROR|runtime error|SUMMARY' "$log" | cut -c1-200)"
    tail -n 20 "$log"
  fi
  rm -f "$log"
done
