#!/usr/bin/env bash
# vmcore-unzram on QEMU's own dumps (dump-guest-memory ELF, and its kdump
# format de-flattened) of the x86_64 6.1 fixture.  drgn 0.0.22 cannot open
# QEMU dumps (docs/baseline.md), so the ELF output is read through crash
# 8.0.2's page-table walk (tests/vm/verify --oracle crash): every in-RAM
# manifest page must read exact, written-back pages must not be invented.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${UZ_BUILD:-$here/build/asan}/vmcore-unzram
[ -x "$bin" ] || { echo "FAIL qemu-binary: $bin not built"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-qemu.XXXXXX"); trap 'rm -rf "$work"' EXIT
fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>/dev/null | tail -n 1)
[ -d "$fx" ] || { echo "FAIL qemu-fixtures: could not build fixtures"; exit 0; }
for dump in qemu-elf qemu-kdump-zlib; do
  in=$fx/$dump.vmcore out=$work/$dump.out
  if ! "$bin" --quiet --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" "$in" "$out" >"$work/log" 2>&1 \
     || ! "$bin" --verify --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" "$in" "$out" >>"$work/log" 2>&1; then
    echo "FAIL qemu-$dump: $(tail -n 2 "$work/log" | tr '\n' ' ')"; continue
  fi
  echo "PASS qemu-$dump-verify: $(tail -n 1 "$work/log")"
  [ "$dump" = qemu-elf ] || { rm -f "$out"; continue; }
  "$here/tests/vm/verify" "$out" --fixture "$fx" --oracle crash >"$work/crash.log" 2>&1
  /usr/bin/python3 - "$work/crash.log" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("UZ-VERIFY ")]
if not lines:
    print("FAIL qemu-elf-crash: no oracle summary: " + open(sys.argv[1]).read()[-300:].replace("\n", " "))
    sys.exit(0)
s = json.loads(lines[-1][10:])
bad = [f"{k}: {v}" for k, v in s["by_expect"].items()
       if (k == "writeback" and v.get("wrong")) or (k != "writeback" and v.get("exact", 0) != sum(v.values()))]
summary = ", ".join(f"{k} {v.get('exact', 0)}/{sum(v.values())}" for k, v in sorted(s["by_expect"].items()))
print(("FAIL qemu-elf-crash: " + "; ".join(bad)) if bad else f"PASS qemu-elf-crash: exact/total through crash: {summary}")
PY
  rm -f "$out"
done
exit 0
