# lib.sh - shared bash helpers of the fixture harness (sourced, not run).
#
# Owns: the kernel table (which Debian packages make "6.1" and "6.12" on each
# architecture), the cache layout, package download and the extraction of a
# kernel's boot image, modules and debug files.
# Does not own: guests, dumps or manifests (fixtures), oracles (verify).

UZ_CACHE=${VMCORE_UNZRAM_CACHE:-$HOME/.cache/vmcore-unzram}

uz_log() { echo "fixtures: $*" >&2; }
uz_die() { echo "fixtures: error: $*" >&2; exit 1; }

# uz_kernel_table KVER ARCH: sets K_RELEASE K_VERSION K_PKG K_DBG K_DEBARCH.
uz_kernel_table() {
	local kver=$1 arch=$2
	case "$arch" in
	x86_64) K_DEBARCH=amd64 ;;
	arm64 | aarch64) K_DEBARCH=arm64 ;;
	*) uz_die "unknown --arch '$arch' (x86_64|arm64)" ;;
	esac
	case "$kver" in
	6.1)
		K_RELEASE=6.1.0-50-cloud-$K_DEBARCH
		K_VERSION=6.1.176-1
		;;
	6.12)
		K_RELEASE=6.12.107+deb12-cloud-$K_DEBARCH
		K_VERSION=6.12.107-1~deb12u1
		;;
	*) uz_die "unknown --kernel '$kver' (6.1|6.12)" ;;
	esac
	K_PKG=linux-image-$K_RELEASE-unsigned
	K_DBG=linux-image-$K_RELEASE-dbg
}

# uz_enable_foreign_arch DEBARCH: lets apt download DEBARCH packages (nothing
# of that architecture is installed; downloads only).
uz_enable_foreign_arch() {
	[ "$1" = "$(dpkg --print-architecture)" ] && return 0
	dpkg --print-foreign-architectures | grep -qx "$1" && return 0
	[ "$(id -u)" = 0 ] || uz_die "$1 packages need (as root): dpkg --add-architecture $1 && apt-get update"
	uz_log "enabling $1 package downloads (dpkg --add-architecture $1; apt-get update)"
	dpkg --add-architecture "$1" && apt-get update -q > /dev/null || uz_die "cannot enable $1 packages"
}

# uz_fetch_pkg NAME VERSION DEBARCH: prints the path of the .deb in pkgs/,
# downloading it with `apt-get download` when missing.
uz_fetch_pkg() {
	local name=$1 version=$2 debarch=$3 dir=$UZ_CACHE/pkgs f
	mkdir -p "$dir"
	f=$(ls "$dir/${name}_"*"_$debarch.deb" 2> /dev/null | head -n1 || true)
	if [ -z "$f" ]; then
		uz_log "downloading $name=$version ($debarch)"
		uz_enable_foreign_arch "$debarch"
		local q=$name=$version
		[ "$debarch" = "$(dpkg --print-architecture)" ] || q=$name:$debarch=$version
		(cd "$dir" && flock "$dir/.lock" apt-get download -q -o APT::Sandbox::User=root "$q" > /dev/null) ||
			uz_die "apt-get download $q failed (apt-get update? for arm64: dpkg --add-architecture arm64)"
		f=$(ls "$dir/${name}_"*"_$debarch.deb" | head -n1)
	fi
	echo "$f"
}

# uz_modules_index DIR: "name path" for every module under DIR, name normalised to _.
uz_modules_index() {
	find "$1" -name '*.ko' -o -name '*.ko.xz' | while read -r p; do
		local b=${p##*/}
		b=${b%.xz}
		b=${b%.ko}
		echo "${b//-/_} $p"
	done
}

# uz_module_depends KO: the .modinfo "depends=" list (what `modinfo -F depends`
# prints), read directly so that kmod is not needed.
uz_module_depends() {
	local p=$1
	case "$p" in
	*.xz) xz -dc "$p" ;;
	*) cat "$p" ;;
	esac | tr '\0' '\n' | grep -a '^depends=' | head -n1 | sed 's/^depends=//'
	return "${PIPESTATUS[0]}"
}

# uz_resolve_modules INDEXFILE WANTED...: load order (dependencies first) of
# the wanted modules that exist as modules; built-in or absent ones are skipped.
uz_resolve_modules() {
	local index=$1
	shift
	local -A done_mods=()
	local order=()
	visit() {
		local m=${1//-/_} p dep
		[ -n "${done_mods[$m]:-}" ] && return 0
		done_mods[$m]=1
		p=$(awk -v m="$m" '$1 == m { print $2; exit }' "$index")
		[ -n "$p" ] || return 0
		local deps
		deps=$(uz_module_depends "$p") || uz_die "cannot read $p"
		for dep in ${deps//,/ }; do
			visit "$dep"
		done
		order+=("$m")
	}
	local w
	for w in "$@"; do visit "$w"; done
	echo "${order[@]}"
}

# uz_prepare_kernel KVER ARCH: extracts what the harness needs from the
# packages into kernels/RELEASE (once) and prints that directory.
uz_prepare_kernel() {
	local kver=$1 arch=$2
	uz_kernel_table "$kver" "$arch"
	local dest=$UZ_CACHE/kernels/$K_RELEASE
	mkdir -p "$UZ_CACHE/kernels"
	exec 8> "$UZ_CACHE/kernels/.lock-$K_RELEASE"
	flock 8
	if [ -e "$dest/.complete" ]; then
		exec 8>&-
		echo "$dest"
		return 0
	fi
	local pkg dbg tmp
	pkg=$(uz_fetch_pkg "$K_PKG" "$K_VERSION" "$K_DEBARCH")
	dbg=$(uz_fetch_pkg "$K_DBG" "$K_VERSION" "$K_DEBARCH")
	tmp=$UZ_CACHE/kernels/.tmp-$K_RELEASE-$$
	rm -rf "$tmp"
	mkdir -p "$tmp/x" "$tmp/modules" "$tmp/debug/modules"
	uz_log "extracting $K_PKG"
	dpkg-deb --fsys-tarfile "$pkg" | tar -x -C "$tmp/x" --wildcards \
		"./boot/vmlinuz-$K_RELEASE" "./boot/config-$K_RELEASE" \
		"./lib/modules/$K_RELEASE/kernel/drivers/block/*" \
		"./lib/modules/$K_RELEASE/kernel/drivers/virtio/*" \
		"./lib/modules/$K_RELEASE/kernel/drivers/firmware/*" \
		"./lib/modules/$K_RELEASE/kernel/crypto/*" \
		"./lib/modules/$K_RELEASE/kernel/lib/*" \
		"./lib/modules/$K_RELEASE/kernel/mm/*" \
		"./lib/modules/$K_RELEASE/modules.builtin" 2> /dev/null ||
		dpkg-deb --fsys-tarfile "$pkg" | tar -t > /dev/null || uz_die "cannot read $pkg"
	[ -e "$tmp/x/boot/vmlinuz-$K_RELEASE" ] || uz_die "$pkg has no boot/vmlinuz-$K_RELEASE"
	mv "$tmp/x/boot/vmlinuz-$K_RELEASE" "$tmp/vmlinuz"
	mv "$tmp/x/boot/config-$K_RELEASE" "$tmp/config"
	cp "$tmp/x/lib/modules/$K_RELEASE/modules.builtin" "$tmp/modules.builtin"
	uz_modules_index "$tmp/x/lib/modules" > "$tmp/modules.index"
	# Main guest: fw_cfg (vmcoreinfo), virtio disks, zram and every compressor.
	# 842 is listed on purpose: Debian does not build it, the guest reports that.
	uz_resolve_modules "$tmp/modules.index" qemu_fw_cfg virtio_pci virtio_mmio virtio_blk \
		zsmalloc zram lzo lzo_rle lz4 lz4hc zstd deflate 842 > "$tmp/modules.main"
	uz_resolve_modules "$tmp/modules.index" virtio_pci virtio_mmio virtio_blk > "$tmp/modules.capture"
	local m p
	for m in $(cat "$tmp/modules.main"); do
		p=$(awk -v m="$m" '$1 == m { print $2; exit }' "$tmp/modules.index")
		case "$p" in
		*.xz) xz -dc "$p" > "$tmp/modules/$m.ko" ;;
		*) cp "$p" "$tmp/modules/$m.ko" ;;
		esac
	done
	rm -rf "$tmp/x"
	uz_log "extracting debug files from $K_DBG (takes ~30 s)"
	mkdir -p "$tmp/x"
	local d=./usr/lib/debug/lib/modules/$K_RELEASE/kernel
	dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$tmp/x" --wildcards \
		"./usr/lib/debug/boot/vmlinux-$K_RELEASE" \
		"$d/drivers/block/zram/*" "$d/mm/zsmalloc.ko" "$d/crypto/lz*.ko" "$d/crypto/zstd.ko" \
		"$d/crypto/deflate.ko" "$d/lib/lz4/*" "$d/lib/lzo/*" "$d/lib/zstd/*" 2> /dev/null
	[ -e "$tmp/x/usr/lib/debug/boot/vmlinux-$K_RELEASE" ] ||
		uz_die "cannot extract debug files from $dbg"
	mv "$tmp/x/usr/lib/debug/boot/vmlinux-$K_RELEASE" "$tmp/debug/vmlinux"
	find "$tmp/x" -name '*.ko' -exec mv -t "$tmp/debug/modules" {} +
	rm -rf "$tmp/x"
	echo "$K_RELEASE" > "$tmp/release"
	touch "$tmp/.complete"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	exec 8>&-
	echo "$dest"
}

# uz_copy_with_libs ROOT BINARY...: copies dynamically linked binaries and
# their libraries (as ldd resolves them) into ROOT at the same paths.
uz_copy_with_libs() {
	local root=$1 b lib
	shift
	for b in "$@"; do
		install -D -m 755 "$b" "$root$b"
		for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
			[ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
		done
	done
}

# uz_pkg_of_soname SONAME: the Debian package shipping SONAME on the host
# (its amd64 build is installed by tools/setup.sh), without the arch suffix.
uz_pkg_of_soname() {
	dpkg -S "*/$1" 2> /dev/null | cut -d: -f1 | grep -v -- '-dev$' | head -n1
}

# uz_foreign_userland DEBARCH: a staging tree (printed) with busybox-static,
# kexec and makedumpfile of DEBARCH and every library they need, closed over
# ELF NEEDED entries; built once under userland/DEBARCH.
uz_foreign_userland() {
	local debarch=$1 dest=$UZ_CACHE/userland/$1
	if [ -e "$dest/.complete" ]; then
		echo "$dest"
		return 0
	fi
	uz_enable_foreign_arch "$debarch"
	local tmp=$dest.tmp.$$ pkgs=() done_pkgs=" " p f changed soname
	rm -rf "$tmp"
	mkdir -p "$tmp/root" "$UZ_CACHE/userland/pkgs"
	extract_pkg() { # NAME
		case "$done_pkgs" in *" $1 "*) return 0 ;; esac
		done_pkgs+="$1 "
		f=$(ls "$UZ_CACHE/userland/pkgs/${1}_"*"_$debarch.deb" 2> /dev/null | head -n1 || true)
		if [ -z "$f" ]; then
			(cd "$UZ_CACHE/userland/pkgs" && apt-get download -q -o APT::Sandbox::User=root "$1:$debarch" > /dev/null) ||
				uz_die "apt-get download $1:$debarch failed"
			f=$(ls "$UZ_CACHE/userland/pkgs/${1}_"*"_$debarch.deb" | head -n1)
		fi
		dpkg-deb -x "$f" "$tmp/root"
	}
	for p in busybox-static kexec-tools makedumpfile libc6; do extract_pkg "$p"; done
	# Close over NEEDED: a soname not yet in the tree names its package on the host.
	changed=1
	while [ $changed = 1 ]; do
		changed=0
		for soname in $(find "$tmp/root" -type f \( -perm -u+x -o -name '*.so*' \) -exec readelf -d {} + 2> /dev/null |
			sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u); do
			[ -n "$(find "$tmp/root" -name "$soname" -print -quit)" ] && continue
			p=$(uz_pkg_of_soname "$soname")
			[ -n "$p" ] || uz_die "no package known for $soname ($debarch)"
			case "$done_pkgs" in *" $p "*) uz_die "$p:$debarch does not ship $soname" ;; esac
			extract_pkg "$p"
			changed=1
		done
	done
	touch "$tmp/.complete"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	echo "$dest"
}

# uz_copy_foreign ROOT STAGING BINARY...: copies foreign binaries (paths inside
# STAGING/root) and the libraries they need into ROOT, flattened into the
# multiarch directory, plus the program interpreter.
uz_copy_foreign() {
	local root=$1 staging=$2/root b interp soname found
	shift 2
	local queue=() seen=" "
	for b in "$@"; do
		install -D -m 755 "$staging$b" "$root$b"
		queue+=("$staging$b")
		interp=$(readelf -l "$staging$b" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
		if [ -n "$interp" ]; then
			found=$(find "$staging" -name "${interp##*/}" -type f -print -quit)
			[ -n "$found" ] || uz_die "interpreter $interp not in $staging"
			install -D -m 755 "$found" "$root$interp"
		fi
	done
	while [ ${#queue[@]} -gt 0 ]; do
		b=${queue[0]}
		queue=("${queue[@]:1}")
		for soname in $(readelf -d "$b" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
			case "$seen" in *" $soname "*) continue ;; esac
			seen+="$soname "
			found=$(find "$staging" -name "$soname" -print -quit)
			[ -n "$found" ] || uz_die "library $soname not in $staging"
			found=$(readlink -f "$found")
			install -D -m 755 "$found" "$root/lib/$(basename "$(dirname "$found")")/$soname"
			queue+=("$found")
		done
	done
}
