# Guest disks: an image file in dom0 served by blkback through a loop device, then the same
# checks with Tern's own backend (backendtype=qdisk, no loop device: result names start with
# q). One guest makes an ext4 file system on it and writes 4 MiB of known data; it is
# destroyed; dom0 finds the data in the image; a second guest reads it back, a third gets the
# disk read-only and cannot write it. An image a guest writes is not given to another;
# afterwards no loop device, no backend process and no entry is left.
# usage: vbd.sh [qdisk] (without it: both backends, then hotplug.sh and hostile.sh)
. /tests/lib.sh
backend=${1:-phy}
p= opt= kind=vbd
[ "$backend" = qdisk ] && p=q opt=,backendtype=qdisk kind=qdisk
img=/var/lib/tern/vbd-test.img
rm -f "$img"
truncate -s 64M "$img"
cfg() { # cfg NAME MODE CMDLINE
    cat > "/tmp/$1.cfg" <<CFG
name = "$1"
memory = 128
kernel = "/usr/lib/tern/guest/vmlinux"
ramdisk = "/usr/lib/tern/guest/initramfs.cpio.gz"
cmdline = "console=hvc0 $3"
disk = [ 'file:$img,xvda,$2$opt' ]
on_poweroff = "destroy"
CFG
}
run() { # run NAME MODE: a guest running disk.sh, until it is gone; its result line
    cfg "$1" "$2" "tern.script=disk tern.disk=$3"
    tern create "/tmp/$1.cfg" > /dev/null || { echo "TERN-TEST $1 FAIL tern create"; return; }
    n=0
    while tern list | grep -q "^$1 " && [ $n -lt 1800 ]; do n=$((n + 1)); sleep 0.1; done
    r=$(grep "TERN-TEST disk" "/var/log/tern/$1.log" | tail -n 1)
    echo "TERN-TEST $1 ${r#*TERN-TEST disk }"
}
attached() { # loop devices with a backing file
    for f in /sys/block/loop*/loop/backing_file; do [ -e "$f" ] && cat "$f"; done
}
backends() { # what serves the image: a loop device's file, or running Tern disk backends
    if [ "$backend" = qdisk ]; then grep -l '^tern-diskback$' /proc/[0-9]*/comm 2> /dev/null | wc -l; else attached; fi
}
served=$img
[ "$backend" = qdisk ] && served=1

# a guest holding the image writable: nobody else gets it
cfg ${p}vhold w ""
tern create /tmp/${p}vhold.cfg > /dev/null
hold=$(tern list | awk -v n=${p}vhold '$1 == n { print $2 }')
node=$(tern xs read "/local/domain/0/backend/$kind/$hold/51712/node" 2> /dev/null || echo "tern-diskback")
cfg ${p}vsecond w ""
tern create /tmp/${p}vsecond.cfg 2> /tmp/err1 > /dev/null
cfg ${p}vreader r ""
tern create /tmp/${p}vreader.cfg 2> /tmp/err2 > /dev/null
if [ -n "$hold" ] && grep -q "in use by domain $hold" /tmp/err1 && grep -q "in use by domain $hold for writing" /tmp/err2 &&
   ! tern list | grep -q "^${p}vsecond \|^${p}vreader " && [ "$(backends)" = "$served" ]; then
    tern_result ${p}vbd_exclusive PASS "held by domain $hold through $node; $(cat /tmp/err1)"
else
    tern_result ${p}vbd_exclusive FAIL "hold=$hold $(cat /tmp/err1 /tmp/err2) served by $(backends | tr '\n' ' ')"
fi
tern destroy ${p}vhold

run ${p}vwrite w write
# what reached the image file, seen by dom0 itself
for m in crc16 crc32c_generic mbcache jbd2 ext4; do insmod "$(find /lib/modules -name $m.ko)" 2>/dev/null; done
awk 'BEGIN { for (i = 0; i < 1024; i++) { s = sprintf("%07d\n", i); while (length(s) < 4096) s = s s; printf "%s", s } }' | md5sum | cut -d' ' -f1 > /tmp/expect.md5
mkdir -p /mnt/chk
if mount -t ext4 -o loop,ro "$img" /mnt/chk; then
    got=$(md5sum < /mnt/chk/data | cut -d' ' -f1)
    umount /mnt/chk
fi
if [ "$got" = "$(cat /tmp/expect.md5)" ]; then
    tern_result ${p}vbd_image PASS "dom0 reads the guest's 4 MiB from the image: md5=$got"
else
    tern_result ${p}vbd_image FAIL "dom0 reads md5=${got:-nothing}, the guest wrote $(cat /tmp/expect.md5)"
fi
run ${p}vread w read
run ${p}vro r readonly
left=$(attached | tr '\n' ' ')
procs=$(grep -l '^tern-diskback$' /proc/[0-9]*/comm 2> /dev/null | tr '\n' ' ')
be=$(tern xs ls /local/domain/0/backend/$kind 2>/dev/null | tr '\n' ' ')
if [ -z "$left" ] && [ -z "$procs" ] && [ -z "$be" ]; then
    tern_result ${p}vbd_gone PASS "no loop device attached, no backend process, no backend entries"
else
    tern_result ${p}vbd_gone FAIL "attached: $left processes: $procs backends: $be"
fi
rm -f "$img"
[ "$backend" = qdisk ] && exit 0
sh /tests/vbd.sh qdisk

# then devices given to and taken from a running guest (one boot for both sets of checks)
sh /tests/hotplug.sh

# and hostile frontends, each beside a well-behaved guest
sh /tests/hostile.sh blk
sh /tests/hostile.sh blk qdisk
sh /tests/hostile.sh net
