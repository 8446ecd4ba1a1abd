#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# Fault injection on every path (failnth.py): each allocation of the
# writing task fails in turn (failslab and fail_page_alloc through
# fail-nth) in a probe, an online (movable, kernel, and of an ACPI DIMM's
# block with its memmap on itself when memory_hotplug.memmap_on_memory is
# on), an offline, a valid_zones read and a soft offline, under the
# built-in driver and then under rust_memory_block, and in its insmod and
# rmmod.  failnth-check.py gives a result per walk; then kmemleak.
#
# usage: faults.sh RUST_MODULES (where memblock_unprobe.ko was built)
# FAILNTH_STEP=K walks every K-th N only (the short form).
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
MODS=${1:?usage: faults.sh RUST_MODULES}
DRV=rust_memory_block
DBG=/sys/kernel/debug
progress "faults: every allocation of each path failed in turn (fail-nth${FAILNTH_STEP:+, every ${FAILNTH_STEP}th}), the built-in driver, then $DRV"
modprobe hwpoison_inject 2> /dev/null
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
grep -q " $TRACEFS tracefs " /proc/mounts || mount -t tracefs nodev $TRACEFS
bs=$(block_size)
auto0=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
ko=$(modinfo -n $DRV)
insmod "$MODS/memblock_unprobe.ko" || { tap_not_ok "faults: insmod memblock_unprobe.ko"; exit 0; }
echo clear > $DBG/kmemleak

# Only fail-nth injects (probability 0), quietly (verbose 0: no stack
# dump per failure), and into every kernel allocation that may fail: the
# sleeping ones too, and order 0 pages.  Not user pages (highmem, left
# ignored): a page fault of the test's own process is not the operation.
for a in failslab fail_page_alloc; do
	echo 0 > $DBG/$a/verbose
	echo 0 > $DBG/$a/probability
	echo N > $DBG/$a/ignore-gfp-wait
done
echo 0 > $DBG/fail_page_alloc/min-order
echo 'p:failnth/sf should_fail_ex' >> $TRACEFS/kprobe_events
echo 16384 > $TRACEFS/buffer_size_kb

# B: a free block of memory32-39; its page 7 for the soft offline.
B=
for i in $(seq $((0x100000000 / bs)) $((0x13fffffff / bs))); do
	[ -e "$MEM/memory$i" ] || { B=$i; break; }
done
[ -n "$B" ] || { tap_not_ok "faults: a free block in memory32-39"; exit 0; }
addr=$(printf '0x%x' $((B * bs)))
pfn=$(printf '0x%x' $((B * bs / 4096 + 7)))
# D: with memmap_on_memory, an ACPI DIMM's first block, offline.
D= walks="probe valid_zones online_movable online_kernel offline soft_offline"
if [ "$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" != N ] && [ -n "${QMP_DIR:-}" ]; then
	before=$(memory_blocks)
	qmp_ram_backend_add fdimm $((256 << 20)) > /dev/null
	qmp_dimm_add fdimm 1 > /dev/null
	two() { [ "$(blocks_added "$before" | wc -l)" = 2 ]; }
	wait_for 120 two && D=$(blocks_added "$before" | head -1) && D=${D#memory}
	walks="$walks online_memmap"
fi

out=$(mktemp -d /tmp/faults.XXXXXX)
# walk DRIVER: the walks in order, each from the state it needs.
walk() {
	local who=$1
	export FAILNTH_UNPROBE=/sys/module/memblock_unprobe/parameters/remove
	run() { PYTHONPATH=$DIR /usr/bin/python3 "$DIR/failnth.py" "$who" "$out" "$@"; }
	run probe=$addr
	[ -e $MEM/memory$B ] || sysfs_write $MEM/probe $addr > /dev/null
	run valid_zones=$B online_movable=$B online_kernel=$B
	sysfs_write $MEM/memory$B/state online_movable > /dev/null
	run offline=$B
	sysfs_write $MEM/memory$B/state online_movable > /dev/null
	run soft_offline=$pfn
	sysfs_write /sys/module/memblock_unprobe/parameters/remove $addr > /dev/null
	[ -z "$D" ] || run online_memmap=$D
}
t0=$(date +%s)
walk c
t1=$(date +%s)
expect "faults: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" rc=0
walk rust
t2=$(date +%s)
r=$(rmmod_retry $DRV 2>&1; echo "rc=$?")
PYTHONPATH=$DIR /usr/bin/python3 "$DIR/failnth.py" rust "$out" insmod="$ko"
insmod "$ko"
PYTHONPATH=$DIR /usr/bin/python3 "$DIR/failnth.py" rust "$out" rmmod="$ko"
t3=$(date +%s)
lsmod | grep -q "^$DRV " && rmmod_retry $DRV > /dev/null
echo "-:failnth/sf" >> $TRACEFS/kprobe_events
echo 1408 > $TRACEFS/buffer_size_kb
python3 "$DIR/failnth-check.py" "$out" $walks insmod rmmod
echo "# faults: the built-in driver's walks $((t1 - t0)) s, the Rust driver's $((t2 - t1)) s, insmod and rmmod $((t3 - t2)) s"
cp "$out"/*.jsonl /tmp/ 2> /dev/null

if [ -n "$D" ]; then
	qmp_dimm_del fdimm > /dev/null
	gone() { [ ! -e $MEM/memory$D ]; }
	wait_for 120 gone
	qmp_object_del fdimm > /dev/null
fi
rmmod_retry memblock_unprobe > /dev/null
echo "$auto0" > $MEM/auto_online_blocks
# kmemleak reports an object once it is 5 s old.
sleep 6
echo scan > $DBG/kmemleak
echo scan > $DBG/kmemleak
leaks=$(cat $DBG/kmemleak)
if [ -z "$leaks" ]; then
	tap_ok "faults: kmemleak finds nothing after the walks"
else
	tap_not_ok "faults: kmemleak finds nothing after the walks" "$(head -30 <<< "$leaks")"
fi
rm -rf "$out"
