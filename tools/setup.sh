#!/usr/bin/env bash
# Idempotent set-up: installs every Debian package the build and the tests need.
# Runs `apt-get update` only when a needed package cannot be found or is missing.
# Usage: tools/setup.sh [build|test|all]   (default: all)
set -euo pipefail

what=${1:-all}

build_pkgs=(gcc make pkg-config libelf-dev libdw-dev liblz4-dev liblzo2-dev libbpf-dev
            libzstd-dev zlib1g-dev libsnappy-dev clang libclang-rt-14-dev)
test_pkgs=(time qemu-system-x86 qemu-system-arm qemu-user busybox-static crash makedumpfile
           python3-drgn python3-minimal kexec-tools debootstrap cpio xz-utils zstd
           gcc-aarch64-linux-gnu libc6-dev-arm64-cross)

case "$what" in
  build) pkgs=("${build_pkgs[@]}") ;;
  test|all) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "setup.sh: unknown target '$what' (build|test|all)" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}" >&2
# Try without a fresh index first: a warm machine needs no network round trip.
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
