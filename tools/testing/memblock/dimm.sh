#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# ACPI memory hot-add and eject: the host plugs a pc-dimm into QEMU over QMP,
# the guest's ACPI memory driver adds its blocks; we online them movable and
# check MemTotal, then unplug it (ACPI eject offlines and removes the blocks).
#
# With memory_hotplug.memmap_on_memory=force the blocks carry their own
# memmap (the altmap path): MemTotal then grows by less than the DIMM.
# Otherwise, a page of the DIMM is soft-offlined while it is online: the
# poison is counted in HardwareCorrupted and in the block, and removing the
# block gives it back (remove_memory_block_devices() clears the block's
# nr_hwpoison), so after the eject HardwareCorrupted is as before.
. "$(dirname "$0")/lib.sh"
SIZE=$((256 << 20))
NODE=${DIMM_NODE:-1}
mode=$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory 2>/dev/null)
MOD=test_memory_block_provider
T="dimm"
[ "$mode" = force ] && T="$T, memmap_on_memory=force"
[ -n "${DIMM_PROVIDER:-}" ] && T="$T, ejected under $MOD"
[ "${DIMM_DRIVER:-}" = rust ] && T="$T, through rust_memory_block"
[ "$T" = dimm ] || T="${T/dimm, /dimm (})"
progress "$T: ACPI hot-add of a ${SIZE}-byte pc-dimm on node $NODE, online, eject"

bs=$(block_size)
nnew=$((SIZE / bs))
before=$(memory_blocks)
total0=$(mem_total_kb)
hwc0=$(hw_corrupted_kb)
new_blocks() { blocks_added "$before"; }
have_new() { [ "$(new_blocks | wc -l)" = "$nnew" ]; }
no_new() { [ -z "$(new_blocks)" ]; }

# With DIMM_DRIVER=rust, the Rust driver serves from the hot-add to the
# eject: the ACPI hot-add's auto-online (auto_online_blocks online_movable,
# written through it), the soft offline and the eject's offlines are its,
# each with its served-by proof (lib.sh).
RUST=
if [ "${DIMM_DRIVER:-}" = rust ]; then
	RUST=1
	served_setup
	mark=$(dmesg | wc -l)
	expect "$T: modprobe rust_memory_block" "$(modprobe rust_memory_block 2>&1; echo "rc=$?")" "rc=0"
	expect "$T: the memory block devices are served by rust_memory_block" \
		"$(dmesg_since "$mark" | grep -c "memory: memory block devices served by rust_memory_block")" 1
	auto0=$(cat $MEM/auto_online_blocks)
	served_mark
	expect "$T: auto_online_blocks online_movable" "$(sysfs_write $MEM/auto_online_blocks online_movable)" OK
fi
r=$(qmp_ram_backend_add dimm0 $SIZE)
expect "$T: QMP object-add memory-backend-ram" "$r" '{"return": {}}'
r=$(qmp_dimm_add dimm0 $NODE)
expect "$T: QMP device_add pc-dimm" "$r" '{"return": {}}'
if ! wait_for 120 have_new; then
	tap_not_ok "$T: the ACPI driver added $nnew blocks" "new blocks: '$(new_blocks | tr '\n' ' ')'" "$(dmesg | tail -20)"
	exit 0
fi
blocks=$(new_blocks | tr '\n' ' ')
tap_ok "$T: the ACPI driver added $nnew blocks ($blocks)"
all_online() { for b in $blocks; do [ "$(cat $MEM/$b/state)" = online ] || return 1; done; }
# The hot-add onlines them (the Rust driver's): the wait ends when it did.
[ -z "$RUST" ] || wait_for 60 all_online

states= links= err=
for b in $blocks; do
	states="$states$(cat $MEM/$b/state) "
	links="$links$(cd $MEM/$b && ls -d node* | tr '\n' ' ')"
done
if [ -n "$RUST" ]; then
	echo "$auto0" > $MEM/auto_online_blocks
	expect "$T: new blocks are online in Movable (the hot-add's auto-online)" \
		"$states$(for b in $blocks; do cat $MEM/$b/valid_zones; done | tr '\n' ' ')" \
		"$(printf 'online %.0s' $blocks)$(printf 'Movable %.0s' $blocks)"
else
	expect "$T: new blocks are offline (auto_online_blocks=offline)" "$states" "$(printf 'offline %.0s' $blocks)"
fi
expect "$T: new blocks are linked to node$NODE" "$links" "$(printf "node$NODE %.0s" $blocks)"
if [ -n "$RUST" ]; then
	served "$T: the ACPI hot-add's auto-online" rust auto_online_blocks_store online
else
	for b in $blocks; do
		r=$(sysfs_write $MEM/$b/state online_movable)
		[ "$r" = OK ] || err="$err$b: $r "
	done
	expect "$T: online_movable every new block" "$err" ""
fi
gain=$(( ($(mem_total_kb) - total0) * 1024 ))
if [ "$mode" = force ]; then
	if [ "$gain" -lt "$SIZE" ] && [ "$gain" -gt $((SIZE * 9 / 10)) ]; then
		tap_ok "$T: MemTotal grew by $gain bytes, less than the DIMM by its memmap ($((SIZE - gain)) bytes)"
	else
		tap_not_ok "$T: MemTotal grew by less than the DIMM (memmap in the DIMM)" \
			"grew by $gain bytes, DIMM is $SIZE: the altmap path did not run" "$(dmesg | grep -i memmap)"
	fi
else
	expect "$T: MemTotal grew by the DIMM's size" "$gain" "$SIZE"
fi
H="hwpoison${T#dimm}"
last=${blocks% }
last=${last##* }
addr=$(printf '0x%x' $((16#$(cat $MEM/$last/phys_index) * bs + bs / 2)))
[ -z "$RUST" ] || served_mark
expect "$H: soft_offline_page $addr (in $last, online movable)" \
	"$(sysfs_write $MEM/soft_offline_page $addr)" OK
[ -z "$RUST" ] || served "$H: soft_offline_page" rust soft_offline_page_store
expect "$H: HardwareCorrupted grew by one page" "$(hw_corrupted_kb)" "$((hwc0 + 4))"
expect "$H: $last is still online" "$(cat $MEM/$last/state)" online

# With DIMM_DRIVER=rust: the block with the poisoned page offlines, and
# onlining it again is refused with EHWPOISON by the Rust driver as by the
# built-in one (its poison count).  Unloading and loading the driver again
# with the DIMM's other blocks online (their memmap in the DIMM with
# memmap_on_memory) changes nothing in the sysfs dump.
if [ -n "$RUST" ]; then
	served_mark
	expect "$H: offline $last (a page of it poisoned)" "$(sysfs_write $MEM/$last/state offline)" OK
	served "$H: offline $last" rust state_store offline
	served_mark
	r_online=$(sysfs_write $MEM/$last/state online; sysfs_write $MEM/$last/online 1; cat $MEM/$last/state)
	served "$H: onlining $last through state and online (refused)" rust state_store online state_show
	dump0=$(bash "$(dirname "$0")/dump.sh")
	expect "$T: rmmod rust_memory_block with the DIMM online" "$(rmmod_retry rust_memory_block 2>&1; echo "rc=$?")" "rc=0"
	expect "$T: the sysfs dump is the same after rmmod" "$(bash "$(dirname "$0")/dump.sh" | cmp -s - <(echo "$dump0") && echo same)" same
	served_mark
	c_online=$(sysfs_write $MEM/$last/state online; sysfs_write $MEM/$last/online 1; cat $MEM/$last/state)
	served "$H: onlining $last through state and online (refused), after rmmod" c state_store online state_show
	expect "$H: onlining $last through state and online: EHWPOISON and still offline with the built-in driver" \
		"$(echo $c_online)" "EHWPOISON EHWPOISON offline"
	expect "$H: the same with rust_memory_block" "$(echo $r_online)" "$(echo $c_online)"
	expect "$T: modprobe rust_memory_block with the DIMM online" "$(modprobe rust_memory_block 2>&1; echo "rc=$?")" "rc=0"
	expect "$T: the sysfs dump is the same after modprobe" "$(bash "$(dirname "$0")/dump.sh" | cmp -s - <(echo "$dump0") && echo same)" same
fi

# With DIMM_PROVIDER, test_memory_block_provider serves the blocks now,
# and the eject offlines them through its offline operation.
firmware_node() { basename "$(readlink "$MEM/$1/firmware_node" 2>/dev/null)" 2>/dev/null; }
if [ -n "${DIMM_PROVIDER:-}" ]; then
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	fw=$(firmware_node "$last")
	if [ -n "$fw" ]; then
		tap_ok "$T: $last is bound to ACPI device $fw"
	else
		tap_not_ok "$T: $last is bound to an ACPI device" "no firmware_node link"
	fi
	expect "$T: modprobe $MOD" "$(modprobe $MOD 2>&1; echo "rc=$?")" "rc=0"
	expect "$T: $last is bound to the same ACPI device under the provider" "$(firmware_node "$last")" "$fw"
	off0=$(provider_count offline)
fi

[ -z "$RUST" ] || served_mark
r=$(qmp_dimm_del dimm0)
expect "$T: QMP device_del pc-dimm" "$r" '{"return": {}}'
if wait_for 120 no_new; then
	tap_ok "$T: ACPI eject offlined and removed $blocks"
else
	tap_not_ok "$T: ACPI eject offlined and removed $blocks" \
		"left: $(for b in $(new_blocks); do echo "$b $(cat $MEM/$b/state)"; done | tr '\n' ' ')" "$(dmesg | tail -20)"
fi
expect "$T: MemTotal back to its value before" "$(mem_total_kb)" "$total0"
[ -z "$RUST" ] || served "$T: the ACPI eject's offlines" rust offline
expect "$H: removing the block cleared its poisoned page from HardwareCorrupted" \
	"$(hw_corrupted_kb)" "$hwc0"
if [ -n "${DIMM_PROVIDER:-}" ]; then
	off=$(provider_count offline)
	expect "$T: the eject offlined the $nnew blocks through the provider's offline operation ($off0 -> $off)" \
		"$((off - off0))" "$nnew"
	expect "$T: rmmod $MOD" "$(rmmod_retry $MOD 2>&1; echo "rc=$?")" "rc=0"
fi
if [ "${DIMM_DRIVER:-}" = rust ]; then
	expect "$T: rmmod rust_memory_block" "$(rmmod_retry rust_memory_block 2>&1; echo "rc=$?")" "rc=0"
fi
r=$(qmp_object_del dimm0)
expect "$T: QMP object-del the backend" "$r" '{"return": {}}'
