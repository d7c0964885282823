#!/usr/bin/env bash
# zram-keep end to end on the real-kdump fixtures (6.1 and 6.12):
#   makedumpfile 1.7.2 -d 31 -c of the /proc/vmcore ELF -> zram-keep ->
#   vmcore-unzram -> unmodified drgn (tests/vm/verify_drgn.py), which must
#   read every in-RAM swapped manifest page exact (zram, zram-huge,
#   zram-same, zeromap, swapcache) and never invent a written-back page.
# Two FILTERED inputs per kernel:
#   kdump  the makedumpfile output itself: needs the dump writer to put back
#          EXCLUDED pages; SKIP (with the writer's reason) until it can.
#   elf    the ELF with every page the -d 31 output lacks zeroed
#          (zram-needed --zero-excluded): every PFN present or zero, which
#          the writer can patch today.  Also checks, with zram-needed, that
#          the zeroed input lacks needed pages and zram-keep's output none.
# Kernels: UZ_E2E_KERNELS (default "6.1 6.12").
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
keep=$build/zram-keep unzram=$build/vmcore-unzram needed=$build/tests/zram-needed
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-keep.XXXXXX"); trap 'rm -rf "$work"' EXIT

for b in "$keep" "$unzram" "$needed"; do
  [ -x "$b" ] || { echo "FAIL keep-binaries: $b not built"; exit 1; }
done
command -v makedumpfile >/dev/null || { echo "SKIP keep: makedumpfile not installed (tools/setup.sh)"; exit 0; }

# check_drgn NAME OUT FIXTURE: the oracle's verdict on the in-RAM swapped pages.
check_drgn() {
  local name=$1 out=$2 fx=$3
  "$py" "$here/tests/vm/verify_drgn.py" "$out" "$fx" >"$work/drgn.log" 2>&1
  "$py" - "$work/drgn.log" "$name" <<'PY'
import json, sys
log, name = sys.argv[1], sys.argv[2]
lines = [l for l in open(log) if l.startswith("UZ-VERIFY ")]
if not lines:
    print(f"FAIL {name}-drgn: no oracle summary: {open(log).read()[-300:]!r}")
    sys.exit(0)
s = json.loads(lines[-1][10:])
if "open_error" in s:
    print(f"FAIL {name}-drgn: drgn cannot open the output: {s['open_error']}")
    sys.exit(0)
need = ["zram", "zram-huge", "zram-same", "zeromap", "swapcache"]
bad, seen = [], []
for expect, c in s["by_expect"].items():
    total = sum(c.values())
    if expect == "writeback":
        if c.get("wrong", 0):
            bad.append(f"writeback: {c['wrong']} pages read wrong (invented)")
    elif expect in need:
        seen.append(f"{expect} {c.get('exact', 0)}/{total}")
        if c.get("exact", 0) != total:
            bad.append(f"{expect}: {c.get('exact', 0)}/{total} exact {dict(c)}")
if not seen:
    bad.append("no swapped pages in the manifest")
print(f"{'FAIL' if bad else 'PASS'} {name}-drgn: " + ("; ".join(bad) if bad else "exact: " + ", ".join(seen)))
PY
}

# keep_and_check NAME ORIGINAL FILTERED FIXTURE: zram-keep, vmcore-unzram, drgn.
keep_and_check() {
  local name=$1 orig=$2 filtered=$3 fx=$4 rc
  "$keep" --quiet --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" --report "$work/keep.json" \
    "$orig" "$filtered" "$work/kept" >"$work/keep.log" 2>&1
  rc=$?
  if [ "$rc" -eq 5 ] && grep -q 'dump writer cannot put back' "$work/keep.log"; then
    echo "SKIP $name: $(head -n 1 "$work/keep.log")"
    return 1
  fi
  if [ "$rc" -ne 0 ]; then
    echo "FAIL $name-keep: exit $rc: $(tail -n 3 "$work/keep.log" | tr '\n' ' ')"
    return 1
  fi
  echo "PASS $name-keep: $("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("kept", r["kept"], "of", r["needed"], "needed pages", {k: v["kept"] for k, v in r["by_category"].items() if v["kept"]})' "$work/keep.json")"
  if ! "$unzram" --quiet --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" "$work/kept" "$work/unzram" \
       >"$work/unzram.log" 2>&1; then
    echo "FAIL $name-unzram: $(tail -n 3 "$work/unzram.log" | tr '\n' ' ')"
    rm -f "$work/kept"
    return 1
  fi
  rm -f "$work/kept"
  check_drgn "$name" "$work/unzram" "$fx"
  rm -f "$work/unzram"
}

for kver in ${UZ_E2E_KERNELS:-6.1 6.12}; do
  if ! fx=$("$here/tests/vm/fixtures" --kernel "$kver" 2>"$work/fixtures.log" | tail -n 1) || [ ! -d "$fx" ]; then
    echo "FAIL keep-$kver-fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"
    continue
  fi
  orig=$fx/kdump-elf.vmcore
  if ! makedumpfile -d 31 -c "$orig" "$work/d31.kdump" >"$work/mdf.log" 2>&1; then
    echo "FAIL keep-$kver-makedumpfile: $(tail -n 2 "$work/mdf.log" | tr '\n' ' ')"
    continue
  fi
  keep_and_check "keep-$kver-kdump" "$orig" "$work/d31.kdump" "$fx"

  # The ELF path: the same pages missing, as zeros.
  if ! "$needed" --zero-excluded "$work/d31.kdump" "$work/zeroed.elf" "$orig" >"$work/zero.log" 2>&1; then
    echo "FAIL keep-$kver-elf-zero: $(tail -n 2 "$work/zero.log" | tr '\n' ' ')"
    continue
  fi
  "$keep" --quiet --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" "$orig" "$work/zeroed.elf" "$work/kept.elf" \
    >"$work/keep2.log" 2>&1 || echo "FAIL keep-$kver-elf-lacking: zram-keep: $(tail -n 1 "$work/keep2.log")"
  # Independent count of needed pages each input lacks (zeros or absent).
  "$needed" --vmlinux "$fx/vmlinux" -d "$fx/debug-modules" "$orig" "$work/zeroed.elf" "$work/kept.elf" \
    >"$work/needed.log" 2>&1
  "$py" - "$work/needed.log" "keep-$kver-elf-lacking" <<'PY'
import json, sys
log, name = sys.argv[1], sys.argv[2]
rows = [json.loads(l[10:]) for l in open(log) if l.startswith("UZ-NEEDED ")]
if len(rows) != 2:
    print(f"FAIL {name}: zram-needed gave {len(rows)} results: {open(log).read()[-300:]!r}")
    sys.exit(0)
before, after = rows[0]["lacking"], rows[1]["lacking"]
ok = before > 0 and after == 0
print(f"{'PASS' if ok else 'FAIL'} {name}: zeroed -d 31 ELF lacks {before} needed pages, zram-keep output {after}")
PY
  rm -f "$work/kept.elf"
  keep_and_check "keep-$kver-elf" "$orig" "$work/zeroed.elf" "$fx"
  rm -f "$work/zeroed.elf" "$work/d31.kdump"
done
exit 0
