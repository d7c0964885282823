#!/usr/bin/env bash
# The dracut module (filter/kdump/dracut/99zram-keep), with Debian's own
# dracut in a fresh bookworm root, as on a dracut-based system:
#   - the package is installed and the module copied where dracut finds
#     modules; `dracut --add zram-keep` builds an image, and lsinitrd shows
#     the front-end as makedumpfile, the real one as makedumpfile.real,
#     zram-keep, and the libraries they link;
#   - the image's own userspace (unpacked, used as the root of a chroot with
#     /proc mounted, as the capture kernel's initramfs would be) runs the
#     documented core_collector line on the real 6.12 kdump: the dump it
#     writes keeps what vmcore-unzram needs (6.12: makedumpfile alone drops
#     the task slabs), and unmodified drgn then reads every in-RAM swapped
#     manifest page exact.
# Not done here: booting the image as a capture kernel after a panic (a
# Fedora kdump package, which Debian lacks, would supply that glue).
# The root (debootstrap minbase with dracut-core and makedumpfile) is cached
# in ${VMCORE_UNZRAM_CACHE:-~/.cache/vmcore-unzram}/roots/.  Needs root.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/vm/debian-root.sh"
release=$here/build/release
asan=${UZ_BUILD:-$here/build/asan}
py=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "SKIP dracut: needs root (chroot and overlay mounts)"; exit 0; }
for b in vmcore-unzram zram-keep makedumpfile-zram; do
  [ -x "$release/$b" ] || { echo "FAIL dracut-build: $release/$b not built (make VARIANT=release all)"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-dracut.XXXXXX")
merged=$work/root
unp=$merged/tmp/unp
cleanup() {
  for m in "$unp/proc" "$unp/fixture" "$unp/out" "$merged/proc" "$merged"; do mountpoint -q "$m" && umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
# 6.12: there makedumpfile 1.7.2's -d 31 drops the task slabs, so without
# zram-keep vmcore-unzram cannot even list the processes.
fx=$("$here/tests/vm/fixtures" --kernel 6.12 2>"$work/fx.log" | tail -n 1)
[ -d "$fx" ] || { echo "FAIL dracut-fixtures: $(tail -n 3 "$work/fx.log" | tr '\n' ' ')"; exit 1; }

uz_debian_root dracut bookworm-dracut bookworm dracut-core,makedumpfile,libbpf1,libdw1,libelf1,liblz4-1,liblzo2-2,libsnappy1v5,libzstd1,zlib1g "$work" || exit 1

# 1. the package and the module, then an image with it
deb=$(bash "$here/tools/mkdeb.sh" "$release" "$work/deb" 0.1.0 2>"$work/mkdeb.log") || {
  echo "FAIL dracut-package: $(tail -n 2 "$work/mkdeb.log" | tr '\n' ' ')"; exit 1; }
cp "$deb" "$merged/tmp/pkg.deb"
in_root dpkg -i /tmp/pkg.deb >"$work/dpkg.log" 2>&1 || { echo "FAIL dracut-package: $(tail -n 2 "$work/dpkg.log" | tr '\n' ' ')"; exit 1; }
mkdir -p "$merged/usr/lib/dracut/modules.d"
cp -r "$here/filter/kdump/dracut/99zram-keep" "$merged/usr/lib/dracut/modules.d/"
if in_root dracut --no-kernel --no-hostonly --force --no-early-microcode --add zram-keep /tmp/kdump.img \
     >"$work/dracut.log" 2>&1; then
  echo "PASS dracut-image: dracut $(in_root dpkg-query -W -f '${Version}' dracut-core) built an image with --add zram-keep ($(stat -c %s "$merged/tmp/kdump.img") bytes)"
else
  echo "FAIL dracut-image: $(grep -iE 'error|fail' "$work/dracut.log" | tail -n 3 | tr '\n' ' ')"; exit 1
fi
in_root lsinitrd /tmp/kdump.img >"$work/lsinitrd.log" 2>&1
missing=
for f in usr/sbin/makedumpfile usr/sbin/makedumpfile.real usr/bin/zram-keep usr/bin/makedumpfile-zram \
         libdw.so.1 libelf.so.1 liblz4.so.1 liblzo2.so.2 libzstd.so.1 libsnappy.so.1 libbpf.so.1 libz.so.1; do
  grep -q "$f\b" "$work/lsinitrd.log" || missing="$missing $f"
done
[ -z "$missing" ] && echo "PASS dracut-lsinitrd: the front-end as makedumpfile, the real one, zram-keep and their libraries are in the image" \
                  || echo "FAIL dracut-lsinitrd: missing:$missing"

# 2. the image's own userspace runs the collector on a real kdump
mkdir -p "$unp"
(cd "$unp" && chroot "$merged" sh -c 'cd /tmp/unp && lsinitrd --unpack /tmp/kdump.img') >"$work/unpack.log" 2>&1
if [ ! -x "$unp/usr/sbin/makedumpfile" ]; then
  echo "FAIL dracut-collector: the image did not unpack: $(tail -n 2 "$work/unpack.log" | tr '\n' ' ')"; exit 1
fi
mkdir -p "$unp/proc" "$unp/fixture" "$unp/out"
mount -t proc proc "$unp/proc"
mount --bind -o ro "$fx" "$unp/fixture"
mount --bind "$work" "$unp/out"
if chroot "$unp" /usr/sbin/makedumpfile --zram-keep -c -d 31 /fixture/kdump-elf.vmcore /out/dump.d31 \
     >"$work/collector.log" 2>&1 && grep -q 'needed pages were missing' "$work/collector.log"; then
  echo "PASS dracut-collector: 'makedumpfile --zram-keep -c -d 31' ran inside the image: $(grep -m1 'zram-keep:' "$work/collector.log" | cut -c1-160)"
else
  echo "FAIL dracut-collector: exit $?: $(tail -n 3 "$work/collector.log" | tr '\n' ' ')"; exit 1
fi
if "$asan/vmcore-unzram" --quiet "$work/dump.d31" "$work/restored" >"$work/unzram.log" 2>&1; then
  "$py" "$here/tests/vm/verify_drgn.py" "$work/restored" "$fx" >"$work/drgn.log" 2>&1
  "$py" "$here/tests/integration/swapped_exact.py" dracut-collector "$work/drgn.log"
else
  echo "FAIL dracut-collector-restore: vmcore-unzram on the image's dump: $(tail -n 2 "$work/unzram.log" | tr '\n' ' ')"
fi
