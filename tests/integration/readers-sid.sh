#!/usr/bin/env bash
# Newer unmodified readers on vmcore-unzram's outputs: crash 9 and drgn 0.3
# from a cached Debian sid root (tests/vm/reader-root), plus the host's drgn
# for comparison, read every manifest page of every output the tool writes:
#   elf             kdump-elf (the raw /proc/vmcore ELF) -> ELF
#   elf-in-place    a copy of kdump-elf updated with --in-place
#   elf-btf         kdump-elf without --vmlinux/-d (types from BTF); when the
#                   file is byte-identical to elf's, the readers' results on
#                   elf stand for it (PASS ...-identical), else they read it
#   kdump-d0-zlib, kdump-d1-lzo, kdump-d31-zlib
#                   makedumpfile's kdump-compressed dumps (-d 0/1/31) -> kdump-compressed
#                   (where -d 31 lacks kernel pages the walk needs, as on 6.12,
#                   vmcore-unzram must refuse in one line: PASS ...-refused;
#                   the same for BTF mode where kallsyms has no data symbols)
#   kdump-d31-zlib+keep  zram-keep kdump-elf kdump-d31-zlib, then vmcore-unzram
#   elf-to-kdump-zstd, elf-to-kdump-snappy
#                   kdump-elf converted: --format kdump --compress zstd / snappy
#   elf-backing-dev kdump-elf with --backing-dev zramN=backing-zramN.img: the
#                   written-back pages must read exact too
# crash (tests/vm/verify_crash_user.py): `ps`, `swap`, `kmem -i`, `vtop` of a
# restored address, and `set PID` + `rd -u -64 VADDR 512` per manifest row; on
# x86_64 sets only (Debian's amd64 crash reads x86_64 dumps only: docs/compat.md).
# drgn (tests/vm/verify_drgn.py): find_task + access_process_vm per row.
# Verdict per reader and output: tests/integration/reader_judge.py.  Each
# verdict is also a row of $UZ_BUILD/readers-matrix.jsonl, rendered to
# $UZ_BUILD/compat.md (copy it to docs/compat.md to publish a run).
# Fixture sets: UZ_FIXTURE_SETS (default: tests/fixture-sets); outputs:
# UZ_READER_OUTPUTS (default: all ten above); readers: UZ_READERS (default
# "crash drgn host-drgn").
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
bin=$build/vmcore-unzram
py=/usr/bin/python3
root=$here/tests/vm/reader-root
matrix=$build/readers-matrix.jsonl
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-readers.XXXXXX"); trap 'rm -rf "$work"' EXIT

[ -x "$bin" ] || { echo "FAIL readers-binary: $bin not built"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP readers: the sid reader root needs root (chroot, mount); run as root"; exit 0; }
[ -x /usr/sbin/debootstrap ] || command -v debootstrap >/dev/null ||
  { echo "SKIP readers: debootstrap is not installed (tools/setup.sh installs it)"; exit 0; }
start=$(date +%s)
if ! "$root" >"$work/root.log" 2>&1; then
  echo "FAIL readers-root: could not build the sid reader root: $(tail -n 5 "$work/root.log" | tr '\n' ' ')"
  exit 0
fi
versions=$("$root" --versions)
crash_v=$(awk '$1 == "crash" { print $2 }' <<<"$versions")
drgn_v=$(awk '$1 == "python3-drgn" { print $2 }' <<<"$versions")
host_drgn_v=$("$py" -c 'import drgn; print(drgn.__version__)' 2>/dev/null || echo none)
echo "readers: sid root: $(tr '\n' ' ' <<<"$versions"); host drgn $host_drgn_v"
: >"$matrix"
# The matrix's first line names the readers (compat-render prints it).
"$py" -c 'import json, sys; print(json.dumps({"versions": dict(l.split(" ", 1) for l in sys.argv[1].splitlines()), "host_drgn": sys.argv[2]}, sort_keys=True))' \
  "$versions" "$host_drgn_v" >>"$matrix"

readers=${UZ_READERS:-crash drgn host-drgn}
sets=${UZ_FIXTURE_SETS:-$(grep -v '^#' "$here/tests/fixture-sets")}
for set in $sets; do
  IFS=: read -r arch kver paging <<<"$set"
  tag=$kver; [ "$arch" = x86_64 ] || tag="$arch-$kver"; [ "$paging" = 4 ] || tag="$tag-${paging}level"
  if ! fx=$("$here/tests/vm/fixtures" --arch "$arch" --kernel "$kver" --paging "$paging" 2>"$work/fixtures.log" | tail -n 1) || [ ! -d "$fx" ]; then
    echo "FAIL readers-$tag-fixtures: could not build fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"
    continue
  fi
  for output in ${UZ_READER_OUTPUTS:-elf elf-in-place elf-btf kdump-d0-zlib kdump-d1-lzo kdump-d31-zlib kdump-d31-zlib+keep elf-to-kdump-zstd elf-to-kdump-snappy elf-backing-dev}; do
    case "$output" in
      elf*) in=$fx/kdump-elf.vmcore level=0 ;;
      *) in=$fx/${output%+keep}.vmcore level=$(sed 's/^kdump-d\([0-9]*\)-.*/\1/' <<<"$output") ;;
    esac
    # arm64 6.12 (52-bit VA) has no makedumpfile dumps (docs/fixtures.md).
    [ -f "$in" ] || { [ "$arch-$kver" = arm64-6.12 ] && [ "$output" != "${output#kdump-}" ] && continue; }
    name="readers-$tag-$output"
    out=$work/out.vmcore
    debuginfo=(--vmlinux "$fx/vmlinux" -d "$fx/debug-modules")
    files=("$in" "$out")
    case "$output" in
      elf-btf) debuginfo=() ;;
      elf-to-kdump-*) files=(--format kdump --compress "${output#elf-to-kdump-}" "$in" "$out") ;;
      elf-backing-dev)
        img=$(ls "$fx"/backing-zram*.img | head -n 1)
        dev=${img##*/backing-}; dev=${dev%.img}
        files=(--backing-dev "$dev=$img" "$in" "$out") ;;
      elf-in-place) cp --sparse=always "$in" "$out"; files=(--in-place "$out" "$out") ;;
      *+keep)
        # zram-keep puts back what makedumpfile filtered out (from kdump-elf).
        if ! "$build/zram-keep" --quiet "${debuginfo[@]}" "$fx/kdump-elf.vmcore" "$in" "$work/kept.vmcore" >"$work/keep.log" 2>&1; then
          echo "FAIL $name: zram-keep failed: $(tail -n 3 "$work/keep.log" | tr '\n' ' ')"
          continue
        fi
        files=("$work/kept.vmcore" "$out") ;;
    esac
    if ! "$bin" --quiet --force "${debuginfo[@]}" --report "$work/report.json" "${files[@]}" >"$work/run.log" 2>&1; then
      rm -f "$out" "$work/kept.vmcore"
      if { [ "$level" -ne 0 ] && [ "$output" = "${output%+keep}" ] && [ "$(wc -l <"$work/run.log")" -eq 1 ] \
           && grep -q 'is excluded from the dump (filtered by makedumpfile' "$work/run.log"; } ||
         { [ "$output" = elf-btf ] && grep -q 'kallsyms lists no data symbols (CONFIG_KALLSYMS_ALL is off)' "$work/run.log"; }; then
        # The filtered input lacks kernel pages the walk needs (6.12 -d 31;
        # the +keep output is the remedy), or the kernel's kallsyms has no data
        # symbols, so its BTF cannot be found without debuginfo (Debian's arm64
        # 6.1): the tool must say so, clearly; a known limit, not a reader result.
        echo "PASS $name-refused: vmcore-unzram refuses, saying why: $(tr '\n' ' ' <"$work/run.log")"
        "$py" -c 'import json, sys; print(json.dumps(dict(zip(("reader", "kernel", "arch", "paging", "output", "refused"), sys.argv[1:])), sort_keys=True))' \
          vmcore-unzram "$kver" "$arch" "$paging" "$output" "$(tr '\n' ' ' <"$work/run.log")" >>"$matrix"
        continue
      fi
      echo "FAIL $name: vmcore-unzram failed: $(tail -n 3 "$work/run.log" | tr '\n' ' ')"
      continue
    fi
    rm -f "$work/kept.vmcore"
    if [ "$output" = elf-btf ] && [ -f "$work/elf.vmcore" ] && cmp -s "$out" "$work/elf.vmcore"; then
      # BTF mode wrote the same bytes as DWARF mode: the readers' results
      # on the elf output hold for it (matrix rows copied, marked so).
      echo "PASS $name-identical: BTF mode (no --vmlinux, no -d) wrote a file byte-identical to DWARF mode's, read above"
      "$py" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:
    if r.get("output") == "elf" and "name" in r and (r.get("kernel"), r.get("arch"), r.get("paging")) == tuple(sys.argv[2:5]):
        print(json.dumps(dict(r, output="elf-btf", same_as="elf", name=r["name"].replace("-elf-", "-elf-btf-")), sort_keys=True))' \
        "$matrix" "$kver" "$arch" "$paging" >"$work/btf-rows.jsonl" \
        || echo "FAIL $name-identical: could not copy the elf rows of the matrix"
      cat "$work/btf-rows.jsonl" >>"$matrix"
      rm -f "$out" "$work/elf.vmcore"
      continue
    fi
    [ "$output" = elf-btf ] && rm -f "$work/elf.vmcore"
    for reader in $readers; do
      t0=$EPOCHREALTIME
      case "$reader" in
        crash)
          # Debian's amd64 crash is built for x86_64 dumps only: record what
          # it says on the ELF output (for docs/compat.md), check nothing.
          if [ "$arch" != x86_64 ]; then
            [ "$output" = elf ] || continue
            msg=$(printf 'exit\n' | timeout 300 "$root" --run --bind "$work" -- crash -s "$fx/vmlinux" "$out" 2>&1 |
                  grep -v '^ *$' | sed "/^Usage:/,\$d; s|$fx/||; s|$work/||" | tr -s ' \n' ' ')
            echo "readers: crash $crash_v on $tag: $msg"
            "$py" -c 'import json, sys; print(json.dumps(dict(zip(("reader", "version", "kernel", "arch", "paging", "output", "unsupported"), sys.argv[1:])), sort_keys=True))' \
              crash "$crash_v" "$kver" "$arch" "$paging" "$output" "$msg" >>"$matrix"
            continue
          fi
          version=$crash_v
          timeout 900 "$py" "$here/tests/vm/verify_crash_user.py" "$out" "$fx" --report "$work/report.json" \
            >"$work/reader.log" 2>&1 ;;
        drgn)
          version=$drgn_v
          timeout 900 "$root" --run --bind "$here" --bind "$work" -- /usr/bin/python3 \
            "$here/tests/vm/verify_drgn.py" "$out" "$fx" >"$work/reader.log" 2>&1 ;;
        host-drgn)
          version=$host_drgn_v
          timeout 900 "$py" "$here/tests/vm/verify_drgn.py" "$out" "$fx" >"$work/reader.log" 2>&1 ;;
        *) echo "FAIL readers-$reader: unknown reader (crash, drgn, host-drgn)"; continue ;;
      esac
      secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
      "$py" "$here/tests/integration/reader_judge.py" "$name-$reader" "$work/reader.log" "$level" "$matrix" \
        reader="$reader" version="$version" kernel="$kver" arch="$arch" paging="$paging" output="$output" secs="$secs" \
        writeback="$([ "$output" = elf-backing-dev ] && echo exact || echo not-invented)"
    done
    if [ "$output" = elf ]; then mv "$out" "$work/elf.vmcore"; else rm -f "$out"; fi
  done
  rm -f "$work/elf.vmcore"
  # The readers must be able to fail: on the INPUT (kdump-elf, nothing
  # restored) the same oracle and judge must report the swapped pages.
  for reader in $readers; do
    case "$reader" in
      crash) [ "$arch" = x86_64 ] || continue
             # 5 rows per page kind: crash takes ~0.2 s per page it cannot read.
             timeout 900 "$py" "$here/tests/vm/verify_crash_user.py" --sample 5 "$fx/kdump-elf.vmcore" "$fx" >"$work/reader.log" 2>&1 ;;
      drgn) timeout 900 "$root" --run --bind "$here" -- /usr/bin/python3 \
              "$here/tests/vm/verify_drgn.py" "$fx/kdump-elf.vmcore" "$fx" >"$work/reader.log" 2>&1 ;;
      *) continue ;;
    esac
    verdict=$("$py" "$here/tests/integration/reader_judge.py" "x" "$work/reader.log" 0 /dev/null reader="$reader")
    if [[ "$verdict" == "FAIL x: "*"zram: 0/"* ]] && [[ "$verdict" != *"wrong"* ]]; then
      echo "PASS readers-$tag-input-$reader: on the input the judge fails as it must: ${verdict#FAIL x: }" | cut -c1-300
    else
      echo "FAIL readers-$tag-input-$reader: on the input (no page restored) the judge did not report unread zram pages: $verdict"
    fi
  done
done
"$py" "$here/tests/vm/compat-render" "$matrix" >"$build/compat.md" \
  || echo "FAIL readers-render: tests/vm/compat-render failed on $matrix"
echo "readers: $(( $(date +%s) - start )) s; matrix $matrix, table $build/compat.md"
exit 0
