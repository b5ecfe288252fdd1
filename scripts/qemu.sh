#!/usr/bin/env bash
# Boots the hypervisor in QEMU: from the GRUB ISO (--iso) or directly (--kernel, multiboot1
# through QEMU's loader with qboot, no BIOS). Serial console on stdout.
# usage: qemu.sh (--iso FILE | --kernel ELF [--append CMDLINE] [--initrd "m1 args,m2"])
#                [--accel tcg|kvm] [--smp N] [--mem MiB] [--cpu MODEL] [--machine q35|pc]
#                [--interactive] [--timeout S] [--qemu ARG]...
# --qemu passes one more argument to QEMU as it is (NICs, disks: -netdev/-device/-drive).
set -euo pipefail
iso= kernel= append= initrd= accel=tcg smp=2 mem=512 cpu=qemu64 machine=q35 interactive=0 timeout=0
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --iso) iso=$2; shift ;;
    --kernel) kernel=$2; shift ;;
    --append) append=$2; shift ;;
    --initrd) initrd=$2; shift ;;
    --accel) accel=$2; shift ;;
    --smp) smp=$2; shift ;;
    --mem) mem=$2; shift ;;
    --cpu) cpu=$2; shift ;;
    --machine) machine=$2; shift ;;
    --interactive) interactive=1 ;;
    --timeout) timeout=$2; shift ;;
    --qemu) extra+=("$2"); shift ;;
    *) echo "qemu.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

args=(-machine "$machine" -accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem" -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none -vga none -net none
      ${extra[@]+"${extra[@]}"})
if [[ -n $iso ]]; then
  args+=(-cdrom "$iso" -boot d)
else
  args+=(-bios qboot.rom -kernel "$kernel" -append "$append")
  [[ -n $initrd ]] && args+=(-initrd "$initrd")
fi
if [[ $interactive == 1 ]]; then
  # plain stdio, not QEMU's multiplexer: Ctrl-A belongs to the hypervisor's input switch
  echo "Serial console below; quit with Ctrl-C." >&2
  args+=(-serial stdio -monitor none)
else
  args+=(-serial stdio -monitor none)
fi
if [[ $timeout != 0 ]]; then
  exec timeout --foreground -k 5 "$timeout" qemu-system-x86_64 "${args[@]}"
fi
exec qemu-system-x86_64 "${args[@]}"
