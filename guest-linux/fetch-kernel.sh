#!/usr/bin/env bash
# Fetches Debian's kernel image without installing it: the version apt would pick for
# linux-image-amd64 (its candidate), downloaded with apt-get download, /boot/vmlinuz-* taken out
# with dpkg-deb. Writes OUT/vmlinuz, OUT/vmlinuz.release and OUT/vmlinuz.pkg, and the modules
# dom0 loads under OUT/modules/lib/modules/RELEASE (MODULE_DIRS); leaves them alone (same mtime)
# when the candidate has not changed. Needs no root, only apt's package lists.
# usage: fetch-kernel.sh OUT      (KERNEL_META=package overrides linux-image-amd64)
set -euo pipefail

out=${1:?usage: fetch-kernel.sh OUT}
meta=${KERNEL_META:-linux-image-amd64}
die() { echo "fetch-kernel: $*" >&2; exit 1; }

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb"
cand=$(LC_ALL=C apt-cache policy "$meta" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
[[ -n $cand && $cand != "(none)" ]] ||
  die "apt knows no version of $meta: run 'apt-get update' (scripts/deps.sh does)"

mkdir -p "$out"
# Module directories (under kernel/) that dom0 needs: Xen's device drivers and backends.
MODULE_DIRS=(drivers/xen drivers/net/xen-netback drivers/block/xen-blkback)
# and single modules: the host's NIC (e1000) and disk (virtio-blk), ext4 for dom0's state
# disk, loop devices and the bridge for guests' disks and networks
MODULE_FILES=(drivers/net/ethernet/intel/e1000/e1000.ko
  drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko drivers/virtio/virtio_pci.ko
  drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci_modern_dev.ko
  drivers/block/virtio_blk.ko drivers/block/loop.ko
  fs/ext4/ext4.ko fs/jbd2/jbd2.ko fs/mbcache.ko lib/crc16.ko crypto/crc32c_generic.ko
  net/bridge/bridge.ko net/802/stp.ko net/llc/llc.ko
  drivers/net/xen-netfront.ko drivers/block/xen-blkfront.ko)
wanted="${MODULE_DIRS[*]} ${MODULE_FILES[*]}"

if [[ -f $out/vmlinuz && -f $out/vmlinuz.pkg && $(head -n 1 "$out/vmlinuz.pkg") == "$meta=$cand" &&
      $(sed -n 3p "$out/vmlinuz.pkg") == "$wanted" && -d $out/modules ]]; then
  exit 0
fi

tmp=$(mktemp -d "$out/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
apt_opts=(-q)
# As root apt hands downloads to its '_apt' user, which cannot write into our directory.
[[ $(id -u) -eq 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)

download() {
  (cd "$tmp" && timeout 600 apt-get download "${apt_opts[@]}" "$1" >/dev/null) ||
    die "apt-get download $1 failed (no network, or stale lists: run 'apt-get update')"
}

echo "fetch-kernel: $meta $cand" >&2
download "$meta=$cand"
metadeb=$(ls "$tmp"/*.deb)
# The metapackage depends on exactly one image package, e.g. "linux-image-6.1.0-56-amd64 (= 6.1.192-2)".
dep=$(dpkg-deb -f "$metadeb" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[^ |]*\) *(= *\([^)]*\)).*/\1=\2/p' | head -n 1)
[[ -n $dep ]] || die "$meta $cand does not depend on a versioned linux-image package"
rm -f "$metadeb"

echo "fetch-kernel: $dep" >&2
download "$dep"
imgdeb=$(ls "$tmp"/*.deb)
patterns=('./boot/vmlinuz-*' './lib/modules/*/modules.order' './lib/modules/*/modules.builtin')
for d in "${MODULE_DIRS[@]}"; do patterns+=("./lib/modules/*/kernel/$d/*"); done
for f in "${MODULE_FILES[@]}"; do patterns+=("./lib/modules/*/kernel/$f"); done
dpkg-deb --fsys-tarfile "$imgdeb" | tar -x -m -C "$tmp" --wildcards "${patterns[@]}" ||
  die "no /boot/vmlinuz-* or dom0 modules in $imgdeb"
images=("$tmp"/boot/vmlinuz-*)
[[ ${#images[@]} -eq 1 && -f ${images[0]} ]] || die "expected one /boot/vmlinuz-* in $dep"

release=${images[0]##*/vmlinuz-}
printf '%s\n' "$release" >"$tmp/release"
printf '%s\n%s\n%s\n' "$meta=$cand" "$dep" "$wanted" >"$tmp/pkg"
rm -rf "$out/modules"
mkdir -p "$out/modules/lib"
mv "$tmp/lib/modules" "$out/modules/lib/modules"
mv -f "${images[0]}" "$out/vmlinuz"
mv -f "$tmp/release" "$out/vmlinuz.release"
mv -f "$tmp/pkg" "$out/vmlinuz.pkg"
echo "fetch-kernel: $out/vmlinuz ($release)" >&2
