#!/usr/bin/env bash
# Several Tern hosts on this machine: each a QEMU (Tern, Debian's kernel as dom0 driving an
# e1000 and a virtio disk with its ext4 state), their NICs chained into one link by QEMU
# datagram netdevs between ports of 127.0.0.1 (dom0 bridges its NICs in br0, so all hosts
# share one segment; host N is 169.254.0.N, known as hostN). Consoles are Unix sockets.
# Each host also has a management NIC on QEMU's restricted user network whose only way in is
# a forward from a port of 127.0.0.1 to dom0's ssh; `ssh I` logs in with a key made here
# (hosts/ssh/id_ed25519) that `up` puts on each host's state disk.
# usage: hosts.sh up N [--timeout S] | console I | ssh I [CMD...] | status | down
# State under $O/hosts (default build/hosts): hostI/{disk.img,console.sock,console.log,pid,
# ssh.port,known_hosts}.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-$root/build}
dir=$O/hosts
die() { echo "hosts: $*" >&2; exit 1; }

free_ports() { # free_ports N [tcp]: N free UDP (or TCP) ports of 127.0.0.1
  python3 - "$1" "${2:-udp}" <<'PY'
import socket, sys
socks = []
kind = socket.SOCK_STREAM if sys.argv[2] == "tcp" else socket.SOCK_DGRAM
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, kind)
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

client_key() { # the key pair `ssh` logs in with, made once
  mkdir -p "$dir/ssh"
  [[ -f $dir/ssh/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C tern-hosts -f "$dir/ssh/id_ed25519"
}

authorize() { # authorize DISK: put the client key in the state disk's ssh/authorized_keys
  local cmds rc=0
  # a host that was killed left its journal to replay: do it first, or the kernel's replay at
  # the next mount would undo what debugfs writes
  e2fsck -p "$1" >/dev/null 2>&1 || rc=$?
  ((rc < 2)) || die "$1 needs repair: e2fsck $1"
  cmds=$(mktemp)
  printf 'mkdir ssh\nrm ssh/authorized_keys\nwrite %s ssh/authorized_keys\n' "$dir/ssh/id_ed25519.pub" >"$cmds"
  debugfs -w -f "$cmds" "$1" >/dev/null 2>&1
  rm -f "$cmds"
  debugfs -R 'cat ssh/authorized_keys' "$1" 2>/dev/null | grep -q tern-hosts ||
    die "cannot write the ssh key into $1"
}

up() {
  local n=$1 timeout=$2
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 9 ]] || die "up: 1 to 9 hosts"
  for h in "$dir"/host*; do running "$h" && die "hosts are running already (hosts.sh down)"; done
  local elf=$O/hypervisor/tern.elf kernel=$O/guest-linux/vmlinux initrd=$O/dom0-tools/dom0-initramfs.cpio.gz
  for f in "$elf" "$kernel" "$initrd"; do [[ -f $f ]] || die "$f is missing: run make first"; done
  command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is missing (scripts/deps.sh installs e2fsprogs)"
  client_key
  # link k joins host k and host k+1: two ports, one each
  local -a ports=($(free_ports $((2 * n)))) sshports=($(free_ports "$n" tcp))
  for ((i = 1; i <= n; i++)); do
    local h=$dir/host$i
    mkdir -p "$h"
    if [[ ! -f $h/disk.img ]]; then
      truncate -s 256M "$h/disk.img"
      mkfs.ext4 -q -F "$h/disk.img"
      rm -f "$h/known_hosts" # a new disk, a new host key
    fi
    authorize "$h/disk.img"
    local sshport=${sshports[i - 1]} mgmt=52:54:00:00:0$i:ee
    echo "$sshport" >"$h/ssh.port"
    local -a q=(-netdev "user,id=mgmt,restrict=on,net=169.254.200.0/24,host=169.254.200.2,hostfwd=tcp:127.0.0.1:$sshport-:22"
                -device "e1000,netdev=mgmt,mac=$mgmt")
    # toward host i-1 (link i-1) and toward host i+1 (link i)
    ((i > 1)) && q+=($(nic left "${ports[2 * (i - 2) + 1]}" "${ports[2 * (i - 2)]}" "52:54:00:00:0$i:01"))
    ((i < n)) && q+=($(nic right "${ports[2 * (i - 1)]}" "${ports[2 * (i - 1) + 1]}" "52:54:00:00:0$i:02"))
    rm -f "$h/console.sock"
    setsid timeout -k 5 "$timeout" qemu-system-x86_64 -machine q35 -accel "${ACCEL:-tcg}" \
      -cpu qemu64,+cx16 -smp 2 -m 1024 -no-reboot -display none -vga none -net none \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -bios qboot.rom -kernel "$elf" \
      -append "loglvl=info" \
      -initrd "$kernel tern.dom0 tern.file=/usr/lib/tern/guest/vmlinux tern.mem=512M tern.vcpus=2 console=hvc0 tern.host=$i tern.hosts=$n tern.mgmt=$mgmt,$initrd tern.initrd" \
      -drive "file=$h/disk.img,if=none,format=raw,id=d0" -device virtio-blk-pci,drive=d0 \
      "${q[@]}" \
      -chardev "socket,id=c0,path=$h/console.sock,server=on,wait=off,logfile=$h/console.log" \
      -serial chardev:c0 -monitor none </dev/null >"$h/qemu.out" 2>&1 &
    echo $! >"$h/pid"
    echo "host$i: 169.254.0.$i, console: scripts/hosts.sh console $i (log $h/console.log), ssh: scripts/hosts.sh ssh $i"
  done
}

console() {
  local h=$dir/host$1
  running "$h" || die "host$1 is not running"
  local n=0
  until [[ -S $h/console.sock ]] || ((n++ > 100)); do sleep 0.1; done
  "$root/scripts/serial-console.py" "$h/console.sock"
}

ssh_to() { # ssh_to I [CMD...]
  local h=$dir/host$1
  shift
  running "$h" || die "$(basename "$h") is not running"
  # QEMU accepts on the forwarded port at once; dom0's ssh answers once it has booted
  local port n=0 banner=
  port=$(cat "$h/ssh.port")
  until [[ $banner == SSH-* ]]; do
    ((n++ < 240)) || die "$(basename "$h")'s ssh does not answer on 127.0.0.1:$port"
    banner=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && read -r -t 2 line <&3 && echo "$line") 2>/dev/null || true)
    [[ $banner == SSH-* ]] || sleep 0.5
  done
  exec ssh -q -p "$port" -i "$dir/ssh/id_ed25519" -o IdentitiesOnly=yes \
    -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$h/known_hosts" \
    -o ConnectTimeout=20 root@127.0.0.1 "$@"
}

down() {
  for h in "$dir"/host*; do
    [[ -f $h/pid ]] || continue
    running "$h" && kill -- -"$(cat "$h/pid")" 2>/dev/null || true
    rm -f "$h/pid" "$h/console.sock" "$h/ssh.port"
    echo "$(basename "$h"): stopped"
  done
}

case ${1:-} in
up)
  timeout=14400
  [[ ${3:-} == --timeout ]] && timeout=${4:?}
  up "${2:?usage: hosts.sh up N}" "$timeout" ;;
console) console "${2:?usage: hosts.sh console I}" ;;
ssh) [[ -n ${2:-} ]] || die "usage: hosts.sh ssh I [CMD...]"; ssh_to "${@:2}" ;;
status)
  for h in "$dir"/host*; do
    [[ -d $h ]] || continue
    if running "$h"; then echo "$(basename "$h"): running (pid $(cat "$h/pid"))"; else echo "$(basename "$h"): stopped"; fi
  done ;;
down) down ;;
*) echo "usage: hosts.sh up N [--timeout S] | console I | ssh I [CMD...] | status | down" >&2; exit 2 ;;
esac
