#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
set -u
# The memory block provider interface (patches/), through its test module:
# loading test_memory_block_provider hands every block to it, unloading
# gives them back.  The module checks each block's state both ways (its
# PASS/FAIL line in dmesg); here we check that userspace sees nothing
# change (sysfs dumps), that onlining, offlining, probing and the upstream
# selftest work while it serves, and that lockdep saw the new order
# (memory hotplug lock, then the block's device mutex).
. "$(dirname "$0")/lib.sh"
KSFT=${1:?usage: provider.sh KSELFTEST_DIR}
MOD=test_memory_block_provider
DIR=$(cd "$(dirname "$0")" && pwd)
progress "provider: hand the blocks to $MOD and back"

# expect_same_dump NAME BEFORE: the current dump equals BEFORE.
expect_same_dump() {
	local now
	now=$(bash "$DIR/dump.sh") || echo "dump.sh exited with status $?" >&2
	if [ "$now" = "$2" ]; then
		tap_ok "$1 ($(echo "$now" | wc -l) lines)"
	else
		tap_not_ok "$1" "$(diff <(echo "$2") <(echo "$now") | head -20)"
	fi
}

bs=$(block_size)
# virtio-mem memory plugged before the take-over: its blocks (in a memory
# group) are handed over too, and unplugged while the provider serves.
bash "$DIR/virtio-mem.sh" plug "provider: virtio-mem" || echo "virtio-mem.sh plug exited with status $?" >&2
before=$(bash "$DIR/dump.sh") || echo "dump.sh exited with status $?" >&2
mark=$(dmesg | wc -l)
expect "provider: modprobe $MOD" "$(modprobe $MOD 2>&1; echo "rc=$?")" "rc=0"
provider_report provider "took over"
expect_same_dump "provider: sysfs dump unchanged by the take-over" "$before"

# Hot-add with auto_online_blocks=online_movable (set by the virtio-mem
# plug): the block is onlined by mm's auto-online, through the provider.
addr=$(printf '0x%x' $((0x100000000 + bs)))
n=$(( (0x100000000 + bs) / bs ))
expect "provider: probe $addr (auto_online_blocks=$(cat $MEM/auto_online_blocks))" \
	"$(sysfs_write $MEM/probe "$addr")" OK
expect "provider: memory$n was auto-onlined" "$(cat $MEM/memory$n/state 2>&1)" online
expect "provider: memory$n has a node link" "$(ls -d $MEM/memory$n/node* 2>/dev/null | wc -l)" 1
expect "provider: offline memory$n" "$(sysfs_write $MEM/memory$n/state offline)" OK
expect "provider: probe $addr again -> EEXIST" "$(sysfs_write $MEM/probe "$addr")" EEXIST

bash "$DIR/virtio-mem.sh" unplug "provider: virtio-mem" || echo "virtio-mem.sh unplug exited with status $?" >&2

# memory32 was probed (and left offline) by probe.sh.
b=$MEM/memory$((0x100000000 / bs))
expect "provider: online_movable ${b##*/} through state" "$(sysfs_write "$b/state" online_movable)" OK
expect "provider: ${b##*/} is online" "$(cat "$b/state")" online
expect "provider: offline ${b##*/} through the driver core's online file" "$(sysfs_write "$b/online" 0)" OK
expect "provider: ${b##*/} is offline" "$(cat "$b/state")" offline
expect "provider: online_movable memory$n" "$(sysfs_write $MEM/memory$n/state online_movable)" OK
expect "provider: offline memory$n" "$(sysfs_write $MEM/memory$n/state offline)" OK

# Lockdep validated the block mutexes (their own class) after the hotplug lock.
deps=$(awk '/^[0-9a-f]+ .*: mem_hotplug_lock([^_a-z]|$)/ { on = 1; next } /^$/ { on = 0 } on' /proc/lockdep)
if grep -q 'memory_block_provider_lock_key' <<< "$deps"; then
	tap_ok "provider: lockdep recorded mem_hotplug_lock -> memory block device mutex"
else
	tap_not_ok "provider: lockdep recorded mem_hotplug_lock -> memory block device mutex" \
		"mem_hotplug_lock's dependencies:" "$deps" \
		"classes: $(grep -c . /proc/lockdep 2>&1)"
fi

# The upstream selftest, served by the provider (it may leave memory32 and
# memory$n online in ZONE_NORMAL: the checks after the give-back use a
# block of their own).
bash "$DIR/kselftest.sh" "$KSFT" | sed 's/^\(\(not \)\{0,1\}ok\) - kselftest:/\1 - provider: kselftest:/'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || echo "kselftest.sh exited with status $rc" >&2

during=$(bash "$DIR/dump.sh") || echo "dump.sh exited with status $?" >&2
mark=$(dmesg | wc -l)
expect "provider: rmmod $MOD" "$(rmmod $MOD 2>&1; echo "rc=$?")" "rc=0"
provider_report provider "gave back"
expect_same_dump "provider: sysfs dump unchanged by the give-back" "$during"
addr=$(printf '0x%x' $((0x100000000 + 2 * bs)))
n=$(( (0x100000000 + 2 * bs) / bs ))
expect "provider: after the give-back, probe $addr" "$(sysfs_write $MEM/probe "$addr")" OK
expect "provider: after the give-back, online_movable memory$n" "$(sysfs_write $MEM/memory$n/state online_movable)" OK
expect "provider: after the give-back, offline memory$n" "$(sysfs_write $MEM/memory$n/state offline)" OK
