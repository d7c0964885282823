#!/usr/bin/env bash
# The crash oracle on real-kernel dumps: for each kernel and dump, run
# vmcore-unzram IN -> OUT and let unmodified crash (Debian's 8.0.2) look at
# both (tests/integration/unzram_crash.py does the checks; what crash can and
# cannot do on these kernels: docs/crash-oracle.md).
# Kernels: UZ_CRASH_KERNELS (default "6.1 6.12"); dumps: UZ_CRASH_DUMPS
# (default "kdump-elf kdump-elf+in-place kdump-d0-zlib"; +in-place: OUT is a
# copy of IN updated with --in-place).  UZ_CRASH_FIXTURE_<kernel with _ for .>
# (e.g. UZ_CRASH_FIXTURE_6_1=DIR) uses that fixture directory instead of
# asking tests/vm/fixtures.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${UZ_BUILD:-$here/build/asan}/vmcore-unzram
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-crash.XXXXXX"); trap 'rm -rf "$work"' EXIT

[ -x "$bin" ] || { echo "FAIL crash-binary: $bin not built"; exit 1; }
command -v crash >/dev/null || { echo "SKIP crash: crash is not installed (tools/setup.sh)"; exit 0; }

for kver in ${UZ_CRASH_KERNELS:-6.1 6.12}; do
  override=UZ_CRASH_FIXTURE_${kver//./_}
  if [ -n "${!override:-}" ]; then
    fx=${!override}
  elif ! fx=$("$here/tests/vm/fixtures" --kernel "$kver" 2>"$work/fixtures.log" | tail -n 1) || [ ! -d "$fx" ]; then
    echo "FAIL crash-$kver-fixtures: could not build fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"
    continue
  fi
  for dump in ${UZ_CRASH_DUMPS:-kdump-elf kdump-elf+in-place kdump-d0-zlib}; do
    name=crash-$kver-$dump
    base=${dump%+in-place}
    in=$fx/$base.vmcore out=$work/$dump.unzram
    if [ ! -f "$in" ]; then
      echo "FAIL $name: no $base.vmcore in $fx"
      continue
    fi
    files=("$in" "$out")
    if [ "$base" != "$dump" ]; then
      cp "$in" "$out"
      files=(--in-place "$out" "$out")
    fi
    if ! "$bin" --quiet --force --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" --report "$work/report.json" \
         "${files[@]}" >"$work/run.log" 2>&1; then
      echo "FAIL $name: vmcore-unzram failed: $(tail -n 3 "$work/run.log" | tr '\n' ' ')"
      continue
    fi
    timeout 600 "$py" "$here/tests/integration/unzram_crash.py" --name "$name" --fixture "$fx" \
      --in "$in" --out "$out" --report "$work/report.json" >"$work/check.log" 2>&1
    rc=$?
    cat "$work/check.log"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$work/check.log"; then
      echo "FAIL $name: unzram_crash.py exited with status $rc: $(tail -n 3 "$work/check.log" | tr '\n' ' ')"
    fi
    rm -f "$out"
  done
done
exit 0
