#!/usr/bin/env bash
# vmcore-unzram -j N under ThreadSanitizer (build/tsan, make check builds
# it): the decoding threads of postproc/rewrite.c on a real fixture, with
# more threads than cores.  Fails on any ThreadSanitizer report, and checks
# that the output is byte-identical to the -j 1 output of the same build.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
tsan=${UZ_TSAN_BUILD:-$here/build/tsan}/vmcore-unzram
[ -x "$tsan" ] || { echo "FAIL tsan-binary: $tsan not built (make VARIANT=tsan all)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-tsan.XXXXXX"); trap 'rm -rf "$work"' EXIT
if ! fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>"$work/fx.log" | tail -n 1) || [ ! -d "$fx" ]; then
  echo "FAIL tsan-fixtures: $(tail -n 3 "$work/fx.log" | tr '\n' ' ')"; exit 1
fi
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
for dump in kdump-d31-zlib kdump-elf; do
  in=$fx/$dump.vmcore
  for j in 1 5; do
    if ! "$tsan" -q -j "$j" "$in" "$work/$dump-j$j.out" >"$work/log" 2>&1; then
      echo "FAIL tsan-$dump-j$j: exit $?: $(grep -m1 -E 'ThreadSanitizer|vmcore-unzram:' "$work/log" | cut -c1-200)"
      grep -A12 'WARNING: ThreadSanitizer' "$work/log" | head -30
      continue 2
    fi
  done
  if cmp -s "$work/$dump-j1.out" "$work/$dump-j5.out"; then
    echo "PASS tsan-$dump: -j 5 under ThreadSanitizer, no report, output identical to -j 1"
  else
    echo "FAIL tsan-$dump: -j 5 output differs from -j 1"
  fi
  rm -f "$work/$dump"-j*.out
done
