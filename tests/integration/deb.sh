#!/usr/bin/env bash
# The Debian package (make deb, tools/mkdeb.sh), installed and removed in a
# fresh Debian bookworm root the way a user does it:
#   - lintian reports nothing (the one override is explained in mkdeb.sh);
#   - dpkg -i installs it beside Debian's own kdump-tools and makedumpfile,
#     every program runs there and reads a real fixture (--zram-info);
#   - `kdump-tools-hook install` (the one documented command) enables the
#     hook; removing the package undoes it (the real makedumpfile back, no
#     diversion left, /etc/default/kdump-tools as before) and purging leaves
#     none of the package's files.
# The root is debootstrap --variant=minbase of bookworm with kdump-tools and
# the libraries the package links, cached once in
# ${VMCORE_UNZRAM_CACHE:-~/.cache/vmcore-unzram}/roots/ (about 90 s), used
# through a throw-away overlay.  Needs root (CI runs as root).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/vm/debian-root.sh"
release=$here/build/release
[ "$(id -u)" -eq 0 ] || { echo "SKIP deb: needs root (chroot and overlay mounts)"; exit 0; }
for b in vmcore-unzram zram-keep makedumpfile-zram; do
  [ -x "$release/$b" ] || { echo "FAIL deb-build: $release/$b not built (make VARIANT=release all)"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/uz-deb.XXXXXX")
merged=$work/root
cleanup() {
  for m in "$merged/fixture" "$merged/proc" "$merged"; do mountpoint -q "$m" && umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

# 1. the package and lintian
if ! deb=$(bash "$here/tools/mkdeb.sh" "$release" "$work/deb" 0.1.0 2>"$work/mkdeb.log"); then
  echo "FAIL deb-build: $(tail -n 3 "$work/mkdeb.log" | tr '\n' ' ')"; exit 1
fi
echo "PASS deb-build: $(basename "$deb"), $(stat -c %s "$deb") bytes; Depends: $(dpkg-deb -f "$deb" Depends | cut -c1-160)"
if command -v lintian >/dev/null; then
  lintian -I "$deb" 2>&1 | grep -v 'running with root privileges' >"$work/lintian.log"
  if [ -s "$work/lintian.log" ]; then
    echo "FAIL deb-lintian: $(head -n 5 "$work/lintian.log" | tr '\n' ' ')"
  else
    echo "PASS deb-lintian: no errors, warnings or notes (lintian $(lintian --version | cut -d' ' -f2))"
  fi
else
  echo "FAIL deb-lintian: lintian is not installed (tools/setup.sh installs it)"
fi

# 2. a fresh bookworm root, cached
uz_debian_root deb bookworm-kdump-tools-2 bookworm kdump-tools,makedumpfile,libbpf1,libdw1,libelf1,liblz4-1,liblzo2-2,libsnappy1v5,libzstd1,zlib1g "$work" || exit 1
cp "$deb" "$merged/tmp/pkg.deb"
cp "$merged/etc/default/kdump-tools" "$work/kdump-tools.before"

# 3. install, run
if in_root dpkg -i /tmp/pkg.deb >"$work/dpkg.log" 2>&1; then
  echo "PASS deb-install: dpkg -i in a fresh bookworm root with kdump-tools $(in_root dpkg-query -W -f '${Version}' kdump-tools)"
else
  echo "FAIL deb-install: $(tail -n 3 "$work/dpkg.log" | tr '\n' ' ')"; exit 1
fi
ok=1
for cmd in "vmcore-unzram --version" "zram-keep --version" "makedumpfile-zram --version" "kdump-tools-hook --help"; do
  # shellcheck disable=SC2086
  in_root $cmd >"$work/run.log" 2>&1 || { ok=0; echo "FAIL deb-run: $cmd: $(tail -n 2 "$work/run.log" | tr '\n' ' ')"; }
done
for m in vmcore-unzram zram-keep makedumpfile-zram kdump-tools-hook; do
  [ -e "$merged/usr/share/man/man8/$m.8.gz" ] || { ok=0; echo "FAIL deb-run: no man page $m.8"; }
done
[ $ok = 1 ] && echo "PASS deb-run: every program runs from the package; man pages for all four"
fx=$("$here/tests/vm/fixtures" --kernel 6.1 2>/dev/null | tail -n 1)
if [ -d "$fx" ]; then
  mkdir -p "$merged/fixture"; mount --bind -o ro "$fx" "$merged/fixture"
  if in_root vmcore-unzram --zram-info /fixture/kdump-elf.vmcore >"$work/info.log" 2>&1; then
    echo "PASS deb-reads-a-dump: the installed vmcore-unzram reads the 6.1 fixture's zram ($(grep -c '^zram' "$work/info.log") devices)"
  else
    echo "FAIL deb-reads-a-dump: $(tail -n 2 "$work/info.log" | tr '\n' ' ')"
  fi
  umount -l "$merged/fixture"
fi

# 4. the hook: one command on, package removal off
if in_root kdump-tools-hook install >"$work/hook.log" 2>&1 && [ -L "$merged/usr/bin/makedumpfile" ] &&
   grep -q -- '--zram-keep' "$merged/etc/default/kdump-tools"; then
  echo "PASS deb-hook-install: $(in_root kdump-tools-hook status | tr '\n' ' ' | cut -c1-200)"
else
  echo "FAIL deb-hook-install: $(tail -n 3 "$work/hook.log" | tr '\n' ' ')"
fi
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }')
if in_root dpkg -r vmcore-unzram >"$work/remove.log" 2>&1 && [ ! -L "$merged/usr/bin/makedumpfile" ] &&
   [ -x "$merged/usr/bin/makedumpfile" ] && ! in_root dpkg-divert --list | grep -q makedumpfile &&
   cmp -s "$work/kdump-tools.before" "$merged/etc/default/kdump-tools"; then
  echo "PASS deb-remove-undoes-hook: the real makedumpfile is back, no diversion, /etc/default/kdump-tools as before"
else
  echo "FAIL deb-remove-undoes-hook: $(tail -n 3 "$work/remove.log" | tr '\n' ' '); makedumpfile: $(ls -l "$merged/usr/bin/makedumpfile"* 2>&1 | tr '\n' ' ')"
fi
left=
in_root dpkg -P vmcore-unzram >"$work/purge.log" 2>&1 || left="dpkg -P failed: $(tail -n 2 "$work/purge.log" | tr '\n' ' ')"
for f in $files; do [ -e "$merged$f" ] && left="$left $f"; done
[ -z "$left" ] && echo "PASS deb-purge: none of the package's $(echo "$files" | wc -w) files is left" \
               || echo "FAIL deb-purge: left behind:$left"
