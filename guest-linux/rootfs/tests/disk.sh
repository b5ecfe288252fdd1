# The guest's disk (blkfront, /dev/xvda): tern.disk=write makes an ext4 file system on it
# and writes 4 MiB of known data (block i holds its number) with its checksum; tern.disk=read mounts it and checks
# them; tern.disk=readonly also checks that the disk refuses writes.
. /tests/lib.sh
mode=
for arg in $(cat /proc/cmdline); do
    case $arg in
    tern.disk=*) mode=${arg#tern.disk=} ;;
    esac
done
n=0
while [ ! -b /dev/xvda ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
if [ ! -b /dev/xvda ]; then
    tern_result disk FAIL "no /dev/xvda (devices: $(ls /sys/bus/xen/devices | tr '\n' ' '))"
    exit 1
fi
size=$(cat /sys/block/xvda/size)
mkdir -p /mnt
case $mode in
write)
    mke2fs -q /dev/xvda > /dev/null 2>&1 &&
    mount -t ext4 /dev/xvda /mnt &&
    awk 'BEGIN { for (i = 0; i < 1024; i++) { s = sprintf("%07d\n", i); while (length(s) < 4096) s = s s; printf "%s", s } }' > /mnt/data &&
    md5sum < /mnt/data | cut -d' ' -f1 > /mnt/data.md5 &&
    umount /mnt && sync &&
    tern_result disk PASS "wrote md5=$(mount -t ext4 -o ro /dev/xvda /mnt && cat /mnt/data.md5; umount /mnt) sectors=$size" ||
    tern_result disk FAIL "cannot make, mount or write the file system"
    ;;
read | readonly)
    opt=rw
    [ "$mode" = readonly ] && opt=ro
    if mount -t ext4 -o "$opt" /dev/xvda /mnt && [ "$(md5sum < /mnt/data | cut -d' ' -f1)" = "$(cat /mnt/data.md5)" ]; then
        detail="read md5=$(cat /mnt/data.md5) sectors=$size ro=$(cat /sys/block/xvda/ro)"
        umount /mnt
        if [ "$mode" = readonly ] && dd if=/dev/zero of=/dev/xvda bs=4096 count=1 2>/dev/null; then
            tern_result disk FAIL "a read-only disk took a write"
        else
            tern_result disk PASS "$detail"
        fi
    else
        tern_result disk FAIL "data missing or changed: $(cat /mnt/data.md5 2>/dev/null)"
    fi
    ;;
*) tern_result disk FAIL "no tern.disk=write|read|readonly" ;;
esac
