#!/usr/bin/env bash
# vmcore-unzram command-line behaviour: help, version, argument errors, exit
# codes, and bad input (never a crash, never a changed input, never an OUT).
set -u
bin=${UZ_BUILD:-build/asan}/vmcore-unzram
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

check() { # check NAME EXPECTED_RC CMD...; output in $tmp/out
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>&1; local rc=$?
  if [ "$rc" -eq "$want" ]; then echo "PASS $name"; return 0; fi
  echo "FAIL $name: exit $rc, expected $want: $(head -c 300 "$tmp/out")"; return 1
}
one_line_error() { # the error is exactly one line starting with the program name
  local name=$1
  if [ "$(wc -l <"$tmp/out")" -eq 1 ] && grep -q '^vmcore-unzram: ' "$tmp/out"; then echo "PASS $name"
  else echo "FAIL $name: expected one line 'vmcore-unzram: ...', got: $(head -c 300 "$tmp/out")"; fi
}

if [ ! -x "$bin" ]; then echo "FAIL cli-binary: $bin not built"; exit 1; fi

check help 0 "$bin" --help && grep -q '^Usage: vmcore-unzram' "$tmp/out" || echo "FAIL help-text: no usage line"
check version 0 "$bin" --version && grep -qE '^vmcore-unzram [0-9]+\.[0-9]+' "$tmp/out" || echo "FAIL version-text"
check no-arguments 2 "$bin"
one_line_error no-arguments-message
check bad-format 2 "$bin" --format=xml a b
grep -q "unknown format 'xml'" "$tmp/out" && echo "PASS bad-format-message" || echo "FAIL bad-format-message: $(cat "$tmp/out")"
check bad-jobs 2 "$bin" -j 0 a b
check unknown-option 2 "$bin" --no-such-option a b
check same-in-out 2 "$bin" x x
check missing-input 3 "$bin" "$tmp/does-not-exist" "$tmp/out.vmcore"
one_line_error missing-input-message
grep -q 'does-not-exist' "$tmp/out" && echo "PASS missing-input-names-file" || echo "FAIL missing-input-names-file: $(cat "$tmp/out")"

# Garbage and truncated inputs: exit 4 (corrupt input), input unchanged, no OUT.
head -c 100000 /dev/urandom >"$tmp/garbage"
printf '\177ELF\002\001\001' >"$tmp/truncated-elf"
for f in garbage truncated-elf; do
  sum=$(sha256sum <"$tmp/$f")
  check "bad-input-$f" 4 "$bin" "$tmp/$f" "$tmp/$f.out"
  one_line_error "bad-input-$f-message"
  [ "$(sha256sum <"$tmp/$f")" = "$sum" ] && echo "PASS bad-input-$f-unchanged" || echo "FAIL bad-input-$f-unchanged: input modified"
  if [ ! -e "$tmp/$f.out" ] && ! ls -a "$tmp" | grep -q 'vmcore-unzram-spill\|\.tmp'; then
    echo "PASS bad-input-$f-no-output"
  else
    echo "FAIL bad-input-$f-no-output: $(ls -a "$tmp")"
  fi
done
exit 0
