# dom0 enumerates the host's PCI devices through the hypervisor's conf1 mediation: the q35
# host bridge (8086:29c0) and its neighbours, with their configuration space readable.
. /tests/lib.sh
devs=$(ls /sys/bus/pci/devices 2>/dev/null | wc -l)
host=/sys/bus/pci/devices/0000:00:00.0
id="$(cat $host/vendor 2>/dev/null):$(cat $host/device 2>/dev/null)"
cfg=$(od -An -tx1 -N4 $host/config 2>/dev/null | tr -d ' \n')
ls /sys/bus/pci/devices
if [ "$devs" -ge 3 ] && [ "$id" = "0x8086:0x29c0" ] && [ "$cfg" = "8680c029" ]; then
    tern_result pci PASS "devices=$devs host_bridge=$id"
else
    tern_result pci FAIL "devices=$devs host_bridge=$id config=$cfg"
fi
