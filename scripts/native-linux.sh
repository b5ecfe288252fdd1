#!/usr/bin/env bash
# Boots the Linux test guest's kernel natively in QEMU (no hypervisor): Debian's bzImage and the
# same initramfs the PV guest gets, serial console on stdout. For native baselines of the guest
# workloads and benchmarks. With --script NAME the guest runs /tests/NAME.sh and powers off.
# usage: native-linux.sh [--script NAME] [--accel tcg|kvm] [--smp N] [--mem MiB] [--cpu MODEL] [--timeout S]
#                        [--append EXTRA] [--kernel BZIMAGE] [--initrd CPIO] [--interactive]
# Exit status: QEMU's (0 after the guest powers off), 124 when the timeout hit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${O:-$root/build}/guest-linux
script= accel=tcg smp=2 mem=512 timeout=300 extra= interactive=0 cpu=
kernel=$out/vmlinuz initrd=$out/initramfs.cpio.gz
while [[ $# -gt 0 ]]; do
  case $1 in
    --script) script=$2; shift ;;
    --accel) accel=$2; shift ;;
    --smp) smp=$2; shift ;;
    --cpu) cpu=$2; shift ;;
    --mem) mem=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --append) extra=$2; shift ;;
    --kernel) kernel=$2; shift ;;
    --initrd) initrd=$2; shift ;;
    --interactive) interactive=1 ;;
    *) echo "native-linux.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for f in "$kernel" "$initrd"; do
  [[ -f $f ]] || { echo "native-linux.sh: missing $f (run: make guest-linux)" >&2; exit 2; }
done
case $accel in
  kvm) cpu=${cpu:-host} ;;
  tcg) cpu=${cpu:-qemu64,+cx16} ;;  # the PV tests' model; "max" has hung at boot under TCG
  *) echo "native-linux.sh: --accel must be tcg or kvm" >&2; exit 2 ;;
esac

# panic=-1 with -no-reboot: a kernel panic ends QEMU at once instead of hanging.
append="console=ttyS0 panic=-1${script:+ tern.script=$script}${extra:+ $extra}"
args=(-machine q35 -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem" -no-reboot
      -display none -vga none -net none -kernel "$kernel" -initrd "$initrd" -append "$append")
if [[ $interactive == 1 ]]; then
  echo "Serial console below; quit with Ctrl-A X." >&2
  args+=(-serial mon:stdio)
  timeout=0
else
  args+=(-serial stdio -monitor none)
fi
if [[ $timeout != 0 ]]; then
  exec timeout --foreground -k 5 "$timeout" qemu-system-x86_64 "${args[@]}"
fi
exec qemu-system-x86_64 "${args[@]}"
