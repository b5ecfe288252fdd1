# Figures for make bench (tests/bench/bench_save): save, restore, live snapshot and rollback
# of one Linux guest of each size, idle and with a 16 MiB working set (memguard), and what
# each leaves on disk. One TERN-BENCH line per guest.
. /tests/lib.sh
export TERN_STORE=/var/lib/tern/store
mkdir -p $TERN_STORE
grep -q " $TERN_STORE " /proc/mounts || mount -t tmpfs -o size=448m tmpfs $TERN_STORE
log=/var/log/tern/bsr.log
ms() { sed -n "s/.*$1 \([0-9]*\) ms.*/\1/p" | head -n 1; }
# tern.bench_sizes=128,512 and tern.bench_kinds=idle,busy (the defaults) narrow a run by hand
sizes=$(sed -n 's/.*tern.bench_sizes=\([0-9,]*\).*/\1/p' /proc/cmdline | tr , ' ')
kinds=$(sed -n 's/.*tern.bench_kinds=\([a-z,]*\).*/\1/p' /proc/cmdline | tr , ' ')
for mem in ${sizes:-128 512}; do
    for kind in ${kinds:-idle busy}; do
        rm -f $log /tmp/bsr.sav
        rm -rf $TERN_STORE/*
        if [ $kind = busy ]; then
            linux_cfg /tmp/bsr.cfg bsr $mem "tern.script=memguard tern.memguard=16M"
        else
            linux_cfg /tmp/bsr.cfg bsr $mem ""
        fi
        tern create /tmp/bsr.cfg > /dev/null || continue
        n=0
        while ! grep -q TERN-GUEST-READY $log 2> /dev/null && [ $n -lt 2400 ]; do n=$((n + 1)); sleep 0.1; done
        [ $kind = busy ] && wait_pass $log 2 120
        sleep 2 # let the guest settle into its steady state before measuring
        s=$(tern save bsr /tmp/bsr.sav 2>&1); echo "$s"
        size=$(( $(stat -c %s /tmp/bsr.sav) / 1024 ))
        r=$(tern restore /tmp/bsr.sav 2>&1); echo "$r"
        rm -f /tmp/bsr.sav
        [ $kind = busy ] && wait_pass $log $(($(last_pass $log) + 2)) 120
        p0=$(last_pass $log)
        sn=$(tern snapshot bsr snap 2>&1); echo "$sn"
        stall=
        if [ $kind = busy ] && wait_pass $log $((p0 + 2)) 120; then
            # the longest the working set's process went without running, in the passes
            # around the snapshot: its pause as the guest lived it
            stall=$(grep "MEMGUARD pass=" $log | sed 's/.*pass=\([0-9]*\).*stall_ms=\([0-9]*\).*/\1 \2/' |
                awk -v p=$p0 '$1 > p && $2 > m { m = $2 } END { print m + 0 }')
        fi
        rb=$(tern rollback bsr snap 2>&1); echo "$rb"
        stored=$(echo "$sn" | sed -n 's/.*new in the store (\([0-9]*\) KiB).*/\1/p')
        echo "TERN-BENCH sr_${mem}_$kind save_ms=$(echo "$s" | ms save) suspend_ms=$(echo "$s" | ms suspend)" \
             "file_kib=$size restore_ms=$(echo "$r" | ms pages,)" \
             "snap_pause_ms=$(echo "$sn" | sed -n 's/.*stopped \([0-9]*\) ms.*/\1/p')" \
             "snap_handshake_ms=$(echo "$sn" | sed -n 's/.*handshake \([0-9]*\) ms.*/\1/p')" \
             ${stall:+snap_guest_stall_ms=$stall} \
             "snap_total_ms=$(echo "$sn" | sed -n 's/.*, \([0-9]*\) ms in all.*/\1/p') snap_kib=${stored:-0}" \
             "rollback_ms=$(echo "$rb" | sed -n 's/.*domain [0-9]*, \([0-9]*\) ms.*/\1/p')"
        tern destroy bsr 2> /dev/null
        n=0
        while [ -n "$(domid bsr)" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
    done
done
