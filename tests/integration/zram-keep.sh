#!/usr/bin/env bash
# zram-keep end to end on real filtered dumps:
#   ORIGINAL = the fixture's /proc/vmcore ELF (a real kdump),
#   FILTERED = makedumpfile 1.7.2 -d 31 output (the one the capture kernel
#   wrote, kdump-d31-zlib.vmcore; on x86_64 also -E and -F made here),
#   zram-keep -> vmcore-unzram -> unmodified drgn (tests/vm/verify_drgn.py),
# which must read every in-RAM swapped manifest page exact (zram, zram-huge,
# zram-same, zeromap, swapcache) and never invent a written-back page.
# Both zram-keep and vmcore-unzram run WITHOUT debuginfo (BTF and kallsyms
# from the dump, as in a kdump capture environment) wherever the kernel
# allows it (arm64 6.1 has no CONFIG_KALLSYMS_ALL: debuginfo there).
# makedumpfile's -d 31 happens to keep most of what vmcore-unzram needs (on
# 6.1 vmcore-unzram restores everything from it alone), so the merge is also
# tested on a FILTERED that surely lacks the needed pages: ORIGINAL without
# every page zram-needed --list names (elf_drop_pages.py), as ELF and as
# kdump-compressed.  There vmcore-unzram must fail or read wrong without
# zram-keep (-baseline) and read everything after it; every needed page must
# be back with ORIGINAL's bytes, read by drgn (keep_restored.py, also on the
# real -d 31 dumps).  Also: in-place mode leaving the file intact on error,
# the -F pass-through, and a FILTERED of another crash refused.
# Fixture sets: UZ_FIXTURE_SETS (default: tests/fixture-sets).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
keep=$build/zram-keep unzram=$build/vmcore-unzram needed=$build/tests/zram-needed dumpcopy=$build/tests/dumpcopy
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-keep.XXXXXX"); trap 'rm -rf "$work"' EXIT

for b in "$keep" "$unzram" "$needed" "$dumpcopy"; do
  [ -x "$b" ] || { echo "FAIL keep-binaries: $b not built"; exit 1; }
done

# check_drgn NAME OUT FIXTURE: the oracle's verdict on the in-RAM swapped pages.
check_drgn() {
  local name=$1 out=$2 fx=$3
  "$py" "$here/tests/vm/verify_drgn.py" "$out" "$fx" >"$work/drgn.log" 2>&1
  "$py" "$here/tests/integration/swapped_exact.py" "$name" "$work/drgn.log"
}

# restored NAME FILTERED KEPT: every needed page back, judged by drgn.
restored() {
  "$py" "$here/tests/integration/keep_restored.py" "$1" "$orig" "$2" "$3" "$work/needed.list" 2>&1 | tail -n 1
}

# unzram_and_check NAME KEPT FIXTURE
unzram_and_check() {
  local name=$1 kept=$2 fx=$3
  if ! "$unzram" --quiet --force "${debuginfo[@]}" "$kept" "$work/unzram" >"$work/unzram.log" 2>&1; then
    echo "FAIL $name-unzram: $(tail -n 3 "$work/unzram.log" | tr '\n' ' ')"
    return
  fi
  check_drgn "$name" "$work/unzram" "$fx"
  rm -f "$work/unzram"
}

# keep_report NAME: summary of zram-keep's JSON report
keep_report() {
  "$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("kept", r["kept"], "of", r["needed"], "needed pages", {k: v["kept"] for k, v in r["by_category"].items() if v["kept"]}, "reads observed" if r["reads_observed"] else "")' "$work/keep.json"
}

sets=${UZ_FIXTURE_SETS:-$(grep -v '^#' "$here/tests/fixture-sets")}
other_orig=
for set in $sets; do
  IFS=: read -r arch kver paging <<<"$set"
  tag=$kver; [ "$arch" = x86_64 ] || tag="$arch-$kver"; [ "$paging" = 4 ] || tag="$tag-${paging}level"
  if ! fx=$("$here/tests/vm/fixtures" --arch "$arch" --kernel "$kver" --paging "$paging" 2>"$work/fixtures.log" | tail -n 1) || [ ! -d "$fx" ]; then
    echo "FAIL keep-$tag-fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"
    continue
  fi
  orig=$fx/kdump-elf.vmcore
  filtered=$fx/kdump-d31-zlib.vmcore
  debuginfo=()
  if grep -q '^CONFIG_KALLSYMS_ALL=y' "$(dirname "$(readlink -f "$fx/vmlinux")")/../config" 2>/dev/null ||
     [ "$arch" = x86_64 ]; then
    mode=btf
  else
    mode=debuginfo
    debuginfo=(--vmlinux "$fx/vmlinux" -d "$fx/debug-modules")
  fi

  # The pages vmcore-unzram needs, as lib/keep lists them.
  if ! "$needed" --list "${debuginfo[@]}" "$orig" >"$work/needed.list" 2>"$work/needed.log"; then
    echo "FAIL keep-$tag-needed: zram-needed --list: $(tail -n 2 "$work/needed.log" | tr '\n' ' ')"
    continue
  fi

  # A FILTERED that surely lacks them: what is lost without zram-keep, and
  # what the merge gives back, in ELF and in kdump-compressed form.
  if ! dropped=$("$py" "$here/tests/integration/elf_drop_pages.py" "$orig" "$work/needed.list" "$work/lack.elf" 2>"$work/drop.log"); then
    echo "FAIL keep-$tag-lacking: elf_drop_pages.py: $(tail -n 2 "$work/drop.log" | tr '\n' ' ')"
  else
    if "$unzram" --quiet --force "${debuginfo[@]}" "$work/lack.elf" "$work/plain.out" >"$work/plain.log" 2>&1; then
      check_drgn "keep-$tag-baseline" "$work/plain.out" "$fx" >"$work/baseline.log"
      if grep -q '^FAIL' "$work/baseline.log"; then
        echo "PASS keep-$tag-baseline: without $dropped needed pages drgn cannot read every in-RAM page: $(cut -c1-200 "$work/baseline.log")"
      else
        echo "FAIL keep-$tag-baseline: without $dropped needed pages every in-RAM page still reads exact, so the merge tests show nothing: $(cut -c1-200 "$work/baseline.log")"
      fi
    elif [ "$(wc -l <"$work/plain.log")" -eq 1 ] && grep -q 'is not in the dump\|is excluded from the dump' "$work/plain.log"; then
      echo "PASS keep-$tag-baseline: without $dropped needed pages vmcore-unzram stops: $(cut -c1-200 "$work/plain.log")"
    else
      echo "FAIL keep-$tag-baseline: vmcore-unzram failed unclearly without the needed pages: $(tail -n 3 "$work/plain.log" | tr '\n' ' ')"
    fi
    rm -f "$work/plain.out"
    if "$keep" --quiet "${debuginfo[@]}" --report "$work/keep.json" "$orig" "$work/lack.elf" "$work/kept.elf" >"$work/keep.log" 2>&1; then
      echo "PASS keep-$tag-lacking-elf ($mode): $(keep_report)"
      restored "keep-$tag-lacking-elf" "$work/lack.elf" "$work/kept.elf"
      unzram_and_check "keep-$tag-lacking-elf" "$work/kept.elf" "$fx"
    else
      echo "FAIL keep-$tag-lacking-elf: exit $?: $(tail -n 3 "$work/keep.log" | tr '\n' ' ')"
    fi
    rm -f "$work/kept.elf"
    # The same pages missing from a kdump-compressed file, merged in place.
    if "$dumpcopy" --format kdump --compress zlib "$work/lack.elf" "$work/lack.kdump" >"$work/copy.log" 2>&1; then
      cp "$work/lack.kdump" "$work/kept.kdump"
      if "$keep" --quiet "${debuginfo[@]}" --report "$work/keep.json" "$orig" "$work/kept.kdump" >"$work/keep.log" 2>&1; then
        echo "PASS keep-$tag-lacking-kdump ($mode, in place): $(keep_report)"
        restored "keep-$tag-lacking-kdump" "$work/lack.kdump" "$work/kept.kdump"
        unzram_and_check "keep-$tag-lacking-kdump" "$work/kept.kdump" "$fx"
      else
        echo "FAIL keep-$tag-lacking-kdump: exit $?: $(tail -n 3 "$work/keep.log" | tr '\n' ' ')"
      fi
    else
      echo "FAIL keep-$tag-lacking-kdump: dumpcopy: $(tail -n 2 "$work/copy.log" | tr '\n' ' ')"
    fi
    rm -f "$work/lack.kdump" "$work/kept.kdump"
  fi
  rm -f "$work/lack.elf"

  if [ ! -e "$filtered" ]; then
    echo "SKIP keep-$tag-d31: no makedumpfile -d 31 output in this fixture set (makedumpfile 1.7.2 cannot filter arm64 52-bit VA dumps)"
    continue
  fi
  # In place on a copy of the capture kernel's -d 31 kdump file.
  cp "$filtered" "$work/f.kdump"
  if "$keep" --quiet "${debuginfo[@]}" --report "$work/keep.json" "$orig" "$work/f.kdump" >"$work/keep.log" 2>&1; then
    echo "PASS keep-$tag-kdump ($mode): $(keep_report)"
    restored "keep-$tag-kdump" "$filtered" "$work/f.kdump"
    unzram_and_check "keep-$tag-kdump" "$work/f.kdump" "$fx"
    # makedumpfile itself accepts the output: re-filter it (x86_64 only).
    if [ "$arch" = x86_64 ] && command -v makedumpfile >/dev/null; then
      if makedumpfile -d 31 -c "$work/f.kdump" "$work/re.kdump" >"$work/mdf.log" 2>&1; then
        echo "PASS keep-$tag-refilter: makedumpfile -d 31 re-filters zram-keep's output"
      else
        echo "FAIL keep-$tag-refilter: makedumpfile: $(tail -n 3 "$work/mdf.log" | tr '\n' ' ')"
      fi
      rm -f "$work/re.kdump"
    fi
  else
    echo "FAIL keep-$tag-kdump: exit $?: $(tail -n 3 "$work/keep.log" | tr '\n' ' ')"
  fi

  # A FILTERED of another crash: refused, in-place file untouched.
  if [ -n "$other_orig" ]; then
    cp "$filtered" "$work/g.kdump"
    "$keep" --quiet "${debuginfo[@]}" "$other_orig" "$work/g.kdump" >"$work/bad.log" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && [ "$(wc -l <"$work/bad.log")" -eq 1 ] && cmp -s "$filtered" "$work/g.kdump"; then
      echo "PASS keep-$tag-other-crash: exit $rc, FILTERED unchanged: $(cut -c1-160 "$work/bad.log")"
    else
      echo "FAIL keep-$tag-other-crash: exit $rc, $(wc -l <"$work/bad.log") lines, unchanged: $(cmp -s "$filtered" "$work/g.kdump" && echo yes || echo no): $(head -c 300 "$work/bad.log")"
    fi
    rm -f "$work/g.kdump"
  fi
  rm -f "$work/f.kdump"
  other_orig=$orig

  # makedumpfile on this host reads only x86_64 dumps: -E and -F here.
  [ "$arch" = x86_64 ] && [ "$paging" = 4 ] && command -v makedumpfile >/dev/null || continue
  if makedumpfile -E -d 31 "$orig" "$work/d31.elf" >"$work/mdf.log" 2>&1; then
    if "$keep" --quiet "${debuginfo[@]}" --report "$work/keep.json" "$orig" "$work/d31.elf" "$work/kept.elf" >"$work/keep.log" 2>&1; then
      echo "PASS keep-$tag-elf: $(keep_report)"
      unzram_and_check "keep-$tag-elf" "$work/kept.elf" "$fx"
    else
      echo "FAIL keep-$tag-elf: exit $?: $(tail -n 3 "$work/keep.log" | tr '\n' ' ')"
    fi
  else
    echo "FAIL keep-$tag-elf-makedumpfile: $(tail -n 2 "$work/mdf.log" | tr '\n' ' ')"
  fi
  rm -f "$work/d31.elf" "$work/kept.elf"
  # -F: flattened stream in, flattened stream out, reassembled by makedumpfile -R.
  set -o pipefail
  if makedumpfile -F -d 31 -c "$orig" 2>"$work/mdf.log" |
     "$keep" --quiet "${debuginfo[@]}" "$orig" - - 2>"$work/keep.log" >"$work/kept.flat"; then
    if makedumpfile -R "$work/kept.kdump" <"$work/kept.flat" >"$work/mdf.log" 2>&1; then
      echo "PASS keep-$tag-flat: makedumpfile -F | zram-keep - - | makedumpfile -R"
      unzram_and_check "keep-$tag-flat" "$work/kept.kdump" "$fx"
    else
      echo "FAIL keep-$tag-flat: makedumpfile -R rejects zram-keep's flattened output: $(tail -n 2 "$work/mdf.log" | tr '\n' ' ')"
    fi
  else
    echo "FAIL keep-$tag-flat: $(tail -n 2 "$work/keep.log" "$work/mdf.log" | tr '\n' ' ')"
  fi
  set +o pipefail
  # In the pipe, a zram-keep that cannot do its job passes the stream on
  # unchanged (a dump without the zram pages beats an empty one).
  makedumpfile -F -d 31 -c "$orig" 2>/dev/null >"$work/plain.flat"
  "$keep" --quiet "${debuginfo[@]}" "$work/no-such-original" - - <"$work/plain.flat" >"$work/passed.flat" 2>"$work/keep.log"
  rc=$?
  if [ $rc -ne 0 ] && cmp -s "$work/plain.flat" "$work/passed.flat" && grep -q 'passed FILTERED through' "$work/keep.log"; then
    echo "PASS keep-$tag-flat-passthrough: exit $rc, the -F stream passed through byte-identical: $(head -n 1 "$work/keep.log" | cut -c1-120)"
  else
    echo "FAIL keep-$tag-flat-passthrough: exit $rc, identical: $(cmp -s "$work/plain.flat" "$work/passed.flat" && echo yes || echo no): $(tr '\n' ' ' <"$work/keep.log" | cut -c1-300)"
  fi
  rm -f "$work/kept.flat" "$work/kept.kdump" "$work/plain.flat" "$work/passed.flat"
done
exit 0
