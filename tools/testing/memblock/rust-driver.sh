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
# Every measurement made with it loaded has its served-by proof (lib.sh's
# served: kprobe hit counts of the Rust driver's functions and of
# memory.c's during the measurement), and so do the controls with the
# built-in driver, before modprobe and after rmmod; the kernel stack of a
# writer offlining a block (offline-stack.sh) shows the Rust frames too.
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
KSFT=${1:?usage: rust-driver.sh INSTALLED_KSELFTEST_DIR}
DRV=rust_memory_block
progress "rust-driver: $DRV against the built-in driver"

if ! modinfo $DRV > /dev/null 2>&1; then
	tap_not_ok "rust-driver: $DRV.ko is installed" "modinfo $DRV: $(modinfo $DRV 2>&1)"
	exit 0
fi
served_setup
if [ -s "$SERVED_MISSING" ]; then
	# Not a failure of its own: each proof that needs one says so.
	progress "rust-driver: functions with no kprobe: $(tr '\n' ' ' < "$SERVED_MISSING")"
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
# (A probe with auto-online through the Rust driver is rust-race's: it
# needs the free blocks left.)
off=${free[0]} absent=${free[1]} probed=${free[2]}
# The uevents of the memory subsystem while COMMAND... runs, block names
# made alike (memoryN -> memoryX) and timestamps dropped; what COMMAND
# printed goes to $UEVENTS_OUT.  They are
# collected until the subsystem is quiet: udevadm settle, then until the
# monitor has printed nothing new for 0.5 s (at most 10 s).
uevents() {
	local f size i
	f=$(mktemp /tmp/uevents.XXXXXX)
	udevadm monitor --kernel --subsystem-match=memory > "$f" 2>&1 &
	local mon=$!
	wait_for 10 grep -q 'monitor will print' "$f" || echo "uevents: udevadm monitor did not start in 10 s" >&2
	"$@" > "$UEVENTS_OUT"
	udevadm settle --timeout=10 2> /dev/null
	size=-1
	for i in $(seq 20); do
		[ "$(wc -c < "$f")" != "$size" ] || break
		size=$(wc -c < "$f")
		sleep 0.5
	done
	[ "$i" -lt 20 ] || echo "uevents: the memory subsystem was not quiet after 10 s" >&2
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
# An online of block $1 while the memory notifier chain fails
# MEM_GOING_ONLINE with ENOMEM (memory-notifier-error-inject): its result
# and the block's state after it.
INJECT=/sys/kernel/debug/notifier-error-inject/memory/actions
# inject ACTION BLOCK REQUEST: the state write REQUEST to block BLOCK while
# the chain fails ACTION with ENOMEM: its result, then the block's state.
inject() {
	modprobe memory-notifier-error-inject || return
	echo -12 > $INJECT/$1/error
	sysfs_write $MEM/memory$2/state "$3"
	echo 0 > $INJECT/$1/error
	modprobe -r memory-notifier-error-inject
	cat $MEM/memory$2/state
}
inject_online() { inject MEM_GOING_ONLINE "$1" online_movable; }
# The same for an offline (MEM_GOING_OFFLINE): block $1 onlined first, the
# refused offline's result, the state after it, then the offline without
# the error.
inject_offline() {
	sysfs_write $MEM/memory$1/state online_movable
	inject MEM_GOING_OFFLINE "$1" offline
	sysfs_write $MEM/memory$1/state offline
}
UEVENTS_OUT=$(mktemp /tmp/uevents-out.XXXXXX)
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
	block_files state online
	cat $MEM/auto_online_blocks
	echo "MemTotal: $(mem_total_kb) kB HardwareCorrupted: $(hw_corrupted_kb) kB"
	cat /proc/iomem
}
table() { /usr/bin/python3 "$DIR/errno-table.py" "$bs" "$off" "$absent"; }

served_mark
c_events=$(uevents cycle "$off")
expect "rust-driver: online/offline cycle of memory$off through state and online, before modprobe" \
	"$(tr '\n' ' ' < "$UEVENTS_OUT")" "OK OK OK OK "
served "rust-driver: online/offline cycle of memory$off through state and online, before modprobe" c state_store online offline
c_chmem=$(chmem_run "$off")
served_mark
c_inject=$(inject_online "$off" | tr '\n' ' ')
expect "rust-driver: an injected MEM_GOING_ONLINE error refuses the online of memory$off, which stays offline (built-in driver)" \
	"$c_inject" "ENOMEM offline "
served "rust-driver: the online refused by an injected error, before modprobe" c state_store online
served_mark
c_inject_off=$(inject_offline "$off" | tr '\n' ' ')
expect "rust-driver: an injected MEM_GOING_OFFLINE error refuses the offline of memory$off, which stays online (built-in driver)" \
	"$c_inject_off" "OK ENOMEM online OK "
served "rust-driver: the offline refused by an injected error, before modprobe" c state_store offline
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
served_mark
dump_equal "rust-driver: the sysfs dump is the same after modprobe" "$dump0"
served "rust-driver: the sysfs dump after modprobe" rust $SERVED_DUMP
served_mark
expect "rust-driver: lsmem, lsmem -J and lsmem -o +NODE,ZONES are the same after modprobe" \
	"$(lsmem_all)" "$lsmem0"
served "rust-driver: lsmem after modprobe" rust state_show valid_zones_show

progress "rust-driver: the same with $DRV loaded"
# The table, with the Rust driver: each case gives what it gave before,
# and each says which driver gave it: a "driver" case is served by the
# built-in driver's functions only before modprobe, by the Rust driver's
# only with it loaded; a "control" case, refused before any driver runs,
# runs none.
rust_table=$(table)
cases() { sed 's/ -> .*//' <<< "$1"; }
if [ "$(cases "$c_table")" = "$(cases "$rust_table")" ] && [ "$(wc -l <<< "$c_table")" -ge 40 ]; then
	tap_ok "rust-driver: the two tables have the same $(wc -l <<< "$c_table") cases, in the same order"
else
	tap_not_ok "rust-driver: the two tables have the same cases (at least 40), in the same order" \
		"$(diff <(cases "$c_table") <(cases "$rust_table"))"
fi
# only_of PREFIX RAN: every function in RAN is PREFIX's, and there is one.
only_of() { [ "$2" != none ] && ! tr ' ' '\n' <<< "$2" | grep -qv "^$1_"; }
while IFS= read -r c && IFS= read -r r <&3; do
	case=${c%% -> *} what=${case#* }
	c_res=${c##* -> } r_res=${r##* -> }
	c_ran=${c_res#* | } r_ran=${r_res#* | }
	c_res=${c_res%% | *} r_res=${r_res%% | *}
	if [ "${case%% *}" = control ]; then
		if [ "$c_res" = "$r_res" ] && [ "$c_ran" = none ] && [ "$r_ran" = none ]; then
			tap_ok "rust-driver: control: $what -> $c_res (built-in), $r_res (Rust), refused before any driver ran"
		else
			tap_not_ok "rust-driver: control: $what: the same errno, refused before any driver ran" \
				"built-in: $c" "Rust:     $r"
		fi
	elif [ "$c_res" = "$r_res" ] && only_of c "$c_ran" && only_of rs "$r_ran"; then
		tap_ok "rust-driver: $what -> $c_res (built-in: $c_ran), $r_res (Rust: $r_ran)"
	else
		tap_not_ok "rust-driver: $what: the same errno as the built-in driver, each served by its own driver" \
			"built-in: $c" "Rust:     $r"
	fi
done < <(echo "$c_table") 3< <(echo "$rust_table")
# The cases that reach the driver's offline (a boot block holding a
# reserved page) must give EBUSY, not merely the same errno twice.
expect "rust-driver: the reserved block's offline (state, online) gives EBUSY under both drivers" \
	"$(grep -E "^driver memory[0-9]+/(state|online) root b'(offline|0)' -> " <<< "$c_table$(echo; echo "$rust_table")" |
		grep -v "^driver memory0/\|^driver memory$off/" | sed 's/.* -> \([A-Z0-9]*\) .*/\1/' | tr '\n' ' ')" \
	"EBUSY EBUSY EBUSY EBUSY "
expect "rust-driver: the rejected writes changed nothing (Rust driver)" "$(snapshot)" "$s0"

# What userspace sees of onlines and offlines: the same uevents, and the
# same from chmem.
served_mark
r_events=$(uevents cycle "$off")
expect "rust-driver: online/offline cycle of memory$off through state and online" \
	"$(tr '\n' ' ' < "$UEVENTS_OUT")" "OK OK OK OK "
served "rust-driver: online/offline cycle of memory$off through state and online" rust state_store online offline
if [ "$r_events" = "$c_events" ] && [ "$(grep -c . <<< "$c_events")" = 4 ]; then
	tap_ok "rust-driver: the uevents of an online/offline cycle (state, online) are the built-in driver's: $(tr '\n' ',' <<< "$r_events")"
else
	tap_not_ok "rust-driver: the uevents of an online/offline cycle are the built-in driver's (4)" \
		"built-in:" "$c_events" "Rust:" "$r_events"
fi
served_mark
expect "rust-driver: chmem -e, -e again and -d on memory$off give what they gave with the built-in driver" \
	"$(chmem_run "$off")" "$c_chmem"
served "rust-driver: chmem -e, -e, -d" rust state_store online offline
served_mark
expect "rust-driver: an injected MEM_GOING_ONLINE error refuses the online of memory$off, which stays offline (Rust driver)" \
	"$(inject_online "$off" | tr '\n' ' ')" "$c_inject"
served "rust-driver: the online refused by an injected error" rust state_store online
served_mark
expect "rust-driver: an injected MEM_GOING_OFFLINE error refuses the offline of memory$off, which stays online (Rust driver)" \
	"$(inject_offline "$off" | tr '\n' ' ')" "$c_inject_off"
served "rust-driver: the offline refused by an injected error" rust state_store offline

# A probe, onlines and an offline, through the Rust driver.
total0=$(mem_total_kb)
blk=$MEM/memory$probed
served_mark
r_probe_events=$(uevents sysfs_write $MEM/probe "$(printf '0x%x' $((probed * bs)))")
served "rust-driver: probe memory$probed" rust probe_store
expect "rust-driver: probe memory$probed" "$(cat $blk/state 2>&1)" offline
expect "rust-driver: the uevents of the probe are the built-in driver's" "$r_probe_events" "$c_probe_events"
served_mark
expect "rust-driver: memory$probed: state, phys_index, phys_device, removable" \
	"$(cat $blk/state $blk/phys_index $blk/phys_device $blk/removable | tr '\n' ' ')" \
	"offline $(printf '%08x' "$probed") 0 1 "
served "rust-driver: memory$probed: state, phys_index, phys_device, removable" rust \
	state_show phys_index_show phys_device_show removable_show
# Which of the two comes first depends on the zones' spans (the dumps
# compare the value with the built-in driver's).
served_mark
zones=$(cat $blk/valid_zones)
case "$zones" in
"Normal Movable"|"Movable Normal") tap_ok "rust-driver: memory$probed valid_zones: $zones" ;;
*) tap_not_ok "rust-driver: memory$probed valid_zones: Normal and Movable" "got '$zones'" ;;
esac
served "rust-driver: memory$probed valid_zones" rust valid_zones_show
served_mark
expect "rust-driver: online_kernel memory$probed" "$(sysfs_write $blk/state online_kernel)" OK
served "rust-driver: online_kernel memory$probed" rust state_store online
expect "rust-driver: memory$probed is online in Normal" "$(cat $blk/state $blk/online $blk/valid_zones | tr '\n' ' ')" "online 1 Normal "
expect "rust-driver: MemTotal grew by one block" "$(mem_total_kb)" "$((total0 + bs / 1024))"
served_mark
expect "rust-driver: offline memory$probed" "$(sysfs_write $blk/state offline)" OK
served "rust-driver: offline memory$probed" rust state_store offline
served_mark
expect "rust-driver: online memory$probed through its online file (default zone)" \
	"$(sysfs_write $blk/online 1) $(cat $blk/state)" "OK online"
served "rust-driver: online memory$probed through its online file" rust online
served_mark
expect "rust-driver: offline memory$probed through its online file" \
	"$(sysfs_write $blk/online 0) $(cat $blk/state $blk/online | tr '\n' ' ')" "OK offline 0 "
served "rust-driver: offline memory$probed through its online file" rust offline
served_mark
expect "rust-driver: online_movable memory$probed" "$(sysfs_write $blk/state online_movable) $(cat $blk/valid_zones)" "OK Movable"
served "rust-driver: online_movable memory$probed" rust state_store online
served_mark
expect "rust-driver: auto_online_blocks online_movable, then offline" \
	"$(sysfs_write $MEM/auto_online_blocks online_movable) $(cat $MEM/auto_online_blocks) $(sysfs_write $MEM/auto_online_blocks offline)" \
	"OK online_movable OK"
served "rust-driver: auto_online_blocks online_movable, then offline" rust auto_online_blocks_store auto_online_blocks_show
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
served_mark
expect "rust-driver: offline memory$probed again" "$(sysfs_write $blk/state offline)" OK
served "rust-driver: offline memory$probed again" rust state_store offline
expect "rust-driver: MemTotal back" "$(mem_total_kb)" "$total0"

progress "rust-driver: the upstream selftest with $DRV loaded"
# The upstream selftest, with the Rust driver serving.
served_mark
bash "$DIR/kselftest.sh" "$KSFT" | sed 's/^\(\(not \)\?ok - \)kselftest: /\1rust-driver: kselftest: /'
served "rust-driver: kselftest" rust state_store online offline state_show removable_show

progress "rust-driver: rmmod $DRV"
dump1=$(bash "$DIR/dump.sh")
lsmem1=$(lsmem_all)
mark=$(dmesg | wc -l)
expect "rust-driver: rmmod $DRV" "$(rmmod_retry $DRV 2>&1; echo "rc=$?")" "rc=0"
expect "rust-driver: the built-in driver serves again" \
	"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by the built-in driver")" 1
served_mark
dump_equal "rust-driver: the sysfs dump is the same after rmmod" "$dump1"
served "rust-driver: the sysfs dump after rmmod" c $SERVED_DUMP
served_mark
expect "rust-driver: lsmem, lsmem -J and lsmem -o +NODE,ZONES are the same after rmmod" \
	"$(lsmem_all)" "$lsmem1"
served "rust-driver: lsmem after rmmod" c state_show valid_zones_show
# The selftest onlined every offline block: memory$off offline again first.
[ "$(cat $MEM/memory$off/state)" = offline ] || sysfs_write $MEM/memory$off/state offline > /dev/null
served_mark
expect "rust-driver: after rmmod: online/offline cycle of memory$off, chmem -e, -e, -d" \
	"$(cycle "$off" | tr '\n' ' ')/ $(chmem_run "$off")" "OK OK OK OK / $c_chmem"
served "rust-driver: after rmmod: online/offline cycle of memory$off, chmem" c state_store online offline
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
