#!/usr/bin/env bash
# The kernel view against drgn, on the primary dump (kdump-elf.vmcore) of
# every fixture set in tests/fixture-sets: --ps must list exactly drgn's
# tasks (pid, tgid, task, mm, comm), and --vtop on sampled manifest rows must
# give the raw PTE (and physical address) an independent Python page-table
# walk over drgn's reads finds, with the PTE state and swap entry the guest
# read from /proc/PID/pagemap.  Details: kernel_vs_drgn.py beside this file.
# Prints "PASS|FAIL|SKIP name: ..." per (fixture, check).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${UZ_BUILD:-$here/build/asan}/vmcore-unzram
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "FAIL kernel-vs-drgn: $bin not built"; exit 1; }
/usr/bin/python3 -c 'import drgn' 2>/dev/null || { echo "SKIP kernel-vs-drgn: drgn not importable by /usr/bin/python3"; exit 0; }
status=0
for set in $(grep -v '^#' "$here/tests/fixture-sets"); do
  IFS=: read -r arch kernel paging <<<"$set"
  name="$arch-$kernel-${paging}level"
  errlog=$(mktemp)
  fx=$("$here/tests/vm/fixtures" --arch "$arch" --kernel "$kernel" --paging "$paging" 2>"$errlog" | tail -n 1)
  if [ ! -d "$fx" ] || [ ! -f "$fx/kdump-elf.vmcore" ]; then
    echo "FAIL $name: no fixture with kdump-elf.vmcore (tests/vm/fixtures: $(tail -n 3 "$errlog" | tr '\n' ' '))"
    rm -f "$errlog"
    status=1
    continue
  fi
  rm -f "$errlog"
  out=$(/usr/bin/python3 "$here/tests/integration/kernel_vs_drgn.py" "$bin" "$fx" "$arch" "$paging" "$name" 2>&1)
  rc=$?
  echo "$out" | grep -E '^(PASS|FAIL|SKIP) '
  if [ $rc -ne 0 ] || ! echo "$out" | grep -q '^PASS ' || echo "$out" | grep -q '^FAIL '; then
    [ $rc -ne 0 ] && echo "FAIL $name: helper exited $rc: $(echo "$out" | tail -n 1)"
    status=1
  fi
done
exit $status
