#!/usr/bin/env bash
# Robustness sweep (issue 13) on copies of the real x86_64 6.1 fixture:
# truncations, corruptions, bad usage, debuginfo mistakes, signals,
# interrupted --in-place runs and --verify's rejections; see sweep.py for
# what every case asserts.  Seeded (UZ_SWEEP_SEED, default 13), so a failure
# reproduces.  `--long` (make fuzz) runs more cases per group.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
[ -x "$build/vmcore-unzram" ] || { echo "FAIL robustness-binary: $build/vmcore-unzram not built"; exit 1; }
log=$(mktemp); trap 'rm -f "$log"' EXIT
if ! fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>"$log" | tail -n 1) || [ ! -d "$fx" ]; then
  echo "FAIL robustness-fixtures: could not build the 6.1 fixtures: $(tail -n 3 "$log" | tr '\n' ' ')"
  exit 1
fi
exec /usr/bin/python3 "$here/tests/robustness/sweep.py" --build "$build" --fixture "$fx" \
  --seed "${UZ_SWEEP_SEED:-13}" "$@"
