#!/usr/bin/env bash
# Builds a GRUB2 (multiboot2) boot ISO for the hypervisor.
# usage: mkiso.sh HYPERVISOR.elf OUT.iso ["hypervisor command line"] [MODULE["|cmdline"] ...]
set -euo pipefail
elf=$1 out=$2
cmdline=${3:-loglvl=info}
shift $(( $# >= 3 ? 3 : $# ))

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/boot/grub"
cp "$elf" "$work/boot/tern.elf"
{
  echo 'set timeout=0'
  echo 'set default=0'
  echo 'serial --unit=0 --speed=115200'
  echo 'terminal_input serial'
  echo 'terminal_output serial'
  echo 'menuentry "Tern" {'
  echo "  multiboot2 /boot/tern.elf $cmdline"
  i=0
  for m in "$@"; do
    file=${m%%|*}
    args=""
    [[ $m == *"|"* ]] && args=${m#*|}
    cp "$file" "$work/boot/mod$i"
    # GRUB inflates gzip modules as it reads them, slowly under TCG; an initrd Linux inflates
    # itself, faster
    nounzip=
    [[ " $args " == *" tern.initrd "* ]] && nounzip="--nounzip "
    echo "  module2 $nounzip/boot/mod$i $(basename "$file") $args"
    i=$((i + 1))
  done
  echo '  boot'
  echo '}'
} > "$work/boot/grub/grub.cfg"
mkdir -p "$(dirname "$out")"
grub-mkrescue -o "$out.tmp" "$work" >/dev/null 2>&1 || {
  echo "mkiso: grub-mkrescue failed" >&2
  grub-mkrescue -o "$out.tmp" "$work"
  exit 1
}
mv "$out.tmp" "$out"
