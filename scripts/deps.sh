#!/usr/bin/env bash
# Installs the Debian packages Tern needs, only those missing. Safe to run every time.
set -euo pipefail

pkgs=(
  build-essential binutils python3
  grub-pc-bin grub-common xorriso mtools
  qemu-system-x86 qemu-system-data
  zlib1g-dev libssl-dev libssh2-1-dev openssl
  python3-pytest openssh-server openssh-client
  zstd gzip
  busybox-static cpio xz-utils libc6-dev
  e2fsprogs tmux dropbear-bin
)

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $st == "install ok installed" ]] || missing+=("$p")
done
# guest-linux fetches the kernel with apt-get download, which needs apt's package lists.
lists=1
compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || lists=0
[[ ${#missing[@]} -eq 0 && $lists -eq 1 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install: ${missing[*]:-package lists}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
if [[ $lists -eq 0 ]]; then
  echo "deps: no apt package lists, running apt-get update" >&2
  "${sudo[@]}" apt-get update -q >&2
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}" >&2
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
  "${sudo[@]}" apt-get update -q >&2
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
