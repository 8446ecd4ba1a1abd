#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The Rust memory block driver (samples/rust/rust_memory_block.rs) against
# the built-in one, in the same boot:
#  - loading and unloading it changes nothing in the sysfs dump (every
#    file, mode, value and link, the node side too);
#  - every rejected write of errno-table.py gives the errno the built-in
#    driver gives, and changes nothing;
#  - a probe, an online (kernel and movable) and an offline through it;
#  - the same uevents (probe, online, offline), the same lsmem (plain, -J,
#    -o +NODE,ZONES) and the same chmem results as with the built-in driver;
#  - the upstream selftest (mem-on-off-test.sh, its notifier error
#    injection part included) passes with it loaded.
# That it serves is checked in the kernel log (its own message, and the
# core's when it takes the blocks over and gives them back) and in the
# kernel stack of a writer offlining a block (offline-stack.sh): the Rust
# driver's frames while it is loaded, the built-in driver's after rmmod.
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
KSFT=${1:?usage: rust-driver.sh INSTALLED_KSELFTEST_DIR}
DRV=rust_memory_block
progress "rust-driver: $DRV against the built-in driver"

if ! modinfo $DRV > /dev/null 2>&1; then
	tap_not_ok "rust-driver: $DRV.ko is installed" "modinfo $DRV: $(modinfo $DRV 2>&1)"
	exit 0
fi
bs=$(block_size)
auto=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
# The blocks of the RAM past mem= (memory32-39).
range=$(seq $((0x100000000 / bs)) $((0x13fffffff / bs)))
# Two of them that are not present: one probed now (offline, for the
# table), one left absent.
free=()
for i in $range; do
	[ -e "$MEM/memory$i" ] || free+=("$i")
done
if [ ${#free[@]} -lt 3 ]; then
	tap_not_ok "rust-driver: three free blocks in memory32-39" "present: $(memory_blocks | tr '\n' ' ')"
	exit 0
fi
off=${free[0]} absent=${free[1]} probed=${free[2]}
# The uevents of the memory subsystem while COMMAND... runs, block names
# made alike (memoryN -> memoryX) and timestamps dropped.
uevents() {
	local f
	f=$(mktemp /tmp/uevents.XXXXXX)
	udevadm monitor --kernel --subsystem-match=memory > "$f" 2>&1 &
	local mon=$!
	wait_for 10 grep -q 'monitor will print' "$f"
	"$@" > /dev/null
	sleep 1
	kill $mon
	wait $mon 2> /dev/null
	sed -n 's/^KERNEL\[[0-9. ]*\] *//p' "$f" | sed 's/memory[0-9][0-9]*/memoryX/g'
	rm -f "$f"
}
# online, offline, through state and online, of block $1.
cycle() {
	sysfs_write $MEM/memory$1/state online_movable
	sysfs_write $MEM/memory$1/state offline
	sysfs_write $MEM/memory$1/online 1
	sysfs_write $MEM/memory$1/online 0
}
# chmem on block $1, then the block's state: what userspace's tool sees.
chmem_run() {
	local o
	o=$(chmem -v -e -b "$1" 2>&1; echo "rc=$?"; cat $MEM/memory$1/state)
	o+=" / $(chmem -v -e -b "$1" 2>&1; echo "rc=$?")"
	o+=" / $(chmem -v -d -b "$1" 2>&1; echo "rc=$?"; cat $MEM/memory$1/state)"
	echo "$o" | tr '\n' ' '
}
lsmem_all() {
	lsmem 2>&1; echo "rc=$?"
	lsmem -J 2>&1; echo "rc=$?"
	lsmem -o +NODE,ZONES 2>&1; echo "rc=$?"
}

progress "rust-driver: the built-in driver: uevents, errno table, lsmem, chmem"
c_probe_events=$(uevents sysfs_write $MEM/probe "$(printf '0x%x' $((off * bs)))")
expect "rust-driver: probe memory$off (built-in driver)" "$(cat $MEM/memory$off/state 2>&1)" offline

# What the rejected writes may not change.
snapshot() {
	local b
	for b in $(memory_blocks); do echo "$b $(cat $MEM/$b/state) $(cat $MEM/$b/online)"; done
	cat $MEM/auto_online_blocks
	grep -E '^(MemTotal|HardwareCorrupted):' /proc/meminfo
	cat /proc/iomem
}
table() { /usr/bin/python3 "$DIR/errno-table.py" "$bs" "$off" "$absent"; }

c_events=$(uevents cycle "$off")
c_chmem=$(chmem_run "$off")
s0=$(snapshot)
c_table=$(table)
expect "rust-driver: the rejected writes changed nothing (built-in driver)" "$(snapshot)" "$s0"

dump0=$(bash "$DIR/dump.sh")
lsmem0=$(lsmem_all)
# What the comparisons below compare must be there: the built-in driver's
# lsmem ran, chmem onlined and offlined, the probe sent its uevent.
expect "rust-driver: with the built-in driver: lsmem ran three times, chmem worked, the probe sent one uevent" \
	"$(grep -c '^rc=0$' <<< "$lsmem0") $(grep -o 'rc=[0-9]*' <<< "$c_chmem" | tr '\n' ' ')$(grep -c . <<< "$c_probe_events")" \
	"3 rc=0 rc=0 rc=0 1"
mark=$(dmesg | wc -l)
expect "rust-driver: modprobe $DRV" "$(modprobe $DRV 2>&1; echo "rc=$?")" "rc=0"
expect "rust-driver: $DRV says it serves the blocks" \
	"$(dmesg_since "$mark" | grep -c "$DRV: serving the memory blocks")" 1
expect "rust-driver: the memory block devices are served by $DRV" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by $DRV")" 1
dump_equal() {
	local got
	got=$(bash "$DIR/dump.sh")
	if [ "$got" = "$2" ]; then
		tap_ok "$1 ($(wc -l <<< "$got") lines)"
	else
		tap_not_ok "$1" "$(diff <(echo "$2") <(echo "$got") | head -20)"
	fi
}
dump_equal "rust-driver: the sysfs dump is the same after modprobe" "$dump0"
expect "rust-driver: lsmem, lsmem -J and lsmem -o +NODE,ZONES are the same after modprobe" \
	"$(lsmem_all)" "$lsmem0"

progress "rust-driver: the same with $DRV loaded"
# The table, with the Rust driver: each case gives what it gave before.
rust_table=$(table)
n=0
while IFS= read -r c && IFS= read -r r <&3; do
	n=$((n + 1))
	if [ "$c" = "$r" ]; then
		tap_ok "rust-driver: ${c% -> *} -> ${c##* -> } (built-in), ${r##* -> } (Rust)"
	else
		tap_not_ok "rust-driver: ${c% -> *}: the same errno as the built-in driver" \
			"built-in: $c" "Rust:     $r"
	fi
done < <(echo "$c_table") 3< <(echo "$rust_table")
# The cases that reach the driver's offline (a boot block holding a
# reserved page) must give EBUSY, not merely the same errno twice.
expect "rust-driver: the reserved block's offline (state, online) gives EBUSY under both drivers" \
	"$(grep -E "^memory[0-9]+/(state|online) root b'(offline|0)' -> " <<< "$c_table$(echo; echo "$rust_table")" | grep -v "^memory0/\|^memory$off/" | sed 's/.* -> //' | tr '\n' ' ')" \
	"EBUSY EBUSY EBUSY EBUSY "
expect "rust-driver: the table has as many cases both times (at least 40)" \
	"$n $(( $(wc -l <<< "$rust_table") >= 40 ))" "$(wc -l <<< "$c_table") 1"
expect "rust-driver: the rejected writes changed nothing (Rust driver)" "$(snapshot)" "$s0"

# What userspace sees of onlines and offlines: the same uevents, and the
# same from chmem.
r_events=$(uevents cycle "$off")
if [ "$r_events" = "$c_events" ] && [ "$(grep -c . <<< "$c_events")" = 4 ]; then
	tap_ok "rust-driver: the uevents of an online/offline cycle (state, online) are the built-in driver's: $(tr '\n' ',' <<< "$r_events")"
else
	tap_not_ok "rust-driver: the uevents of an online/offline cycle are the built-in driver's (4)" \
		"built-in:" "$c_events" "Rust:" "$r_events"
fi
expect "rust-driver: chmem -e, -e again and -d on memory$off give what they gave with the built-in driver" \
	"$(chmem_run "$off")" "$c_chmem"

# A probe, onlines and an offline, through the Rust driver.
total0=$(mem_total_kb)
blk=$MEM/memory$probed
r_probe_events=$(uevents sysfs_write $MEM/probe "$(printf '0x%x' $((probed * bs)))")
expect "rust-driver: probe memory$probed" "$(cat $blk/state 2>&1)" offline
expect "rust-driver: the uevents of the probe are the built-in driver's" "$r_probe_events" "$c_probe_events"
expect "rust-driver: memory$probed: state, phys_index, phys_device, removable" \
	"$(cat $blk/state $blk/phys_index $blk/phys_device $blk/removable | tr '\n' ' ')" \
	"offline $(printf '%08x' "$probed") 0 1 "
# Which of the two comes first depends on the zones' spans (the dumps
# compare the value with the built-in driver's).
case "$(cat $blk/valid_zones)" in
"Normal Movable"|"Movable Normal") tap_ok "rust-driver: memory$probed valid_zones: $(cat $blk/valid_zones)" ;;
*) tap_not_ok "rust-driver: memory$probed valid_zones: Normal and Movable" "got '$(cat $blk/valid_zones)'" ;;
esac
expect "rust-driver: online_kernel memory$probed" "$(sysfs_write $blk/state online_kernel)" OK
expect "rust-driver: memory$probed is online in Normal" "$(cat $blk/state $blk/online $blk/valid_zones | tr '\n' ' ')" "online 1 Normal "
expect "rust-driver: MemTotal grew by one block" "$(mem_total_kb)" "$((total0 + bs / 1024))"
expect "rust-driver: offline memory$probed" "$(sysfs_write $blk/state offline)" OK
expect "rust-driver: online memory$probed through its online file (default zone)" \
	"$(sysfs_write $blk/online 1) $(cat $blk/state)" "OK online"
expect "rust-driver: offline memory$probed through its online file" \
	"$(sysfs_write $blk/online 0) $(cat $blk/state $blk/online | tr '\n' ' ')" "OK offline 0 "
expect "rust-driver: online_movable memory$probed" "$(sysfs_write $blk/state online_movable) $(cat $blk/valid_zones)" "OK Movable"
progress "rust-driver: the kernel stack of an offlining writer"
# Proof that the Rust code runs: the kernel stack of a writer offlining a
# block (held in offline_pages() by a pinned page) has the driver's frames.
stack=$(bash "$DIR/offline-stack.sh" $range)
# Rust serves the file (store_callback of the driver's BlockState) and the
# offline operation (the driver's, which calls Offlining::offline_pages; its
# own frame may be a tail call): both must be there, and not the built-in
# memory_subsys_offline.
if ! grep -q '^error' <<< "$stack" &&
	grep -q 'store_callback.*rust_memory_block.*BlockState' <<< "$stack" &&
	grep -q 'Offlining.*offline_pages' <<< "$stack" &&
	! grep -qx 'memory_subsys_offline' <<< "$stack"; then
	tap_ok "rust-driver: a writer offlining $(sed -n 's/^block //p' <<< "$stack") runs the Rust driver: its kernel stack has the Rust state file and Offlining::offline_pages, not memory_subsys_offline"
else
	tap_not_ok "rust-driver: a writer offlining a movable block runs the Rust driver (the Rust state file and Offlining::offline_pages in its kernel stack)" "$stack"
fi
expect "rust-driver: offline memory$probed again" "$(sysfs_write $blk/state offline)" OK
expect "rust-driver: MemTotal back" "$(mem_total_kb)" "$total0"

progress "rust-driver: the upstream selftest with $DRV loaded"
# The upstream selftest, with the Rust driver serving.
bash "$DIR/kselftest.sh" "$KSFT" | sed 's/^\(\(not \)\?ok - \)kselftest: /\1rust-driver: kselftest: /'

progress "rust-driver: rmmod $DRV"
dump1=$(bash "$DIR/dump.sh")
lsmem1=$(lsmem_all)
mark=$(dmesg | wc -l)
expect "rust-driver: rmmod $DRV" "$(rmmod $DRV 2>&1; echo "rc=$?")" "rc=0"
expect "rust-driver: the built-in driver serves again" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by the built-in driver")" 1
dump_equal "rust-driver: the sysfs dump is the same after rmmod" "$dump1"
expect "rust-driver: lsmem, lsmem -J and lsmem -o +NODE,ZONES are the same after rmmod" \
	"$(lsmem_all)" "$lsmem1"
# The control: the same with the built-in driver shows its frames, no Rust.
# It needs a block of memory32-39 online in ZONE_MOVABLE (the one of the
# Rust stack is, unless the selftest offlined it).
[ -n "$(movable_blocks $range)" ] || [ "$(cat $blk/state)" != offline ] || sysfs_write $blk/state online_movable > /dev/null
expect "rust-driver: a block of memory32-39 is online in ZONE_MOVABLE for the control" "$(movable_blocks $range | head -1 | grep -c .)" 1
stack=$(bash "$DIR/offline-stack.sh" $range)
if ! grep -q '^error' <<< "$stack" && grep -qx 'memory_subsys_offline' <<< "$stack" && grep -qx 'offline_pages' <<< "$stack" &&
	! grep -q 'rust_memory_block\|6kernel6memory' <<< "$stack"; then
	tap_ok "rust-driver: the control: after rmmod the stack of a writer offlining $(sed -n 's/^block //p' <<< "$stack") has memory_subsys_offline and no Rust frame"
else
	tap_not_ok "rust-driver: the control: after rmmod the writer's stack has memory_subsys_offline and no Rust frame" "$stack"
fi
echo "$auto" > $MEM/auto_online_blocks
