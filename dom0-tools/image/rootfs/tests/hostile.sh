# A hostile frontend (tests/guests/xs_hostile_KIND, given to dom0 as a tern.file) against
# dom0's backend while a Linux guest uses the same kind of device: blk (its wrong requests
# fail, blkback halts its ring once it overflows it; the Linux guest writes ext4 on its own
# disk) or net (its wrong frames fail, netback disables its vif after a fatal request; the
# Linux guest pings dom0 through its own vif). dom0 and xenstored carry on, and nothing of
# either guest is left. The hostile guest's own verdict is on the hypervisor's console.
# With qdisk, blk runs against Tern's own disk backend (results hostile_qblk...).
# usage: hostile.sh blk [qdisk] | net (or tern.hostile=blk|net on dom0's command line)
. /tests/lib.sh
kind=${1:-$(sed -n "s/.*tern.hostile=\([a-z]*\).*/\1/p" /proc/cmdline)}
opt= tag=$kind bekind=vbd
[ "$2" = qdisk ] && opt=,backendtype=qdisk tag=qblk bekind=qdisk
k=/usr/lib/tern/tests/xs_hostile_$kind.elf
if [ ! -f "$k" ]; then
    tern_result "hostile_$kind" FAIL "no $k (boot with the xs_hostile_$kind guest as tern.file)"
    exit 1
fi
case $kind in
blk)
    truncate -s 16M /var/lib/tern/evil.img
    truncate -s 64M /var/lib/tern/calm.img
    dev="disk = [ 'file:/var/lib/tern/evil.img,xvda,w$opt' ]"
    calm_dev="disk = [ 'file:/var/lib/tern/calm.img,xvda,w$opt' ]"
    calm_args="tern.script=disk tern.disk=write" calm_result=disk
    halted_by="bogus ring requests"
    [ "$2" = qdisk ] && halted_by="ring halted" ;;
net)
    dev="vif = [ 'bridge=br0' ]" calm_dev=$dev
    calm_args="tern.script=net tern.ip=169.254.1.5/16 tern.peer=169.254.0.1" calm_result=net
    halted_by="fatal error; disabling device" ;;
esac
cat > /tmp/evil.cfg <<CFG
name = "evil"
memory = 16
kernel = "$k"
$dev
on_poweroff = "destroy"
on_crash = "destroy"
CFG
linux_cfg /tmp/calm.cfg calm 128 "$calm_args" "$calm_dev"
dmesg -c > /dev/null
rm -f /var/log/tern/calm.log
tern create /tmp/calm.cfg > /dev/null && tern create /tmp/evil.cfg > /dev/null ||
    tern_result "hostile_$tag" FAIL "tern create"
if [ "$kind" = blk ]; then
    # once done, the hostile blkfront ignores a request to close: detach gives up and leaves
    # the disk attached; -f takes it away (the guest waits to see that)
    id=$(tern list | awk '$1 == "evil" { print $2 }')
    n=0
    while [ "$(tern xs read "/local/domain/$id/data/hostile" 2>/dev/null)" != done ] && [ $n -lt 1200 ]; do
        n=$((n + 1)); sleep 0.1
    done
    tern block-detach evil xvda 2> /tmp/err && echo "block-detach: no refusal"
    cat /tmp/err
    kept=$(tern block-list evil | grep -c "^xvda .*Connected")
    tern block-detach evil xvda -f
    # once it sees its disk go the guest ends, and may be gone already: no disk either way
    if grep -q "did not let go of disk xvda" /tmp/err && [ "$kept" = 1 ] &&
       [ "$(tern block-list evil 2> /dev/null | wc -l)" -le 1 ]; then
        tern_result hostile_${tag}_detach PASS "a frontend that never closes keeps its disk; -f takes it"
    else
        tern_result hostile_${tag}_detach FAIL "kept=$kept: $(cat /tmp/err); $(tern block-list evil | tr '\n' '|')"
    fi
fi
n=0
while tern list | grep -q '^evil \|^calm ' && [ $n -lt 3000 ]; do n=$((n + 1)); sleep 0.1; done
tern list | grep -q '^evil ' && tern destroy evil
tern list | grep -q '^calm ' && tern destroy calm
calm=$(grep "TERN-TEST $calm_result " /var/log/tern/calm.log | tail -n 1)
halted=$(dmesg | grep -c "$halted_by")
left=$(for f in /sys/block/loop*/loop/backing_file; do [ -e "$f" ] && cat "$f"; done; ls /sys/class/net | grep '^vif'
       grep -l '^tern-diskback$' /proc/[0-9]*/comm 2> /dev/null)
be=$(tern xs ls /local/domain/0/backend/$bekind 2>/dev/null; tern xs ls /local/domain/0/backend/vif 2>/dev/null)
dmesg | grep -i "blkback\|blkif\|diskback\|vif" | tail -n 8
case $calm in
*" PASS "*) tern_result "hostile_${tag}_bystander" PASS "${calm#*PASS }" ;;
*) tern_result "hostile_${tag}_bystander" FAIL "the Linux guest beside it: ${calm:-no result}" ;;
esac
if [ "$halted" -ge 1 ] && [ -z "$left" ] && [ -z "$be" ] && tern xs write /tern-test/evil ok; then
    tern_result "hostile_$tag" PASS "the backend stopped serving it ($halted_by); nothing left"
else
    tern_result "hostile_$tag" FAIL "halted=$halted left: $(echo $left) backends: $(echo $be)"
fi
rm -f /var/lib/tern/evil.img /var/lib/tern/calm.img
