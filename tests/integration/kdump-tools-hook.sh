#!/usr/bin/env bash
# The Debian kdump-tools hook (filter/kdump/kdump-tools-hook), end to end with
# Debian's own kdump-tools 1.8.1 scripts:
#   - a copy-on-write view of this machine's root (overlayfs in a private
#     mount namespace) gets kdump-tools unpacked from its .deb, our programs in
#     /usr/local/bin, and the hook installed with --root (real dpkg-divert on
#     that view's dpkg database);
#   - in a chroot of that view, with the fixture's real /proc/vmcore ELF
#     bind-mounted on /proc/vmcore, `kdump-config savecore` runs exactly as in
#     a capture kernel: makedumpfile -F -c -d 31 --zram-keep (through the
#     front-end), piped to /var/crash/STAMP/dump.STAMP, plus the dmesg file;
#   - vmcore-unzram (no debuginfo) on the saved dump, then drgn must read
#     every in-RAM swapped manifest page.  The 6.12 fixture is used because
#     there makedumpfile -d 31 alone loses the task list: without the hook
#     the same savecore gives a dump vmcore-unzram cannot use (checked too).
#   - `kdump-tools-hook remove` restores makedumpfile and MAKEDUMP_ARGS.
# Needs root, unshare, overlayfs, chroot and the kdump-tools .deb
# (downloaded once into the package cache); SKIPs with the reason otherwise.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${UZ_BUILD:-$here/build/asan}
# Inside the chroot /proc holds only the dump: the sanitizer runtime reads
# its options and the process maps from /proc, so the programs installed
# there are the release build (make check builds both).
chroot_build=${UZ_RELEASE_BUILD:-$here/build/release}
py=/usr/bin/python3
hook=$here/filter/kdump/kdump-tools-hook
cache=${VMCORE_UNZRAM_CACHE:-$HOME/.cache/vmcore-unzram}
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-hook.XXXXXX")
trap 'rm -rf "$work"' EXIT

for b in vmcore-unzram zram-keep makedumpfile-zram; do
  [ -x "$build/$b" ] || { echo "FAIL hook-binaries: $build/$b not built"; exit 1; }
  [ -x "$chroot_build/$b" ] || { echo "FAIL hook-binaries: $chroot_build/$b not built"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP hook: needs root (mount namespace, overlayfs, chroot)"; exit 0; }
command -v makedumpfile >/dev/null || { echo "SKIP hook: makedumpfile not installed (tools/setup.sh)"; exit 0; }
mkdir -p "$work/ov/upper" "$work/ov/work" "$work/ov/root"
if ! unshare -m sh -c "mount -t overlay overlay -o lowerdir=/,upperdir=$work/ov/upper,workdir=$work/ov/work $work/ov/root" 2>"$work/ov.log"; then
  echo "SKIP hook: cannot mount an overlay of / in a private mount namespace here: $(head -n 1 "$work/ov.log")"
  exit 0
fi

deb=$(ls "$cache"/pkgs/kdump-tools_*.deb 2>/dev/null | tail -n 1)
if [ -z "$deb" ]; then
  mkdir -p "$cache/pkgs"
  (cd "$cache/pkgs" && apt-get download kdump-tools >"$work/apt.log" 2>&1)
  deb=$(ls "$cache"/pkgs/kdump-tools_*.deb 2>/dev/null | tail -n 1)
  [ -n "$deb" ] || { echo "SKIP hook: cannot download Debian's kdump-tools: $(tail -n 1 "$work/apt.log")"; exit 0; }
fi

fx=$("$here/tests/vm/fixtures" --kernel 6.12 2>"$work/fixtures.log" | tail -n 1)
[ -d "$fx" ] || { echo "FAIL hook-fixtures: $(tail -n 3 "$work/fixtures.log" | tr '\n' ' ')"; exit 0; }

# session MODE: one savecore in a fresh copy-on-write root; MODE "hook"
# installs the hook first (and removes it after), "plain" does not.
# Leaves the saved files in $work/MODE/ and logs in $work/MODE.*.
session() {
  local mode=$1 out=$work/$1
  rm -rf "$work/ov/upper" "$work/ov/work" && mkdir -p "$work/ov/upper" "$work/ov/work" "$out"
  unshare -m bash -s "$mode" "$work" "$deb" "$chroot_build" "$hook" "$fx/kdump-elf.vmcore" >"$work/$mode.log" 2>&1 <<'SH'
set -eu
mode=$1 work=$2 deb=$3 build=$4 hook=$5 vmcore=$6
r=$work/ov/root
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/ov/upper,workdir=$work/ov/work" "$r"
# keep /lib, /bin, /sbin symlinks (merged /usr) as they are
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$r" --keep-directory-symlink
[ -e "$r/etc/default/kdump-tools" ] || cp "$r/usr/share/kdump-tools/kdump-tools.conf" "$r/etc/default/kdump-tools"
install -d "$r/usr/local/bin"
install -m 0755 "$build/vmcore-unzram" "$build/zram-keep" "$build/makedumpfile-zram" "$r/usr/local/bin/"
if [ "$mode" = hook ]; then
  "$hook" install --root "$r"
  "$hook" status --root "$r"
fi
# /proc of a capture kernel, as far as kdump-config and makedumpfile look:
# the dump, and this machine's meminfo (makedumpfile sizes its bitmap
# buffer from it; without it, it crawls) and iomem.
mount -t tmpfs tmpfs "$r/proc"
for f in vmcore meminfo iomem; do : >"$r/proc/$f"; done
mount --bind -o ro "$vmcore" "$r/proc/vmcore"
mount --bind -o ro /proc/meminfo "$r/proc/meminfo"
mount --bind -o ro /proc/iomem "$r/proc/iomem"
mount --rbind /dev "$r/dev"
rm -rf "$r/var/crash"
echo "== savecore"
timeout 600 chroot "$r" /usr/sbin/kdump-config savecore || echo "savecore exit $?"
cp -a "$r/var/crash/." "$work/$mode/"
if [ "$mode" = hook ]; then
  echo "== remove"
  "$hook" remove --root "$r"
  "$hook" status --root "$r"
  grep -E '^[[:space:]]*MAKEDUMP_ARGS=|kdump-tools-hook' "$r/etc/default/kdump-tools" || true
  cmp -s "$r/usr/share/kdump-tools/kdump-tools.conf" "$r/etc/default/kdump-tools" && echo "defaults restored"
  [ ! -L "$r/usr/bin/makedumpfile" ] && [ ! -e "$r/usr/bin/makedumpfile.real" ] && echo "makedumpfile restored"
  dpkg-divert --root "$r" --list makedumpfile | grep -q . || echo "diversion removed"
fi
SH
}

session hook
dump=$(ls "$work"/hook/*/dump.* 2>/dev/null | head -n 1)
if [ -z "$dump" ]; then
  echo "FAIL hook-savecore: kdump-config savecore saved no dump: $(grep -v '^$' "$work/hook.log" | tail -n 4 | tr '\n' ' ')"
  exit 0
fi
if grep -q 'front-end: /usr/bin/makedumpfile -> /usr/local/bin/makedumpfile-zram' "$work/hook.log" &&
   grep -q 'MAKEDUMP_ARGS: .*--zram-keep' "$work/hook.log"; then
  echo "PASS hook-install: $(grep '^front-end' "$work/hook.log" | head -n 1); $(grep '^MAKEDUMP_ARGS' "$work/hook.log" | head -n 1)"
else
  echo "FAIL hook-install: $(grep -v '^$' "$work/hook.log" | head -n 6 | tr '\n' ' ')"
fi
if grep -q 'zram-keep: .* needed pages' "$work/hook.log" && ! grep -q 'zram-keep failed' "$work/hook.log"; then
  echo "PASS hook-zram-keep: $(grep -o 'zram-keep: .* needed pages[^;]*' "$work/hook.log" | head -n 1)"
else
  echo "FAIL hook-zram-keep: $(grep -E 'zram-keep' "$work/hook.log" | tail -n 2 | tr '\n' ' ' | cut -c1-300)"
fi
dmesg_file=$(ls "$work"/hook/*/dmesg.* 2>/dev/null | head -n 1)
[ -s "$dmesg_file" ] && echo "PASS hook-dmesg: kdump-config's makedumpfile --dump-dmesg went through the front-end ($(wc -c <"$dmesg_file") bytes)" \
                     || echo "FAIL hook-dmesg: no dmesg file saved"
if "$build/vmcore-unzram" --quiet --force "$dump" "$work/unzram" >"$work/unzram.log" 2>&1; then
  "$py" "$here/tests/vm/verify_drgn.py" "$work/unzram" "$fx" >"$work/drgn.log" 2>&1
  "$py" "$here/tests/integration/swapped_exact.py" hook-savecore "$work/drgn.log"
else
  echo "FAIL hook-savecore: vmcore-unzram on kdump-config's dump: $(tail -n 2 "$work/unzram.log" | tr '\n' ' ')"
fi
rm -f "$work/unzram"
if grep -q 'defaults restored' "$work/hook.log" && grep -q 'makedumpfile restored' "$work/hook.log" &&
   grep -q 'diversion removed' "$work/hook.log"; then
  echo "PASS hook-remove: makedumpfile, its diversion and /etc/default/kdump-tools are as the package left them"
else
  echo "FAIL hook-remove: $(sed -n '/== remove/,$p' "$work/hook.log" | tr '\n' ' ' | cut -c1-300)"
fi

# The control: the same savecore without the hook.
session plain
plain=$(ls "$work"/plain/*/dump.* 2>/dev/null | head -n 1)
if [ -z "$plain" ]; then
  echo "FAIL hook-control: savecore without the hook saved no dump: $(tail -n 3 "$work/plain.log" | tr '\n' ' ')"
elif "$build/vmcore-unzram" --quiet --force "$plain" "$work/unzram" >"$work/unzram.log" 2>&1; then
  echo "FAIL hook-control: without the hook vmcore-unzram worked too, so this test proves nothing about the hook"
else
  echo "PASS hook-control: without the hook the saved -d 31 dump is unusable: $(head -n 1 "$work/unzram.log" | cut -c1-160)"
fi
exit 0
