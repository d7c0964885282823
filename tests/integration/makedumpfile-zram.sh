#!/usr/bin/env bash
# makedumpfile-zram, the makedumpfile front-end with --zram-keep
# (docs/makedumpfile-zram.8), against Debian's makedumpfile 1.7.2:
#   passthrough  without --zram-keep it is the real makedumpfile: same
#                standard output, standard error and exit status (run with
#                argv[0] "makedumpfile", as when installed under that name),
#                and the same dump file;
#   refusals     --zram-keep with --split, --reassemble, --dump-dmesg,
#                --mem-usage, -R, bad arguments: a clear message, exit 2, no
#                output file (the inputs are real, so a missing refusal
#                would write one);
#   programs     MAKEDUMPFILE_REAL or ZRAM_KEEP pointing nowhere, recursion
#                through MAKEDUMPFILE_REAL: a clear error, nothing run;
#   plumbing     with a recording stand-in for zram-keep (ZRAM_KEEP): the
#                zram-keep command line, -F's stream reaching zram-keep
#                byte-identical, exit statuses of either failing step, the
#                filtered dump left intact when zram-keep fails;
#   end to end   x86_64 6.1 and 6.12 real kdumps, no debuginfo anywhere (BTF):
#                makedumpfile-zram --zram-keep -d 31 -c (in place), -E, and -F
#                (then makedumpfile -R), vmcore-unzram, then unmodified drgn
#                must read every in-RAM swapped manifest page exact.  arm64
#                6.1: the arm64 makedumpfile under qemu-user through
#                MAKEDUMPFILE_REAL (a script), debuginfo via ZRAM_KEEP_OPTS.
# Usage: makedumpfile-zram.sh [BUILD_DIR]   (default $UZ_BUILD, else build/asan)
# Sets: UZ_MDZ_SETS (default "x86_64:6.1 x86_64:6.12 arm64:6.1").
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${UZ_BUILD:-$here/build/asan}}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
fe=$build/makedumpfile-zram keep=$build/zram-keep unzram=$build/vmcore-unzram
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-mdz.XXXXXX"); trap 'rm -rf "$work"' EXIT
# The recursion guard's variable must not leak in from a caller.
unset MAKEDUMPFILE_ZRAM_ACTIVE MAKEDUMPFILE_REAL ZRAM_KEEP ZRAM_KEEP_OPTS

for b in "$fe" "$keep" "$unzram"; do
  [ -x "$b" ] || { echo "FAIL mdz-binaries: $b not built"; exit 1; }
done
real=$(command -v makedumpfile) || { echo "SKIP mdz: makedumpfile not installed (tools/setup.sh)"; exit 0; }

fx61=$("$here/tests/vm/fixtures" --kernel 6.1 2>"$work/fixtures.log" | tail -n 1)
if [ ! -d "$fx61" ]; then
  echo "FAIL mdz-fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"
  exit 0
fi
vmcore=$fx61/kdump-elf.vmcore

cd "$work" || exit 1
mkdir -p bin
ln -s "$fe" bin/makedumpfile

# run_both NAME ARGS...: the real makedumpfile and the front-end (argv[0]
# "makedumpfile") with the same arguments; everything they print must match.
run_both() {
  local name=$1; shift
  rm -rf r f; mkdir r f
  (cd r && (exec -a makedumpfile "$real" "$@") >out 2>err; echo $? >rc)
  (cd f && (exec -a makedumpfile "$fe" "$@") >out 2>err; echo $? >rc)
  local diffs=
  for x in out err rc; do cmp -s "r/$x" "f/$x" || diffs="$diffs $x"; done
  if [ -n "$diffs" ]; then
    echo "FAIL mdz-passthrough-$name: differs in$diffs (rc real $(cat r/rc), front-end $(cat f/rc); front-end stderr: $(head -c 300 f/err | tr '\n' ' '))"
  else
    echo "PASS mdz-passthrough-$name: identical output and exit status $(cat r/rc)"
  fi
}

run_both version -v
run_both help --help
run_both short-help -h
run_both no-arguments
run_both bad-option --bogus -d 31 "$vmcore" dump
run_both missing-argument -d
run_both nonexistent-input -d 31 -c /nonexistent/vmcore dump
run_both check-params --check-params -d 31 -c "$vmcore" dump
# "--zram-keep" as the value of an option is a file name, not the flag.
run_both zram-keep-as-value --work-dir --zram-keep -d 31 -c /nonexistent/vmcore dump

# The dump itself, without --zram-keep: the same file.
rm -f real.kdump fe.kdump
"$real" -d 31 -c "$vmcore" real.kdump >/dev/null 2>&1; rrc=$?
"$fe" -d 31 -c "$vmcore" fe.kdump >/dev/null 2>&1; frc=$?
if [ "$rrc" -eq 0 ] && [ "$frc" -eq 0 ] && cmp -s real.kdump fe.kdump; then
  echo "PASS mdz-passthrough-dump: -d 31 -c output identical ($(stat -c %s fe.kdump) bytes)"
else
  echo "FAIL mdz-passthrough-dump: rc real $rrc, front-end $frc, files $(cmp real.kdump fe.kdump 2>&1 | head -1)"
fi
rm -f fe.kdump

# expect_refusal NAME PATTERN OUTPUTS -- ARGS...: exit 2, PATTERN on stderr,
# none of OUTPUTS created, nothing on standard output.
expect_refusal() {
  local name=$1 pattern=$2 outputs=() ; shift 2
  while [ "$1" != -- ]; do outputs+=("$1"); shift; done; shift
  rm -rf ref; mkdir ref
  (cd ref && "$fe" "$@" >out 2>err </dev/null; echo $? >rc)
  local bad=
  [ "$(cat ref/rc)" = 2 ] || bad="exit $(cat ref/rc), expected 2;"
  grep -q -- "$pattern" ref/err || bad="$bad stderr lacks '$pattern';"
  [ -s ref/out ] && bad="$bad wrote to standard output;"
  for o in "${outputs[@]}"; do [ -e "ref/$o" ] && bad="$bad created $o;"; done
  if [ -n "$bad" ]; then
    echo "FAIL mdz-refuse-$name: $bad stderr: $(head -c 300 ref/err | tr '\n' ' ')"
  else
    echo "PASS mdz-refuse-$name: $(head -n 1 ref/err)"
  fi
}
expect_refusal split 'cannot be used with --split' d1 d2 -- --zram-keep --split -d 31 "$vmcore" d1 d2
expect_refusal reassemble 'cannot be used with --reassemble' d -- --zram-keep --reassemble ../real.kdump d
expect_refusal dump-dmesg 'cannot be used with --dump-dmesg' log -- --zram-keep --dump-dmesg "$vmcore" log
expect_refusal mem-usage 'cannot be used with --mem-usage' -- --zram-keep --mem-usage "$vmcore"
expect_refusal rearrange 'cannot be used with -R' d -- --zram-keep -R d
expect_refusal unknown-option "unknown makedumpfile option '--frobnicate'" d -- --zram-keep --frobnicate -d 31 "$vmcore" d
expect_refusal unknown-short "unknown makedumpfile option '-j'" d -- --zram-keep -cj -d 31 "$vmcore" d
expect_refusal one-operand 'needs VMCORE and DUMPFILE, got 1' -- --zram-keep -d 31 -c "$vmcore"
expect_refusal flatten-two-operands 'needs VMCORE alone with -F, got 2' d -- --zram-keep -F -d 31 "$vmcore" d
expect_refusal missing-value "option '--num-threads' requires an argument" -- --zram-keep "$vmcore" d --num-threads
# MAKEDUMPFILE_REAL naming the front-end (through a symlink called makedumpfile).
MAKEDUMPFILE_REAL=$work/bin/makedumpfile expect_refusal real-is-self 'is this front-end itself' d -- --zram-keep -d 31 "$vmcore" d

# expect_error NAME RC PATTERN -- ARGS... (environment from the caller)
expect_error() {
  local name=$1 want=$2 pattern=$3; shift 4
  rm -rf ref; mkdir ref
  (cd ref && "$fe" "$@" >out 2>err </dev/null; echo $? >rc)
  local bad=
  [ "$(cat ref/rc)" = "$want" ] || bad="exit $(cat ref/rc), expected $want;"
  grep -q -- "$pattern" ref/err || bad="$bad stderr lacks '$pattern';"
  [ -e ref/d ] && bad="$bad created the dump;"
  if [ -n "$bad" ]; then
    echo "FAIL mdz-$name: $bad stderr: $(head -c 300 ref/err | tr '\n' ' ')"
  else
    echo "PASS mdz-$name: $(head -n 1 ref/err)"
  fi
}
MAKEDUMPFILE_REAL=$work/nowhere expect_error real-missing 127 'MAKEDUMPFILE_REAL=.*nowhere is not an executable' -- --zram-keep -d 31 "$vmcore" d
MAKEDUMPFILE_REAL=$work/nowhere expect_error real-missing-passthrough 127 'MAKEDUMPFILE_REAL=.*nowhere is not an executable' -- -d 31 "$vmcore" d
# No zram-keep: a dump without the zram pages beats no dump (kdump-tools
# cannot tell an empty -F stream from a failure): the plain makedumpfile
# runs, with a warning, and writes exactly what it writes alone.
rm -rf ref; mkdir ref
(cd ref && ZRAM_KEEP=$work/nowhere "$fe" --zram-keep -d 31 -c "$vmcore" d >out 2>err </dev/null; echo $? >rc)
(cd ref && makedumpfile -d 31 -c "$vmcore" plain >/dev/null 2>&1)
if [ "$(cat ref/rc)" = 0 ] && grep -q 'running makedumpfile without --zram-keep' ref/err && cmp -s ref/d ref/plain; then
  echo "PASS mdz-zram-keep-missing: plain makedumpfile output, identical, with: $(grep -o 'warning: .*nowhere is not an executable file' ref/err)"
else
  echo "FAIL mdz-zram-keep-missing: exit $(cat ref/rc), identical: $(cmp -s ref/d ref/plain && echo yes || echo no): $(head -c 300 ref/err | tr '\n' ' ')"
fi
printf '#!/bin/sh\nexec "%s" "$@"\n' "$fe" >loop.sh; chmod +x loop.sh
MAKEDUMPFILE_REAL=$work/loop.sh expect_error recursion 127 'started by itself' -- --zram-keep -d 31 "$vmcore" d
MAKEDUMPFILE_REAL=$work/loop.sh expect_error recursion-passthrough 127 'started by itself' -- -v

# ---- plumbing, with a recording stand-in for zram-keep -------------------
# fake-keep writes its arguments (one a line) to keep.args and its standard
# input to keep.stdin, prints "FLAT" to standard output with "- -", and
# exits with $FAKE_KEEP_RC.
cat >fake-keep <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$FAKE_KEEP_DIR/keep.args"
for last; do :; done
if [ "${last:-}" = - ]; then cat >"$FAKE_KEEP_DIR/keep.stdin"; echo FLAT; fi
exit "${FAKE_KEEP_RC:-0}"
EOF
export FAKE_KEEP_DIR=$work
chmod +x fake-keep

# plumb NAME EXPECT_RC EXPECT_ARGS ARGS...: EXPECT_ARGS is keep.args joined by '|'.
plumb() {
  local name=$1 want_rc=$2 want_args=$3; shift 3
  rm -f keep.args keep.stdin d out err
  ZRAM_KEEP=$work/fake-keep "$fe" "$@" >out 2>err; local rc=$?
  local args; args=$(tr '\n' '|' 2>/dev/null <keep.args); args=${args%|}
  local bad=
  [ "$rc" = "$want_rc" ] || bad="exit $rc, expected $want_rc;"
  [ "$args" = "$want_args" ] || bad="$bad zram-keep got '$args', expected '$want_args';"
  echo "$bad"
}
check() { # NAME BAD-TEXT OK-TEXT
  if [ -n "$2" ]; then echo "FAIL mdz-$1: $2 stderr: $(tail -c 300 err | tr '\n' ' ')"; else echo "PASS mdz-$1: $3"; fi
}

bad=$(plumb in-place 0 "--|$vmcore|d" --zram-keep -d 31 -c "$vmcore" d)
cmp -s d real.kdump || bad="$bad DUMPFILE differs from makedumpfile's own;"
check plumb-in-place "$bad" "zram-keep -- VMCORE DUMPFILE after makedumpfile wrote the same DUMPFILE"

bad=$(plumb options-anywhere 0 "--|$vmcore|d" -d31 "$vmcore" --zram-keep -c d --num-threads=2 --message-level 7)
check plumb-options-anywhere "$bad" "options and operands in any order, -dN, --opt=V"

bad=$(ZRAM_KEEP_OPTS=" --report r.json   -d dbg " plumb quiet-and-opts 0 "--quiet|--report|r.json|-d|dbg|--|$vmcore|d" \
        --zram-keep --message-level 4 -d 31 -c "$vmcore" d)
check plumb-quiet-and-opts "$bad" "--message-level without common messages gives --quiet; ZRAM_KEEP_OPTS forwarded"

bad=$(FAKE_KEEP_RC=5 plumb keep-fails 5 "--|$vmcore|d" --zram-keep -d 31 -c "$vmcore" d)
grep -q 'zram-keep failed (exit status 5); the filtered dump d was left as makedumpfile wrote it' err || bad="$bad no clear message;"
cmp -s d real.kdump || bad="$bad DUMPFILE not left intact;"
check plumb-keep-fails "$bad" "zram-keep's exit status 5, DUMPFILE intact: $(grep makedumpfile-zram err)"

rm -f keep.args
ZRAM_KEEP=$work/fake-keep "$fe" --zram-keep -d 31 -c /nonexistent/vmcore d >out 2>err; rc=$?
"$real" -d 31 -c /nonexistent/vmcore d2 >/dev/null 2>&1; rrc=$?
bad=
[ "$rc" = "$rrc" ] && [ "$rc" != 0 ] || bad="exit $rc, real makedumpfile's $rrc;"
[ -e keep.args ] && bad="$bad zram-keep was run;"
grep -q makedumpfile-zram err && bad="$bad the front-end added a message;"
check plumb-real-fails "$bad" "the real makedumpfile's exit status $rc, zram-keep not run"

"$real" -F -d 31 -c "$vmcore" >real.flat 2>/dev/null
bad=$(plumb flatten 0 "--|$vmcore|-|-" --zram-keep -F -d 31 -c "$vmcore")
cmp -s keep.stdin real.flat || bad="$bad zram-keep's standard input differs from makedumpfile -F's output;"
[ "$(cat out)" = FLAT ] || bad="$bad standard output is not zram-keep's;"
check plumb-flatten "$bad" "zram-keep -- VMCORE - - read makedumpfile -F's $(stat -c %s real.flat)-byte stream; its output is ours"

bad=$(FAKE_KEEP_RC=6 plumb flatten-keep-fails 6 "--|$vmcore|-|-" --zram-keep -F -d 31 -c "$vmcore")
grep -q 'zram-keep failed (exit status 6)' err || bad="$bad no clear message;"
check plumb-flatten-keep-fails "$bad" "-F: zram-keep's exit status 6: $(grep makedumpfile-zram err)"

# -F where makedumpfile fails: its status, whatever zram-keep does.
rm -f keep.args
ZRAM_KEEP=$work/fake-keep "$fe" --zram-keep -F -d 31 -c /nonexistent/vmcore >out 2>err; rc=$?
"$real" -F -d 31 -c /nonexistent/vmcore >/dev/null 2>&1; rrc=$?
[ "$rc" = "$rrc" ] && [ "$rc" != 0 ] && bad= || bad="exit $rc, real makedumpfile's $rrc;"
check plumb-flatten-real-fails "$bad" "-F: the real makedumpfile's exit status $rc"

# --dry-run and --help with --zram-keep: the real makedumpfile alone.
bad=$(plumb dry-run 0 "" --zram-keep --dry-run -d 31 -c "$vmcore" d)
[ -e d ] && bad="$bad a dump was written;"
check plumb-dry-run "$bad" "--dry-run runs makedumpfile only"
rm -f real.flat

# --check-params with --zram-keep: both programs found, then makedumpfile's verdict.
bad=$(plumb check-params 0 "" --zram-keep --check-params -d 31 -c "$vmcore" d)
[ -e d ] && bad="$bad a dump was written;"
check plumb-check-params "$bad" "--check-params: makedumpfile's verdict, zram-keep not run"
ZRAM_KEEP=$work/nowhere expect_error check-params-no-zram-keep 127 'ZRAM_KEEP=.*nowhere is not an executable' -- --zram-keep --check-params -d 31 -c "$vmcore" d

# ---- end to end on the real-kdump fixtures, no debuginfo (BTF) ------------

# check_drgn NAME DUMP FIXTURE: every in-RAM swapped manifest page exact.
check_drgn() {
  local name=$1 dump=$2 fx=$3
  "$here/tests/vm/verify" "$dump" --fixture "$fx" --oracle drgn >drgn.log 2>&1
  "$py" "$here/tests/integration/swapped_exact.py" "$name" drgn.log
}

# unzram_and_check NAME DUMP FIXTURE [DEBUGINFO-OPTION]...
unzram_and_check() {
  local name=$1 dump=$2 fx=$3; shift 3
  if ! "$unzram" --quiet --force "$@" "$dump" unzram.out >unzram.log 2>&1; then
    echo "FAIL $name-unzram: $(tail -n 3 unzram.log | tr '\n' ' ')"
    return
  fi
  check_drgn "$name" unzram.out "$fx"
  rm -f unzram.out
}

# The arm64 makedumpfile 1.7.2 under qemu-user, from the staging tree the
# arm64 fixtures are built with (tests/vm/lib.sh, uz_foreign_userland).
arm64_root=${VMCORE_UNZRAM_CACHE:-$HOME/.cache/vmcore-unzram}/userland/arm64/root
printf '#!/bin/sh\nexec qemu-aarch64 -L "%s" "%s/usr/bin/makedumpfile" "$@"\n' "$arm64_root" "$arm64_root" >mdf-arm64
chmod +x mdf-arm64

for set in ${UZ_MDZ_SETS:-x86_64:6.1 x86_64:6.12 arm64:6.1}; do
  IFS=: read -r arch kver <<<"$set"
  # --num-threads on one kernel only: makedumpfile 1.7.2 takes ~13 s with 2
  # threads on this fixture against 1.5 s without (the machine has 2 cores).
  tag=$kver real_env=() debuginfo=() variants="kdump elf flat" threads=()
  [ "$kver" = 6.1 ] && threads=(--num-threads 2)
  if [ "$arch" != x86_64 ]; then
    # No threads: the staging tree lacks libgcc_s.so.1, which glibc loads at
    # run time for pthread_exit, so the arm64 makedumpfile aborts with them.
    tag=$arch-$kver variants="kdump flat" threads=()
    if ! command -v qemu-aarch64 >/dev/null; then
      echo "SKIP mdz-$tag: qemu-aarch64 not installed (qemu-user, tools/setup.sh)"; continue
    fi
    if [ ! -x "$arm64_root/usr/bin/makedumpfile" ]; then
      echo "SKIP mdz-$tag: no arm64 makedumpfile under $arm64_root (built with the arm64 fixtures)"; continue
    fi
    real_env=(MAKEDUMPFILE_REAL="$work/mdf-arm64")
  fi
  if ! fx=$("$here/tests/vm/fixtures" --arch "$arch" --kernel "$kver" 2>fixtures.log | tail -n 1) || [ ! -d "$fx" ]; then
    echo "FAIL mdz-$tag-fixtures: $(tail -n 3 fixtures.log | tr '\n' ' ')"
    continue
  fi
  if [ "$arch" = arm64 ] && [ "$kver" = 6.1 ]; then
    # Debian's arm64 6.1 has no CONFIG_KALLSYMS_ALL, so its BTF cannot be
    # located without debuginfo (docs/btf-provider.md): give it to both.
    debuginfo=(--vmlinux "$fx/vmlinux" -d "$fx/debug-modules")
  fi
  # zram-keep's report says what it added (through ZRAM_KEEP_OPTS as well).
  real_env+=(ZRAM_KEEP_OPTS="${debuginfo[*]} --report $work/keep.json")
  orig=$fx/kdump-elf.vmcore
  if [ "$tag" = 6.12 ]; then
    # Control: the same dump without --zram-keep.  makedumpfile 1.7.2 -d 31
    # drops 6.12 slab pages vmcore-unzram needs (docs/filtering.md), so
    # there vmcore-unzram must stop, or drgn must find in-RAM pages it cannot
    # read exact.  A -d 31 dump that loses nothing leaves the checks below
    # unable to show zram-keep's part: that fails too.
    rm -f plain.dump
    "$fe" -d 31 -c "$orig" plain.dump >/dev/null 2>&1
    if "$unzram" --quiet --force plain.dump plain.out >plain.log 2>&1; then
      check_drgn "mdz-$tag-control" plain.out "$fx" >control.log
      if grep -q '^FAIL' control.log; then
        echo "PASS mdz-$tag-control: without --zram-keep drgn cannot read every in-RAM page: $(cut -c1-200 control.log)"
      else
        echo "FAIL mdz-$tag-control: without --zram-keep every in-RAM page reads exact, so this fixture cannot show what zram-keep adds: $(cut -c1-200 control.log)"
      fi
    elif grep -q 'excluded from the dump' plain.log; then
      echo "PASS mdz-$tag-control: without --zram-keep, vmcore-unzram stops: $(head -c 160 plain.log)"
    else
      echo "FAIL mdz-$tag-control: vmcore-unzram failed otherwise: $(tail -n 2 plain.log | tr '\n' ' ')"
    fi
    rm -f plain.dump plain.out
  fi
  for variant in $variants; do
    name=mdz-$tag-$variant
    rm -f out.dump out.flat re.dump keep.json
    start=$(date +%s%N)
    case $variant in
      kdump) env "${real_env[@]}" "$fe" --zram-keep -d 31 -c "${threads[@]}" "$orig" out.dump >run.log 2>&1 ;;
      elf) env "${real_env[@]}" "$fe" --zram-keep -E -d 31 "$orig" out.dump >run.log 2>&1 ;;
      flat) env "${real_env[@]}" "$fe" --zram-keep -F -d 31 -c "$orig" >out.flat 2>run.log ;;
    esac
    rc=$?
    secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    if [ "$rc" -ne 0 ]; then
      echo "FAIL $name: exit $rc: $(grep -v '^\s*$' run.log | grep -v 'Copying data\|Checking for\|Excluding' | tail -n 4 | tr '\n' ' ')"
      continue
    fi
    if [ "$variant" = flat ]; then
      if ! "$real" -R re.dump <out.flat >rearrange.log 2>&1; then
        echo "FAIL $name-rearrange: makedumpfile -R: $(tail -n 3 rearrange.log | tr '\n' ' ')"
        continue
      fi
      rm -f out.flat
      mv re.dump out.dump
    fi
    kept=$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["kept"], "of", r["needed"], "needed pages kept", {k: v["kept"] for k, v in r["by_category"].items() if v["kept"]})' keep.json 2>&1)
    # makedumpfile 1.7.2 -E leaves short runs of excluded pages in the ELF
    # (measured: every needed page is still there), so there 0 is right.
    case $variant:$kept in
      elf:0\ of*) echo "PASS $name: makedumpfile-zram --zram-keep ($variant) in ${secs}s, $(stat -c %s out.dump) bytes, $kept (makedumpfile -E kept them all)" ;;
      *:0\ of*) echo "FAIL $name: zram-keep kept nothing (the -d 31 dump of this fixture always lacked swap-cache pages): $kept" ;;
      *:[1-9]*) echo "PASS $name: makedumpfile-zram --zram-keep ($variant) in ${secs}s, $(stat -c %s out.dump) bytes, $kept" ;;
      *) echo "FAIL $name: no zram-keep report: $kept" ;;
    esac
    unzram_and_check "$name" out.dump "$fx" "${debuginfo[@]}"
    rm -f out.dump
  done
done
exit 0
