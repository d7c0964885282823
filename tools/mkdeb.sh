#!/usr/bin/env bash
# mkdeb.sh BUILD OUTDIR VERSION - build the vmcore-unzram Debian package from
# a release build (make deb).  Binary package only, built with dpkg-deb from
# a staged `make install` tree; Depends from dpkg-shlibdeps on the binaries.
# Writes OUTDIR/vmcore-unzram_VERSION-1_ARCH.deb and prints its path.
set -euo pipefail
build=$1 outdir=$2 version=$3
here=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
pkgver=$version-1
# Who builds the package (DEBFULLNAME/DEBEMAIL as for dch); the project has no
# maintainer address yet, so the default is a placeholder domain.
maintainer="${DEBFULLNAME:-vmcore-unzram developers} <${DEBEMAIL:-vmcore-unzram@example.org}>"
stage=$outdir/stage
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$outdir"
make -C "$here" --no-print-directory VARIANT=release install DESTDIR="$stage" PREFIX=/usr >/dev/null
# Debian policy: man pages compressed, binaries stripped, docs in /usr/share/doc.
gzip -9n "$stage"/usr/share/man/man8/*.8
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage"/usr/bin/*
doc=$stage/usr/share/doc/vmcore-unzram
install -d "$doc"
install -m 0644 "$here/README.md" "$doc/README.md"
gzip -9n "$doc/README.md"
cat >"$doc/copyright" <<'COPYRIGHT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vmcore-unzram
Comment: Built from the vmcore-unzram source tree with `make deb`.
 The project has not chosen its license yet; until it does, this package is
 for testing and internal use.

Files: *
Copyright: 2026 the vmcore-unzram developers
License: unspecified
 The project's repository will name the license.
COPYRIGHT
{
  echo "vmcore-unzram ($pkgver) unstable; urgency=medium"
  echo
  echo "  * Package built from the source tree (make deb)."
  echo
  echo " -- $maintainer  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n >"$doc/changelog.Debian.gz"

# Not an upload to Debian's archive: there is no ITP bug to close.
install -d "$stage/usr/share/lintian/overrides"
printf '%s\n' "# built from the source tree with make deb, not uploaded to Debian: no ITP bug to close" \
	"vmcore-unzram: initial-upload-closes-no-bugs" >"$stage/usr/share/lintian/overrides/vmcore-unzram"

# Depends: what the binaries link, as dpkg-shlibdeps says.
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debian"
printf 'Source: vmcore-unzram\n\nPackage: vmcore-unzram\nArchitecture: any\n' >"$tmp/debian/control"
abs_bins=()
for b in "$stage"/usr/bin/*; do abs_bins+=("$(cd "$(dirname "$b")" && pwd)/$(basename "$b")"); done
depends=$(cd "$tmp" && dpkg-shlibdeps -O -e"${abs_bins[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

cat >"$stage/DEBIAN/control" <<CONTROL
Package: vmcore-unzram
Version: $pkgver
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: crash | python3-drgn
Suggests: kdump-tools, makedumpfile
Section: utils
Priority: optional
Description: make zram-swapped user pages readable in Linux crash dumps
 In a kernel crash dump, user pages that Linux swapped to zram are still in
 RAM, compressed, but the processes' page tables hold swap entries, so crash,
 drgn and gdb report them as not mapped.  vmcore-unzram decompresses them,
 appends them to the dump as new physical pages and rewrites the page-table
 entries to map them, so that unmodified debuggers read them; every rewrite
 is recorded and can be verified.
 .
 zram-keep and the makedumpfile-zram front-end keep the pages it needs in
 dumps that makedumpfile filters (-d 31); kdump-tools-hook enables the
 front-end for Debian's kdump-tools ("kdump-tools-hook install").  Restoring
 pages puts user memory back into a dump; limit it with --pid or --comm.
CONTROL

# Removing the package must not leave kdump-tools pointing at a front-end
# that is gone: undo the hook first (it restores the real makedumpfile and
# the MAKEDUMP_ARGS line it changed).
cat >"$stage/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
case "$1" in
remove|deconfigure)
	if command -v kdump-tools-hook >/dev/null && command -v kdump-config >/dev/null &&
	   kdump-tools-hook status 2>/dev/null | grep -q '^front-end: .* -> '; then
		kdump-tools-hook remove
	fi
	;;
esac
exit 0
PRERM
chmod 0755 "$stage/DEBIAN/prerm"
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k2 >DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
deb=$outdir/vmcore-unzram_${pkgver}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb"
