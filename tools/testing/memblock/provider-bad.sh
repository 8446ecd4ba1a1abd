#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The core polices its provider: test_memory_block_provider, told to
# break the rules in one way at a time (debugfs "bad"), onlines and offlines
# the first block of an ACPI DIMM.  Each time the core must repair the
# block from its pages (state, zone, the result userspace gets, and so the
# device's "online" file), with one warning naming the provider, and the
# block must stay usable; the DIMM is then ejected (its blocks offlined
# through the provider and removed) with no splat.
. "$(dirname "$0")/lib.sh"
MOD=test_memory_block_provider
DBG=/sys/kernel/debug/$MOD
SIZE=$((256 << 20))
progress "provider-bad: $MOD breaks the rules, the core repairs the block"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

bs=$(block_size)
nnew=$((SIZE / bs))
before=$(memory_blocks)
auto0=$(cat $MEM/auto_online_blocks)
expect "provider-bad: auto_online_blocks offline" "$(sysfs_write $MEM/auto_online_blocks offline)" OK
expect "provider-bad: QMP object-add memory-backend-ram" "$(qmp_ram_backend_add bad0 $SIZE)" '{"return": {}}'
expect "provider-bad: QMP device_add pc-dimm" "$(qmp_dimm_add bad0 1)" '{"return": {}}'
have_new() { [ "$(blocks_added "$before" | wc -l)" = "$nnew" ]; }
if ! wait_for 120 have_new; then
	tap_not_ok "provider-bad: the ACPI driver added $nnew blocks" "$(dmesg | tail -20)"
	exit 0
fi
b=$(blocks_added "$before" | head -1)
blk=$MEM/$b
tap_ok "provider-bad: the ACPI driver added $nnew blocks, the first $b"
expect "provider-bad: modprobe $MOD" "$(modprobe $MOD 2>&1; echo "rc=$?")" rc=0

# case NAME BAD WRITE WANT: with "bad" = BAD, write WRITE to the block's
# state; WANT is the write's result, the state, the online file and whether
# valid_zones names a zone; one "repaired" warning naming the provider.
case_bad() {
	local name=$1 bad=$2 write=$3 want=$4 mark got zone
	echo "$bad" > "$DBG/bad"
	mark=$(dmesg | wc -l)
	got=$(sysfs_write "$blk/state" "$write")
	echo 0 > "$DBG/bad"
	zone=$(cat "$blk/valid_zones")
	case "$(cat "$blk/state")" in online) [ "$zone" = none ] && zone=none || zone=zone ;; *) zone=- ;; esac
	expect "provider-bad: $name: $write gives $want" \
		"$got $(cat "$blk/state") $(cat "$blk/online") $zone" "$want"
	expect "provider-bad: $name: one warning naming the provider, repaired" \
		"$(dmesg_since "$mark" | grep -c "provider $MOD: .* repaired")" 1
}
case_bad "online does nothing, returns 0" 2 online "EIO offline 0 -"
case_bad "online marks the block online, pages offline, returns 0" 7 online_movable "EIO offline 0 -"
case_bad "online onlines, leaves going-offline, returns EIO" 1 online_movable "OK online 1 zone"
expect "provider-bad: offline again" "$(sysfs_write "$blk/state" offline) $(cat "$blk/state")" "OK offline"
case_bad "online onlines, leaves no zone" 3 online_movable "OK online 1 zone"
expect "provider-bad: the zone is the one onlined to" "$(cat "$blk/valid_zones")" Movable
expect "provider-bad: offline again" "$(sysfs_write "$blk/state" offline) $(cat "$blk/state")" "OK offline"
case_bad "online onlines, leaves another zone" 9 online_movable "OK online 1 zone"
expect "provider-bad: the zone is the one onlined to, again" "$(cat "$blk/valid_zones")" Movable
expect "provider-bad: offline again" "$(sysfs_write "$blk/state" offline) $(cat "$blk/state")" "OK offline"
case_bad "online onlines, returns EIO" 4 online_movable "OK online 1 zone"
case_bad "offline does nothing, returns 0" 8 offline "EIO online 1 zone"
case_bad "offline leaves going-offline, returns EBUSY" 6 offline "EBUSY online 1 zone"
case_bad "offline offlines, returns EIO" 5 offline "OK offline 0 -"
expect "provider-bad: the block onlines and offlines as it should afterwards" \
	"$(sysfs_write "$blk/state" online_movable) $(cat "$blk/state") $(sysfs_write "$blk/state" offline) $(cat "$blk/state") $(sysfs_write "$blk/state" online_movable)" \
	"OK online OK offline OK"

# The eject offlines the online block through the provider, then removes
# both: memory hot-remove BUG()s on a block it finds online.
progress "provider-bad: eject the DIMM"
expect "provider-bad: QMP device_del pc-dimm" "$(qmp_dimm_del bad0)" '{"return": {}}'
gone() { [ -z "$(blocks_added "$before")" ]; }
if wait_for 120 gone; then
	tap_ok "provider-bad: the eject removed the DIMM's blocks"
else
	tap_not_ok "provider-bad: the eject removed the DIMM's blocks" "left: $(blocks_added "$before" | tr '\n' ' ')" "$(dmesg | tail -20)"
fi
expect "provider-bad: QMP object-del the backend" "$(qmp_object_del bad0)" '{"return": {}}'
expect "provider-bad: rmmod $MOD" "$(rmmod_retry $MOD 2>&1; echo "rc=$?")" rc=0
sysfs_write $MEM/auto_online_blocks "$auto0" > /dev/null
