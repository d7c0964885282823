#!/usr/bin/env bash
# --backing-dev on real-kernel dumps.  Each fixture set keeps an image of the
# disk its "writeback" zram device (swaps.tsv) wrote idle pages back to
# (backing-zramN.img).  For every fixture set:
#   - vmcore-unzram --backing-dev zramN=IMAGE restores the written-back pages
#     (outcome "backing-dev"), --verify passes, and unmodified drgn reads every
#     manifest page byte-exact, the "writeback" rows included;
#   - --zram-info names the backing device and its bitmap agrees with the
#     kernel's bd_count and the written-back slot count;
#   - --slot on a written-back slot shows the manifest's exact bytes;
#   - a truncated or empty image gives per-page "failed" outcomes (exit 0;
#     --strict: exit 6), never wrong pages;
#   - a bad image path, a non-file, a device without a backing device or an
#     unknown device are refused at startup (exit 2 or 3).
# Fixture sets: UZ_FIXTURE_SETS (default: tests/fixture-sets).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${UZ_BUILD:-$here/build/asan}/vmcore-unzram
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-backing.XXXXXX"); trap 'rm -rf "$work"' EXIT
[ -x "$bin" ] || { echo "FAIL backing-dev-binary: $bin not built"; exit 1; }

# exit status of a command, its output in $work/cmd.log
status() { "$@" >"$work/cmd.log" 2>&1; echo $?; }

sets=${UZ_FIXTURE_SETS:-$(grep -v '^#' "$here/tests/fixture-sets")}
for set in $sets; do
  IFS=: read -r arch kver paging <<<"$set"
  tag=$kver; [ "$arch" = x86_64 ] || tag="$arch-$kver"; [ "$paging" = 4 ] || tag="$tag-${paging}level"
  name="backing-dev-$tag"
  if ! fx=$("$here/tests/vm/fixtures" --arch "$arch" --kernel "$kver" --paging "$paging" 2>"$work/fixtures.log" | tail -n 1) || [ ! -d "$fx" ]; then
    echo "FAIL $name-fixtures: could not build fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"
    continue
  fi
  dev=$(awk -F'\t' '$5 == "writeback" { print $2 }' "$fx/swaps.tsv")
  img=$fx/backing-$dev.img
  if [ -z "$dev" ] || [ ! -f "$img" ]; then
    echo "FAIL $name-image: no writeback device or no $img (fixtures predate backing images?)"
    continue
  fi
  dbg=(--vmlinux "$fx/vmlinux" -d "$fx/debug-modules")
  in=$fx/kdump-elf.vmcore
  wb_rows=$(awk -F'\t' 'NR > 1 && $14 == "writeback"' "$fx/manifest.tsv" | wc -l)

  # 1. restore and read back through drgn, for the ELF and a kdump-compressed input
  # (and a makedumpfile -d 1 kdump-compressed input where the set has one)
  dumps=(kdump-elf.vmcore); [ -f "$fx/kdump-d1-lzo.vmcore" ] && dumps+=(kdump-d1-lzo.vmcore)
  for dump in "${dumps[@]}"; do
    out=$work/out.vmcore
    n="$name-${dump%.vmcore}"
    if ! "$bin" -q --force "${dbg[@]}" --backing-dev "$dev=$img" --report "$work/report.json" \
         "$fx/$dump" "$out" >"$work/run.log" 2>&1; then
      echo "FAIL $n: vmcore-unzram failed: $(tail -n 3 "$work/run.log" | tr '\n' ' ')"
      continue
    fi
    if "$bin" --verify "${dbg[@]}" --backing-dev "$dev=$img" "$fx/$dump" "$out" >"$work/verify.log" 2>&1; then v=ok; else v="--verify: $(tail -n 1 "$work/verify.log")"; fi
    "$py" "$here/tests/vm/verify_drgn.py" "$out" "$fx" >"$work/drgn.log" 2>&1
    "$py" - "$work/drgn.log" "$work/report.json" "$n" "$wb_rows" "$v" <<'PY'
import json, sys
log, report, name, wb_rows, v = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
lines = [l for l in open(log) if l.startswith("UZ-VERIFY ")]
if not lines:
    print(f"FAIL {name}-drgn: no oracle summary: {open(log).read()[-300:]!r}")
    sys.exit(0)
s = json.loads(lines[-1][10:])
totals = json.load(open(report))["totals"]["zram_swap_ptes"]
bad = [] if v == "ok" else [v]
for expect, c in s.get("by_expect", {}).items():
    if c.get("exact", 0) != sum(c.values()):
        bad.append(f"{expect}: {dict(c)}")
wb = s.get("by_expect", {}).get("writeback", {}).get("exact", 0)
if wb_rows == 0 or wb != wb_rows:
    bad.append(f"writeback rows exact {wb}, manifest has {wb_rows}")
if totals.get("backing-dev", 0) < wb_rows or totals.get("written-back", 0):
    bad.append(f"report totals {totals}")
if bad or not s.get("ok"):
    print(f"FAIL {name}-drgn: " + "; ".join(bad or ["control pages"]))
else:
    print(f"PASS {name}-drgn: all {sum(sum(c.values()) for c in s['by_expect'].values())} manifest pages exact, "
          f"writeback {wb}/{wb_rows}; backing-dev PTEs {totals['backing-dev']}")
PY
    rm -f "$out"
  done

  # 2. --zram-info: name, bitmap, bd_count and written-back slots agree
  if "$bin" "${dbg[@]}" --zram-info --json --backing-dev "$dev=$img" "$in" >"$work/info.json" 2>"$work/info.err"; then
    "$py" - "$work/info.json" "$dev" "$img" "$name-zram-info" <<'PY'
import json, os, sys
info, dev, img, name = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
d = next((d for d in info["devices"] if d["name"] == dev), None)
b = (d or {}).get("backing", {})
wb = (d or {}).get("slot_kinds", {}).get("written_back")
ok = (d and b.get("name", "") and b.get("name", "").startswith("/") and b.get("blocks_used") == b.get("bd_count") == wb
      and wb and b.get("image_size") == os.path.getsize(img) and b.get("nr_pages", 0) * b.get("block_size", 0) >= os.path.getsize(img))
print(f"{'PASS' if ok else 'FAIL'} {name}: {dev} backing device {b.get('name')}, {b.get('nr_pages')} blocks, "
      f"bitmap {b.get('blocks_used')} in use, bd_count {b.get('bd_count')}, written-back slots {wb}")
PY
  else
    echo "FAIL $name-zram-info: $(tail -n 2 "$work/info.err" | tr '\n' ' ')"
  fi

  # 3. --slot of the first written-back manifest row: the exact bytes
  row=$(awk -F'\t' 'NR > 1 && $14 == "writeback" { print NR - 1; exit }' "$fx/manifest.tsv")
  off=$(awk -F'\t' -v r="$row" 'NR == r + 1 { print $12 }' "$fx/manifest.tsv")
  "$py" "$here/tests/vm/expected.py" "$fx/manifest.tsv" "$row" >"$work/want.bin"
  if "$bin" "${dbg[@]}" --slot "$dev:$off" --json --backing-dev "$dev=$img" "$in" >"$work/slot.json" 2>"$work/slot.err"; then
    "$py" - "$work/slot.json" "$work/want.bin" "$name-slot" "$dev:$off" <<'PY'
import json, sys
s, want, name, where = json.load(open(sys.argv[1])), open(sys.argv[2], "rb").read(), sys.argv[3], sys.argv[4]
ok = s.get("source") == "backing-dev" and bytes.fromhex(s.get("data", "")) == want and s.get("bitmap_checked")
print(f"{'PASS' if ok else 'FAIL'} {name}: {where} is block {s.get('backing_block')} of the image, "
      f"{'bytes exact' if ok else 'source ' + str(s.get('source'))}")
PY
  else
    echo "FAIL $name-slot: $(tail -n 2 "$work/slot.err" | tr '\n' ' ')"
  fi
  # without the image: still "written back", never bytes
  rc=$(status "$bin" "${dbg[@]}" --slot "$dev:$off" "$in")
  # Where the page lives is an answer (exit 0), even if its bytes are not here.
  if [ "$rc" -eq 0 ] && grep -q 'no image of it given' "$work/cmd.log"; then
    echo "PASS $name-slot-without-image: exit $rc: $(tail -n 1 "$work/cmd.log")"
  else
    echo "FAIL $name-slot-without-image: exit $rc: $(tail -n 2 "$work/cmd.log" | tr '\n' ' ')"
  fi

  # 4. truncated and empty images: per-page failures, exit 8 (partial: OUT
  # written, pages failed); --strict exit 6
  head -c $((10 * 4096)) "$img" >"$work/short.img"
  : >"$work/empty.img"
  for kind in short empty; do
    rc=$(status "$bin" --force "${dbg[@]}" --backing-dev "$dev=$work/$kind.img" --report "$work/report.json" "$in" "$work/out.vmcore")
    "$py" - "$work/report.json" "$rc" "$name-$kind-image" "$work/cmd.log" <<'PY'
import json, sys
r, rc, name = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
warned = "the kernel recorded" in open(sys.argv[4]).read()
t = r["totals"]["zram_swap_ptes"]
ptes = r.get("ptes", [])
fails = [p for p in ptes if p.get("outcome") == "failed" and "past the end of the image" in p.get("why", "")]
ok = rc == 8 and warned and t.get("failed", 0) > 0 and len(fails) == t.get("failed") and t.get("written-back", 0) == 0
print(f"{'PASS' if ok else 'FAIL'} {name}: exit {rc}, {'size warning' if warned else 'NO size warning'}, backing-dev {t.get('backing-dev', 0)}, failed {t.get('failed', 0)}"
      f" ({len(fails)} say past the end of the image)" + (f": {fails[0]['why']}" if fails else f" {t}"))
PY
    rm -f "$work/out.vmcore"
  done
  rc=$(status "$bin" -q --force --strict "${dbg[@]}" --backing-dev "$dev=$work/short.img" "$in" "$work/out.vmcore")
  [ "$rc" -eq 6 ] && echo "PASS $name-short-image-strict: exit 6: $(tail -n 1 "$work/cmd.log")" \
                  || echo "FAIL $name-short-image-strict: exit $rc: $(tail -n 2 "$work/cmd.log" | tr '\n' ' ')"
  rm -f "$work/out.vmcore"

  # 5. refused at startup, before any output is written
  nobacking=$(awk -F'\t' '$5 == "scenarios" { print $2 }' "$fx/swaps.tsv")
  chardev=
  for c in /dev/zero /dev/urandom /dev/full; do [ -c "$c" ] && { chardev=$c; break; }; done
  while IFS='|' read -r want arg pattern; do
    [ -n "$want" ] || continue
    rc=$(status "$bin" -q --force "${dbg[@]}" --backing-dev "$arg" "$in" "$work/out.vmcore")
    if [ "$rc" -eq "$want" ] && grep -q -- "$pattern" "$work/cmd.log" && [ ! -e "$work/out.vmcore" ]; then
      echo "PASS $name-refuses: --backing-dev $arg: exit $rc: $(tail -n 1 "$work/cmd.log")"
    else
      echo "FAIL $name-refuses: --backing-dev $arg: exit $rc (want $want, '$pattern'): $(tail -n 2 "$work/cmd.log" | tr '\n' ' ')"
    fi
    rm -f "$work/out.vmcore"
  done <<EOF
3|$dev=$work/missing.img|No such file
${chardev:+2|$dev=$chardev|neither a regular file nor a block device}
2|$dev=$work|neither a regular file nor a block device
2|$nobacking=$img|has no backing device in the dump
2|zram42=$img|no such zram device
2|$dev|expected ZRAM=IMAGE
EOF
  rc=$(status "$bin" -q --force "${dbg[@]}" --backing-dev "$dev=$img" --backing-dev "$dev=$img" "$in" "$work/out.vmcore")
  [ "$rc" -eq 2 ] && grep -q 'already given' "$work/cmd.log" && [ ! -e "$work/out.vmcore" ] \
    && echo "PASS $name-refuses-twice: exit 2: $(tail -n 1 "$work/cmd.log")" \
    || echo "FAIL $name-refuses-twice: exit $rc: $(tail -n 2 "$work/cmd.log" | tr '\n' ' ')"
  rm -f "$work/out.vmcore"
done
exit 0
