# Shared by the guest test scripts: one result line per check, exit status 0 on PASS.
# usage: tern_result NAME PASS|FAIL [DETAIL...]
tern_result() {
    name=$1 verdict=$2
    shift 2
    echo "TERN-TEST $name $verdict $*"
    [ "$verdict" = PASS ]
}

# Runs a workload, shows its output, and turns its last line ("APPLET PASS|FAIL details")
# into a result carrying the details.
tern_workload() {
    name=$1
    shift
    out=$("$@" 2>&1)
    rc=$?
    echo "$out"
    detail=$(echo "$out" | tail -n 1)
    detail=${detail#* }
    detail=${detail#* }
    if [ $rc -eq 0 ]; then
        tern_result "$name" PASS "$detail"
    else
        tern_result "$name" FAIL "rc=$rc $detail"
    fi
}

# Runs /tests/NAME.sh for each NAME (or NAME:ARG), then prints one summary line.
tern_run_set() {
    passed=0 failed=0
    for t in "$@"; do
        name=${t%%:*} arg=
        case $t in *:*) arg=${t#*:} ;; esac
        if sh "/tests/$name.sh" $arg; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
        fi
    done
    echo "TERN-TESTS passed=$passed failed=$failed"
    [ $failed -eq 0 ]
}

# dom0's test scripts: a config for the stock guest (Debian's kernel, the test initramfs).
# usage: linux_cfg FILE NAME MEMORY CMDLINE [MORE LINES...]
linux_cfg() {
    local file=$1 name=$2 mem=$3 args=$4 line
    shift 4
    {
        echo "name = \"$name\""
        echo "memory = $mem"
        echo 'kernel = "/usr/lib/tern/guest/vmlinux"'
        echo 'ramdisk = "/usr/lib/tern/guest/initramfs.cpio.gz"'
        echo "cmdline = \"console=hvc0 $args\""
        echo 'on_poweroff = "destroy"'
        for line in "$@"; do echo "$line"; done
    } > "$file"
}

# Benchmarks: seconds since boot, and MiB/s for M MiB moved between two of them.
now() { cut -d' ' -f1 /proc/uptime; }
rate() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN { printf "%.2f", m / (b - a) }'; }

# bench_devices: "write_mib_s=W read_mib_s=R" for DEVICE, 64 MiB each way with direct I/O,
# the median of three rounds (timed by diskrate itself); nothing when the device fails.
disk_rates() { diskrate "$1" 64; }

# dom0's test scripts: a guest's id by name; waiting (bounded) for a store node's value.
domid() { tern list | awk -v n="$1" '$1 == n { print $2 }'; }
wait_store() { # wait_store PATH VALUE SECONDS
    local n=0
    until [ "$(tern xs read "$1" 2> /dev/null)" = "$2" ] || [ $n -ge $(($3 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    [ "$(tern xs read "$1" 2> /dev/null)" = "$2" ]
}
# memguard's progress in a guest's console log: the last pass it finished (0 before any),
# and waiting (bounded) until it has finished pass N.
last_pass() { # last_pass LOG
    local p
    p=$(grep "MEMGUARD pass=" "$1" 2> /dev/null | tail -n 1 | sed 's/.*pass=\([0-9]*\).*/\1/')
    echo "${p:-0}"
}
wait_pass() { # wait_pass LOG N SECONDS
    local n=0
    while [ "$(last_pass "$1")" -lt "$2" ] && [ $n -lt $(($3 * 10)) ]; do n=$((n + 1)); sleep 0.1; done
    [ "$(last_pass "$1")" -ge "$2" ]
}
