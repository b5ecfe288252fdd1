#!/usr/bin/env bash
# Several Tern hosts on this machine: each a QEMU (Tern, Debian's kernel as dom0 driving an
# e1000 and a virtio disk with its ext4 state), their NICs chained into one link by QEMU
# datagram netdevs between ports of 127.0.0.1 (dom0 bridges its NICs in br0, so all hosts
# share one segment; host N is 169.254.0.N, known as hostN). Consoles are Unix sockets.
# usage: hosts.sh up N [--timeout S] | console I | status | down
# State under $O/hosts (default build/hosts): hostI/{disk.img,console.sock,console.log,pid}.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-$root/build}
dir=$O/hosts
die() { echo "hosts: $*" >&2; exit 1; }

free_ports() { # free_ports N: N free UDP ports of 127.0.0.1
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

nic() { # nic ID LOCAL REMOTE MAC
  echo "-netdev dgram,id=$1,local.type=inet,local.host=127.0.0.1,local.port=$2,remote.type=inet,remote.host=127.0.0.1,remote.port=$3"
  echo "-device e1000,netdev=$1,mac=$4"
}

running() { [[ -f $1/pid ]] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

up() {
  local n=$1 timeout=$2
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 9 ]] || die "up: 1 to 9 hosts"
  for h in "$dir"/host*; do running "$h" && die "hosts are running already (hosts.sh down)"; done
  local elf=$O/hypervisor/tern.elf kernel=$O/guest-linux/vmlinux initrd=$O/dom0-tools/dom0-initramfs.cpio.gz
  for f in "$elf" "$kernel" "$initrd"; do [[ -f $f ]] || die "$f is missing: run make first"; done
  command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is missing (scripts/deps.sh installs e2fsprogs)"
  # link k joins host k and host k+1: two ports, one each
  local -a ports=($(free_ports $((2 * n))))
  for ((i = 1; i <= n; i++)); do
    local h=$dir/host$i
    mkdir -p "$h"
    if [[ ! -f $h/disk.img ]]; then
      truncate -s 256M "$h/disk.img"
      mkfs.ext4 -q -F "$h/disk.img"
    fi
    local -a q=()
    # toward host i-1 (link i-1) and toward host i+1 (link i)
    ((i > 1)) && q+=($(nic left "${ports[2 * (i - 2) + 1]}" "${ports[2 * (i - 2)]}" "52:54:00:00:0$i:01"))
    ((i < n)) && q+=($(nic right "${ports[2 * (i - 1)]}" "${ports[2 * (i - 1) + 1]}" "52:54:00:00:0$i:02"))
    rm -f "$h/console.sock"
    setsid timeout -k 5 "$timeout" qemu-system-x86_64 -machine q35 -accel "${ACCEL:-tcg}" \
      -cpu qemu64,+cx16 -smp 2 -m 1024 -no-reboot -display none -vga none -net none \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -bios qboot.rom -kernel "$elf" \
      -append "loglvl=info" \
      -initrd "$kernel tern.dom0 tern.mem=512M tern.vcpus=2 console=hvc0 tern.host=$i tern.hosts=$n,$initrd tern.initrd" \
      -drive "file=$h/disk.img,if=none,format=raw,id=d0" -device virtio-blk-pci,drive=d0 \
      "${q[@]}" \
      -chardev "socket,id=c0,path=$h/console.sock,server=on,wait=off,logfile=$h/console.log" \
      -serial chardev:c0 -monitor none </dev/null >"$h/qemu.out" 2>&1 &
    echo $! >"$h/pid"
    echo "host$i: 169.254.0.$i, console: scripts/hosts.sh console $i (log $h/console.log)"
  done
}

console() {
  local h=$dir/host$1
  running "$h" || die "host$1 is not running"
  local n=0
  until [[ -S $h/console.sock ]] || ((n++ > 100)); do sleep 0.1; done
  "$root/scripts/serial-console.py" "$h/console.sock"
}

down() {
  for h in "$dir"/host*; do
    [[ -f $h/pid ]] || continue
    running "$h" && kill -- -"$(cat "$h/pid")" 2>/dev/null || true
    rm -f "$h/pid" "$h/console.sock"
    echo "$(basename "$h"): stopped"
  done
}

case ${1:-} in
up)
  timeout=14400
  [[ ${3:-} == --timeout ]] && timeout=${4:?}
  up "${2:?usage: hosts.sh up N}" "$timeout" ;;
console) console "${2:?usage: hosts.sh console I}" ;;
status)
  for h in "$dir"/host*; do
    [[ -d $h ]] || continue
    if running "$h"; then echo "$(basename "$h"): running (pid $(cat "$h/pid"))"; else echo "$(basename "$h"): stopped"; fi
  done ;;
down) down ;;
*) echo "usage: hosts.sh up N [--timeout S] | console I | status | down" >&2; exit 2 ;;
esac
