#!/usr/bin/env bash
# The command line a makedumpfile or crash user meets (issue 19), on the real
# x86_64 6.1 fixture: each item is one check that fails when the behaviour
# goes away.  Exit codes as documented in vmcore-unzram(8).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
bin=$build/vmcore-unzram fe=$build/makedumpfile-zram
for b in "$bin" "$fe"; do [ -x "$b" ] || { echo "FAIL cli-trust-binary: $b not built"; exit 1; }; done
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-cli.XXXXXX"); trap 'rm -rf "$work"' EXIT
if ! fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>"$work/fx.log" | tail -n 1) || [ ! -d "$fx" ]; then
  echo "FAIL cli-trust-fixtures: $(tail -n 3 "$work/fx.log" | tr '\n' ' ')"; exit 1
fi
kd=$fx/kdump-d31-zlib.vmcore elf=$fx/kdump-elf.vmcore
dbg=(--vmlinux "$fx/vmlinux" -d "$fx/debug-modules")

# expect NAME RC PATTERN CMD...: exit status RC, stderr+stdout matching PATTERN,
# and no output file $work/out left behind unless RC is 0 or 8.
expect() {
  local name=$1 want=$2 pattern=$3; shift 3
  rm -f "$work/out"
  "$@" >"$work/log" 2>&1
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL cli-$name: exit $rc, want $want: $(tail -n 2 "$work/log" | tr '\n' ' ' | cut -c1-300)"
  elif ! grep -qE -- "$pattern" "$work/log"; then
    echo "FAIL cli-$name: output does not match /$pattern/: $(tail -n 2 "$work/log" | tr '\n' ' ' | cut -c1-300)"
  elif [ "$want" -ne 0 ] && [ "$want" -ne 8 ] && [ -e "$work/out" ]; then
    echo "FAIL cli-$name: exit $rc but an output file was written"
  else
    echo "PASS cli-$name: exit $rc: $(grep -E -m1 -- "$pattern" "$work/log" | cut -c1-200)"
  fi
}

# 1. makedumpfile's -d LEVEL is not taken for a directory; -v exists
expect dump-level-d 2 "not makedumpfile's dump level" "$bin" -d 31 "$kd" "$work/out"
expect verbose 0 "kernel_open .* s wall" "$bin" -v "$kd" "$work/out"
expect quiet-verbose 2 "contradict" "$bin" -q -v "$kd" "$work/out"
# 3. filters that match nothing are refused before any output; -p counts
expect no-such-pid 6 "no process of the dump matches --pid" "$bin" -p 99999 "$kd" "$work/out"
expect no-such-comm 6 "no process of the dump matches --comm" "$bin" --comm nosuch "$kd" "$work/out"
pid=$(awk -F'\t' 'NR > 1 && $3 ~ /^[0-9]+$/ { print $3; exit }' "$fx/manifest.tsv")
expect one-pid 0 "\(1 process," "$bin" -p "$pid" "$kd" "$work/out"
# 4. contradictions
expect elf-with-compress 2 "not to --format=elf" "$bin" -f elf -c zlib "$kd" "$work/out"
expect json-in-rewrite 2 "--json is for the inspection" "$bin" --json "$kd" "$work/out"
expect json-in-verify 2 "--json is for the inspection" "$bin" --verify --json "$kd" "$work/out"
expect pid-in-verify 2 "do not apply here" "$bin" --verify -p 1 "$kd" "$work/out"
# 4b. an existing OUT is not replaced without --force (as makedumpfile refuses)
echo keep >"$work/existing"
expect exists-refused 2 "exists; give --force" "$bin" -q "$kd" "$work/existing"
if [ "$(cat "$work/existing")" = keep ]; then echo "PASS cli-exists-kept: the existing file is untouched"
else echo "FAIL cli-exists-kept: the existing file was changed"; fi
expect exists-force 0 "zram swap PTEs restored" "$bin" --force "$kd" "$work/existing"
# 5. a dump on standard output: makedumpfile's flattened format, for pipes
if "$bin" -q "$kd" - >"$work/stdout.flat" 2>"$work/log" && [ "$(head -c 12 "$work/stdout.flat")" = makedumpfile ] &&
   "$bin" --verify -q "$kd" "$work/stdout.flat" >>"$work/log" 2>&1; then
  echo "PASS cli-stdout-flattened: $(stat -c %s "$work/stdout.flat") bytes of makedumpfile's flattened format; --verify passes on it"
else
  echo "FAIL cli-stdout-flattened: $(tail -n 2 "$work/log" | tr '\n' ' ')"
fi
expect stdout-terminal-report 2 "needs a file" "$bin" --report - "$kd" -
# 6. --in-place names the file once; on a kdump file it says why it rewrote
cp "$kd" "$work/inplace.kdump"
expect in-place-kdump 0 "kdump-compressed file cannot grow in place" "$bin" --in-place "$work/inplace.kdump"
expect in-place-two-files 2 "name it once" "$bin" --in-place "$kd" "$work/out"
# 7. messages name the fix; an excluded page points at zram-keep
expect written-back-slot 0 '"source":"written-back".*"backing_block"' \
  "$bin" "${dbg[@]}" --slot zram7:512 --json "$elf"
# 8. the front-end by its own name documents itself; as makedumpfile it is makedumpfile
expect frontend-help 0 "--zram-keep" "$fe" --help
expect frontend-version 0 "makedumpfile-zram \(vmcore-unzram\) [0-9]" "$fe" --version
# 9. the hook's help lists every command and exits 0
expect hook-help 0 "kdump-tools-hook status" sh "$here/filter/kdump/kdump-tools-hook" --help
expect hook-bad-command 2 "kdump-tools-hook install" sh "$here/filter/kdump/kdump-tools-hook" frobnicate
# 2. progress: a percentage and an ETA on a terminal (util-linux script gives one)
if command -v script >/dev/null 2>&1; then
  rm -f "$work/out"
  script -qec "'$bin' ${dbg[*]} --verify '$elf' '$work/none' 2>&1; '$bin' ${dbg[*]} '$elf' '$work/out'" "$work/tty.log" >/dev/null 2>&1
  if grep -qE '\[#*\.*\] +[0-9.]+ %' "$work/tty.log"; then
    echo "PASS cli-progress-terminal: $(grep -aoE '(restoring pages|writing) +\[[#.]*\] +[0-9.]+ %' "$work/tty.log" | tail -n 1)"
  else
    echo "FAIL cli-progress-terminal: no percentage bar on a terminal: $(tr -d '\r' <"$work/tty.log" | tail -n 3 | tr '\n' ' ' | cut -c1-200)"
  fi
else
  echo "SKIP cli-progress-terminal: util-linux 'script' is not installed (needed for a terminal)"
fi
