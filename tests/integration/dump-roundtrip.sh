#!/usr/bin/env bash
# The dump-format layer on real dumps, judged by the tools users have:
#   - copying with no changes gives byte-identical files (ELF and kdump);
#   - ELF -> kdump-compressed conversion: every page equal, both files read
#     through drgn (phys_equal.py; not through our reader), and
#     Debian's makedumpfile reads it (--dump-dmesg gives the same log as from
#     the original) and re-filters it (-d 31);
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-rt.XXXXXX"); trap 'rm -rf "$work"' EXIT
fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>"$work/err" | tail -n 1)
[ -d "$fx" ] || { echo "FAIL roundtrip-fixtures: could not build fixtures: $(tail -n 3 "$work/err" | tr '\n' ' ')"; exit 0; }
for f in kdump-elf kdump-d31-zlib; do
  if "$build/tests/dumpcopy" "$fx/$f.vmcore" "$work/copy" 2>"$work/err" && cmp -s "$fx/$f.vmcore" "$work/copy"; then
    echo "PASS roundtrip-copy-$f: byte-identical"
  else
    echo "FAIL roundtrip-copy-$f: $(cat "$work/err")"
  fi
  rm -f "$work/copy"
done
# ELF -> kdump (zlib), judged by makedumpfile.
if "$build/tests/dumpcopy" --format kdump --compress zlib "$fx/kdump-elf.vmcore" "$work/conv.kdump" 2>"$work/err" \
   && /usr/bin/python3 "$here/tests/integration/phys_equal.py" roundtrip-elf-to-kdump-pages \
        "$fx/kdump-elf.vmcore" "$work/conv.kdump" >"$work/cmp" 2>&1; then
  tail -n 1 "$work/cmp"
else
  echo "FAIL roundtrip-elf-to-kdump-pages: $(cat "$work/err") $(tail -n 2 "$work/cmp" 2>/dev/null | tr '\n' ' ')"
fi
makedumpfile --dump-dmesg "$fx/kdump-elf.vmcore" "$work/dmesg.orig" >/dev/null 2>&1
if makedumpfile --dump-dmesg "$work/conv.kdump" "$work/dmesg.conv" >"$work/mdf" 2>&1 && cmp -s "$work/dmesg.orig" "$work/dmesg.conv"; then
  echo "PASS roundtrip-makedumpfile-dmesg: $(wc -l <"$work/dmesg.conv") lines, same as from the original"
else
  echo "FAIL roundtrip-makedumpfile-dmesg: $(tail -n 2 "$work/mdf" | tr '\n' ' ')"
fi
if makedumpfile -d 31 -c "$work/conv.kdump" "$work/refiltered" >"$work/mdf" 2>&1; then
  echo "PASS roundtrip-makedumpfile-refilter: -d 31 of our kdump output, $(( $(stat -c %s "$work/refiltered") >> 20 )) MiB"
else
  echo "FAIL roundtrip-makedumpfile-refilter: $(tail -n 2 "$work/mdf" | tr '\n' ' ')"
fi
rm -f "$work/conv.kdump" "$work/refiltered"
exit 0
