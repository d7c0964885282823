#!/usr/bin/env bash
# Without /proc (a chroot, a minimal initramfs): with Debian 12's libbpf
# (< 1.4) module BTF is parsed from a file, and /proc/self/fd is not there.
# In a private mount namespace with an empty tmpfs on /proc, on the 6.12
# fixture's /proc/vmcore ELF and its makedumpfile -d 31 file, without
# debuginfo (types from the dump's BTF):
#   - --zram-info lists the same devices as with /proc;
#   - zram-keep lists the same needed pages as with /proc;
#   - when module BTF cannot be read at all (no /proc and no writable
#     TMPDIR), --zram-info and zram-keep fail and say why, instead of
#     reporting no zram (which made zram-keep keep too little).
# The sanitizer runtime reads its options and the process maps from /proc,
# so this suite runs the release build (make check builds both).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_RELEASE_BUILD:-$here/build/release}
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-noproc.XXXXXX"); trap 'rm -rf "$work"' EXIT
for b in vmcore-unzram zram-keep; do
  [ -x "$build/$b" ] || { echo "FAIL noproc-binaries: $build/$b not built"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP noproc: needs root (a private mount namespace)"; exit 0; }
if ! unshare -m sh -c 'mount -t tmpfs t /proc' 2>"$work/ns.log"; then
  echo "SKIP noproc: cannot mount over /proc in a private mount namespace here: $(head -n 1 "$work/ns.log")"
  exit 0
fi
fx=$("$here/tests/vm/fixtures" --kernel 6.12 2>"$work/fixtures.log" | tail -n 1)
[ -d "$fx" ] || { echo "FAIL noproc-fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"; exit 0; }
orig=$fx/kdump-elf.vmcore filtered=$fx/kdump-d31-zlib.vmcore

# noproc [VAR=VALUE...] CMD...: CMD with /proc hidden.
noproc() {
  unshare -m sh -c 'mount -t tmpfs t /proc && exec env "$@"' sh "$@"
}
needed() { sed -n 's/.* of \([0-9]*\) needed pages.*/\1/p' "$1"; }

"$build/vmcore-unzram" --zram-info "$orig" >"$work/info.proc" 2>&1
noproc "$build/vmcore-unzram" --zram-info "$orig" >"$work/info.noproc" 2>&1
n_dev=$(grep -c '^zram[0-9]*:' "$work/info.proc")
if [ "$n_dev" -gt 0 ] && cmp -s "$work/info.proc" "$work/info.noproc"; then
  echo "PASS noproc-zram-info: the same $n_dev devices with and without /proc"
else
  echo "FAIL noproc-zram-info: with /proc $n_dev devices; without: $(head -n 2 "$work/info.noproc" | tr '\n' ' ' | cut -c1-300)"
fi

"$build/zram-keep" "$orig" "$filtered" "$work/k1.vmcore" >"$work/keep.proc" 2>&1; rc1=$?
noproc "$build/zram-keep" "$orig" "$filtered" "$work/k2.vmcore" >"$work/keep.noproc" 2>&1; rc2=$?
n1=$(needed "$work/keep.proc") n2=$(needed "$work/keep.noproc")
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ -n "$n1" ] && [ "$n1" = "$n2" ] && cmp -s "$work/k1.vmcore" "$work/k2.vmcore"; then
  echo "PASS noproc-zram-keep: $n1 needed pages and the same output with and without /proc"
else
  echo "FAIL noproc-zram-keep: with /proc exit $rc1, $n1 needed; without: exit $rc2, ${n2:-?} needed: $(tail -n 1 "$work/keep.noproc" | cut -c1-300)"
fi
rm -f "$work"/k?.vmcore

# Module BTF unreadable: a clear failure, not "no zram".
noproc TMPDIR=/nonexistent "$build/vmcore-unzram" --zram-info "$orig" >"$work/info.broken" 2>&1; rc=$?
if [ "$rc" != 0 ] && grep -q 'zram devices cannot be read' "$work/info.broken"; then
  echo "PASS noproc-zram-info-unreadable: exit $rc: $(head -n 1 "$work/info.broken" | cut -c1-200)"
else
  echo "FAIL noproc-zram-info-unreadable: exit $rc: $(head -n 2 "$work/info.broken" | tr '\n' ' ' | cut -c1-300)"
fi
noproc TMPDIR=/nonexistent "$build/zram-keep" "$orig" "$filtered" "$work/k3.vmcore" >"$work/keep.broken" 2>&1; rc=$?
if [ "$rc" != 0 ] && [ ! -e "$work/k3.vmcore" ] && grep -q 'zram devices cannot be read' "$work/keep.broken"; then
  echo "PASS noproc-zram-keep-unreadable: exit $rc, no output: $(head -n 1 "$work/keep.broken" | cut -c1-200)"
else
  echo "FAIL noproc-zram-keep-unreadable: exit $rc: $(head -n 2 "$work/keep.broken" | tr '\n' ' ' | cut -c1-300)"
fi
exit 0
