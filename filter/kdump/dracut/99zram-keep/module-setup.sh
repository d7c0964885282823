#!/bin/bash
# 99zram-keep - dracut module: the vmcore-unzram filter in a kdump initramfs
# (Fedora, RHEL, CentOS Stream, openSUSE: kdump's capture initramfs is built
# by dracut, and its core_collector runs there).
#
# It installs the makedumpfile front-end (makedumpfile-zram) AS makedumpfile,
# the real makedumpfile as makedumpfile.real (where the front-end looks for
# it), and zram-keep, each with the libraries it links (dracut's inst follows
# them).  Without --zram-keep the front-end is exactly the real makedumpfile,
# so every core_collector line keeps working; with it, the dump keeps what
# vmcore-unzram needs.  In /etc/kdump.conf:
#
#   core_collector makedumpfile --zram-keep -l --message-level 7 -d 31
#   dracut_args --add zram-keep
#
# Included only when asked for (check returns 255).  See docs/kdump.md.

check() {
	require_binaries makedumpfile-zram zram-keep || return 1
	return 255
}

depends() {
	return 0
}

# The real makedumpfile: makedumpfile.real where a front-end was installed
# in its place (Debian's kdump-tools-hook), else makedumpfile itself.
real_makedumpfile() {
	local p front
	front=$(readlink -f "$(command -v makedumpfile-zram)")
	for p in $(command -v makedumpfile.real) $(command -v makedumpfile); do
		[ -n "$p" ] && [ "$(readlink -f "$p")" != "$front" ] && { readlink -f "$p"; return 0; }
	done
	return 1
}

install() {
	local real
	real=$(real_makedumpfile) || {
		derror "zram-keep: no real makedumpfile found (only the front-end)"
		return 1
	}
	inst "$real" /usr/sbin/makedumpfile.real
	# A module that ran before this one (kdumpbase) may have put the real
	# makedumpfile where the front-end goes, and inst does not overwrite.
	local d
	for d in /usr/sbin /usr/bin /sbin /bin; do
		[ -L "$initdir$d" ] && continue   # merged-/usr symlinks
		rm -f "$initdir$d/makedumpfile"
	done
	inst "$(command -v makedumpfile-zram)" /usr/sbin/makedumpfile
	inst "$(command -v makedumpfile-zram)" /usr/bin/makedumpfile-zram
	inst "$(command -v zram-keep)" /usr/bin/zram-keep
}
