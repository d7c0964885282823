# debian-root.sh - sourced by the suites that need a fresh Debian root
# (tests/integration/deb.sh, dracut.sh): a debootstrap --variant=minbase
# root of SUITE with the listed packages, built once into
# ${VMCORE_UNZRAM_CACHE:-~/.cache/vmcore-unzram}/roots/NAME (built in NAME.tmp,
# renamed when complete), and used through a throw-away overlay in WORK so
# the cached root never changes.  Needs root.
#
# uz_debian_root TAG NAME SUITE PACKAGES WORK: mounts the overlay on
# WORK/root (and /proc in it) and sets $merged; on failure prints
# "FAIL TAG-root: ..." and returns 1.  in_root CMD...: runs CMD inside it
# with a clean environment.  The caller unmounts $merged/proc and $merged.
uz_debian_root() {
  local tag=$1 name=$2 suite=$3 packages=$4 work=$5
  local base=${VMCORE_UNZRAM_CACHE:-$HOME/.cache/vmcore-unzram}/roots/$name
  if [ ! -e "$base/.complete" ]; then
    rm -rf "$base.tmp"; mkdir -p "$(dirname "$base")"
    if ! debootstrap --variant=minbase --include="$packages" "$suite" "$base.tmp" >"$work/debootstrap.log" 2>&1; then
      echo "FAIL $tag-root: debootstrap failed: $(tail -n 3 "$work/debootstrap.log" | tr '\n' ' ')"; return 1
    fi
    rm -rf "$base"; mv "$base.tmp" "$base"; touch "$base/.complete"
  fi
  merged=$work/root
  mkdir -p "$work/upper" "$work/wk" "$merged"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/wk" "$merged" || {
    echo "FAIL $tag-root: overlay mount failed"; return 1; }
  mount -t proc proc "$merged/proc"
}

in_root() { chroot "$merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C "$@"; }
